package inbound_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
)

const telnyxCallControlID = "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO_nh0d_mgrm_ToafLs3GXA"

// telnyxInitiated is a call.initiated webhook of an incoming call.
const telnyxInitiated = `{"data":{"record_type":"event","event_type":"call.initiated","id":"c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b01",
"occurred_at":"2026-03-10T14:02:11.482736Z","payload":{"call_control_id":"` + telnyxCallControlID + `",
"client_state":null,"direction":"incoming","from":"+14155550123","to":"+14155550100","state":"parked"}}}`

// telnyxSigner signs Telnyx webhooks with a key pair of its own.
type telnyxSigner struct {
	public  ed25519.PublicKey
	private ed25519.PrivateKey
}

func newTelnyxSigner(t *testing.T) telnyxSigner {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return telnyxSigner{public: public, private: private}
}

func (s telnyxSigner) creds() telephony.Credentials {
	return telephony.Credentials{APIKey: "KEY0123", PublicKey: base64.StdEncoding.EncodeToString(s.public)}
}

func (s telnyxSigner) hook(conn store.TelephonyConnection, body string) inbound.Hook {
	timestamp := strconv.FormatInt(testNow.Unix(), 10)
	signature := ed25519.Sign(s.private, []byte(timestamp+"|"+body))
	header := http.Header{}
	header.Set(telnyx.HeaderTimestamp, timestamp)
	header.Set(telnyx.HeaderSignature, base64.StdEncoding.EncodeToString(signature))
	return inbound.Hook{
		Provider: "telnyx", ConnectionID: conn.ID, Name: "events", Method: http.MethodPost,
		PublicURL: publicBase + "/hooks/telnyx/" + conn.ID + "/events", Header: header, Body: []byte(body),
	}
}

func TestTelnyxInitiatedSendsTransfer(t *testing.T) {
	api := newFakeAPI(t)
	h := setup(t, testdb.Open(t, store.SQLite))
	signer := newTelnyxSigner(t)
	conn := h.connection(t, telephony.ProviderTelnyx, at(signer.creds(), api))

	answer, err := h.svc.HandleWebhook(h.ctx, signer.hook(conn, telnyxInitiated))
	require.NoError(t, err)
	_, err = h.svc.HandleWebhook(h.ctx, signer.hook(conn, telnyxInitiated))
	require.NoError(t, err)

	require.Equal(t, http.StatusOK, answer.Status)
	require.Empty(t, answer.Body)
	requests := api.received()
	require.Len(t, requests, 1, "the retried delivery sends no second command")
	require.Equal(t, "/v2/calls/"+telnyxCallControlID+"/actions/transfer", requests[0].Path)
	require.Equal(t, "Bearer KEY0123", requests[0].Header.Get("Authorization"))
	require.Contains(t, requests[0].Body, `"to":"+14155550188"`)

	call, events := h.onlyCall(t)
	require.Equal(t, telnyxCallControlID, call.ProviderCallID)
	require.Len(t, events, 1)
	require.Equal(t, "c2a1b4a6-0c1e-4e53-9bd4-0f7a8f1a2b01", events[0].DedupeKey)
}

func TestTelnyxCommandFailureIsCounted(t *testing.T) {
	api := newFakeAPI(t)
	api.respond(http.StatusUnprocessableEntity, `{"errors":[{"code":"90015","title":"Invalid destination","detail":"bad number"}]}`)
	h := setup(t, testdb.Open(t, store.SQLite))
	signer := newTelnyxSigner(t)
	conn := h.connection(t, telephony.ProviderTelnyx, at(signer.creds(), api))

	answer, err := h.svc.HandleWebhook(h.ctx, signer.hook(conn, telnyxInitiated))

	require.NoError(t, err)
	require.Equal(t, http.StatusOK, answer.Status)
	require.Equal(t, 1.0, counterValue(t, h.registry, "switchboard_routing_command_failures_total", "provider", "telnyx"))
	h.onlyCall(t)
}

// aircallCreated is a call.created webhook of an inbound call, with the
// webhook token "aircall-token".
const aircallCreated = `{"resource":"call","event":"call.created","timestamp":1773151331,"token":"aircall-token",
"data":{"id":1362432817,"direction":"inbound","status":"initial","started_at":1773151331,
"raw_digits":"+1 415-555-0123","number":{"id":715402,"digits":"+1 415-555-0100"}}}`

func TestAircallCreatedSendsTransfer(t *testing.T) {
	api := newFakeAPI(t)
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderAircall, at(telephony.Credentials{
		AccountID: "api-id", AuthToken: "api-token", WebhookToken: "aircall-token",
	}, api))
	hook := inbound.Hook{
		Provider: "aircall", ConnectionID: conn.ID, Name: "events", Method: http.MethodPost,
		PublicURL: publicBase + "/hooks/aircall/" + conn.ID + "/events", Header: http.Header{}, Body: []byte(aircallCreated),
	}

	answer, err := h.svc.HandleWebhook(h.ctx, hook)

	require.NoError(t, err)
	require.Equal(t, http.StatusOK, answer.Status)
	requests := api.received()
	require.Len(t, requests, 1)
	require.Equal(t, "/v1/calls/1362432817/transfers", requests[0].Path)
	require.JSONEq(t, `{"number":"+14155550188"}`, requests[0].Body)
	user, password, ok := (&http.Request{Header: requests[0].Header}).BasicAuth()
	require.True(t, ok)
	require.Equal(t, "api-id", user)
	require.Equal(t, "api-token", password)

	call, _ := h.onlyCall(t)
	require.Equal(t, "1362432817", call.ProviderCallID)
	require.Equal(t, "+14155550123", call.FromE164)
}
