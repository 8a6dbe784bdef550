package calllog_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// webhookNow is the inbound service's clock: the Telnyx fixtures are
// signed as sent then.
var webhookNow = time.Date(2026, 3, 10, 14, 2, 11, 0, time.UTC)

const (
	publicBase  = "http://switchboard.test"
	twilioSID   = "AC3f1d8a2b9c4e5f60718293a4b5c6d7e8"
	twilioToken = "0123456789abcdef0123456789abcdef"
)

// telephonyHarness replays provider webhooks through the inbound service,
// which passes every call change to the harness's call log service.
type telephonyHarness struct {
	*harness
	inbound *inbound.Service
	private ed25519.PrivateKey
	public  ed25519.PublicKey
	api     *httptest.Server
}

func setupTelephony(t *testing.T, h *harness) *telephonyHarness {
	t.Helper()
	th := &telephonyHarness{harness: h}
	var err error
	th.public, th.private, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	th.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"result":"ok"}}`))
	}))
	t.Cleanup(th.api.Close)
	th.inbound, err = inbound.New(inbound.Config{
		Store: h.st, Connections: connections.New(h.st, h.keyring), Log: zaptest.NewLogger(t),
		Now: func() time.Time { return webhookNow }, CallLogs: h.svc,
	})
	require.NoError(t, err)
	return th
}

// connection stores an enabled telephony connection of provider that
// rings +14155550188 by default.
func (th *telephonyHarness) connection(t *testing.T, provider telephony.Provider, creds telephony.Credentials) store.TelephonyConnection {
	t.Helper()
	plain, err := json.Marshal(creds)
	require.NoError(t, err)
	sealed, err := th.keyring.Encrypt(plain)
	require.NoError(t, err)
	conn := store.TelephonyConnection{
		WorkspaceID: th.ws.ID, Provider: string(provider), Name: string(provider) + " line", Credentials: sealed,
		RoutingRules: json.RawMessage(`[]`), DefaultRoute: json.RawMessage(`{"kind":"number","target":"+14155550188"}`), Enabled: true,
	}
	require.NoError(t, th.st.CreateTelephonyConnection(th.ctx, &conn))
	return conn
}

// twilio posts the Twilio fixture name to the hook of conn, signed.
func (th *telephonyHarness) twilio(t *testing.T, conn store.TelephonyConnection, hook, name string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "telephony", "twilio", "testdata", name))
	require.NoError(t, err)
	params, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	hookURL := publicBase + "/hooks/twilio/" + conn.ID + "/" + hook
	header := http.Header{}
	header.Set(twilio.SignatureHeader, twilio.Signature(twilioToken, hookURL, params))
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = th.inbound.HandleWebhook(th.ctx, inbound.Hook{
		Provider: "twilio", ConnectionID: conn.ID, Name: hook, Method: http.MethodPost,
		PublicURL: hookURL, Header: header, Body: []byte(params.Encode()),
	})
	require.NoError(t, err, "twilio %s", name)
}

// telnyx posts the Telnyx fixture name to conn, signed at webhookNow.
func (th *telephonyHarness) telnyx(t *testing.T, conn store.TelephonyConnection, name string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "telephony", "telnyx", "testdata", name))
	require.NoError(t, err)
	timestamp := strconv.FormatInt(webhookNow.Unix(), 10)
	header := http.Header{}
	header.Set(telnyx.HeaderTimestamp, timestamp)
	header.Set(telnyx.HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(th.private, append([]byte(timestamp+"|"), body...))))
	_, err = th.inbound.HandleWebhook(th.ctx, inbound.Hook{
		Provider: "telnyx", ConnectionID: conn.ID, Name: "events", Method: http.MethodPost,
		PublicURL: publicBase + "/hooks/telnyx/" + conn.ID + "/events", Header: header, Body: body,
	})
	require.NoError(t, err, "telnyx %s", name)
}

// onlyCall returns the one call of conn.
func (th *telephonyHarness) onlyCall(t *testing.T, conn store.TelephonyConnection) store.Call {
	t.Helper()
	calls, _, err := th.st.ListCalls(th.ctx, store.CallQuery{WorkspaceID: th.ws.ID, ConnectionID: conn.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, calls, 1)
	return calls[0]
}

func TestTwilioAndTelnyxCallsLogged(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		th := setupTelephony(t, h)
		// The queue starts after the events, as the settle delay has it:
		// Pipedrive cannot change a call log's start time, and Twilio's
		// status callback moves the start set by the earlier hooks.
		queue := h.newQueue(t)
		twilioConn := th.connection(t, telephony.ProviderTwilio, telephony.Credentials{AccountID: twilioSID, AuthToken: twilioToken})
		telnyxConn := th.connection(t, telephony.ProviderTelnyx, telephony.Credentials{
			APIKey: "KEY0123", PublicKey: base64.StdEncoding.EncodeToString(th.public), APIBaseURL: th.api.URL,
		})

		th.twilio(t, twilioConn, "voice", "voice_inbound.form")
		th.twilio(t, twilioConn, "dial", "dial_completed.form")
		th.twilio(t, twilioConn, "status", "status_completed.form")
		for _, name := range []string{
			"call_initiated_incoming.json", "call_initiated_second_leg.json", "call_answered_second_leg.json",
			"call_answered.json", "call_hangup_second_leg.json", "call_hangup.json",
		} {
			th.telnyx(t, telnyxConn, name)
		}

		require.NoError(t, queue.Start(h.ctx))
		twilioCall := th.onlyCall(t, twilioConn)
		telnyxCall := th.onlyCall(t, telnyxConn)
		h.waitLogged(t, twilioCall.ID)
		h.waitLogged(t, telnyxCall.ID)

		// The recording arrives after the hangup and updates the entry.
		th.telnyx(t, telnyxConn, "call_recording_saved.json")
		telnyxCall = th.onlyCall(t, telnyxConn)
		require.NotEmpty(t, telnyxCall.RecordingURL)
		require.Eventually(t, func() bool {
			entries := h.hubspot.EntriesOf(telnyxCall.ID)
			return len(entries) == 1 && entries[0].Fields["hs_call_recording_url"] == telnyxCall.RecordingURL
		}, waitLimit, 20*time.Millisecond, "the recording never reached the HubSpot entry")
		h.waitLogged(t, telnyxCall.ID)

		for _, call := range []store.Call{twilioCall, telnyxCall} {
			hub := h.hubspot.EntriesOf(call.ID)
			require.Len(t, hub, 1, "one HubSpot entry for call %s", call.ProviderCallID)
			require.Equal(t, "INBOUND", hub[0].Fields["hs_call_direction"])
			require.Equal(t, call.FromE164, hub[0].Fields["hs_call_from_number"])
			require.Equal(t, call.ToE164, hub[0].Fields["hs_call_to_number"])
			require.Equal(t, strconv.Itoa(call.DurationSeconds*1000), hub[0].Fields["hs_call_duration"])
			require.Equal(t, call.StartedAt.UTC().Format("2006-01-02T15:04:05.000Z"), hub[0].Fields["hs_timestamp"])
			require.Equal(t, "COMPLETED", hub[0].Fields["hs_call_status"])

			pipe := h.pipe.EntriesOf(call.ID)
			require.Len(t, pipe, 1, "one Pipedrive call log for call %s", call.ProviderCallID)
			if pipe[0].Updates == 0 {
				require.Equal(t, strconv.Itoa(call.DurationSeconds), pipe[0].Fields["duration"], "Pipedrive call logs take seconds")
			} else {
				// Pipedrive cannot change a call log, so updates go to its
				// activity, whose duration is HH:MM.
				minutes := (call.DurationSeconds + 59) / 60
				require.Equal(t, fmt.Sprintf("%02d:%02d", minutes/60, minutes%60), pipe[0].Fields["activity.duration"])
			}
			require.Equal(t, call.StartedAt.UTC().Format("2006-01-02 15:04:05"), pipe[0].Fields["start_time"])
			require.Equal(t, call.FromE164, pipe[0].Fields["from_phone_number"])
			require.Equal(t, "connected", pipe[0].Fields["outcome"])
		}
		require.Positive(t, twilioCall.DurationSeconds)
		require.Equal(t, "+14155550142", telnyxCall.FromE164, "the second leg did not replace the caller")
		require.Contains(t, h.pipe.EntriesOf(telnyxCall.ID)[0].Fields["activity.note"], "Recording: ")
		require.Len(t, h.hubspot.Entries(), 2)
		require.Len(t, h.pipe.Entries(), 2)
	})
}
