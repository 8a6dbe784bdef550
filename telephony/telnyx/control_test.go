package telnyx_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
)

const apiKey = "KEY0123456789ABCDEF_test"

// Client states the adapter sends for firstLeg, base64 of
// {"switchboard_call":"<firstLeg>","route":"<kind>"}.
const (
	stateNumber    = "eyJzd2l0Y2hib2FyZF9jYWxsIjoidjM6dTVPQUtHRVBUM0R4OFNaU1NEUldFTWROSDJPcmlwUWhPX25oMGRfbWdybV9Ub2FmTHMzR1hBIiwicm91dGUiOiJudW1iZXIifQ=="
	stateVoicemail = "eyJzd2l0Y2hib2FyZF9jYWxsIjoidjM6dTVPQUtHRVBUM0R4OFNaU1NEUldFTWROSDJPcmlwUWhPX25oMGRfbWdybV9Ub2FmTHMzR1hBIiwicm91dGUiOiJ2b2ljZW1haWwifQ=="
)

// command is one request the fake Telnyx API received.
type command struct {
	Path          string
	Authorization string
	Body          map[string]any
}

// fakeTelnyx is a Call Control API on loopback that records commands and
// responds to each with status and body.
type fakeTelnyx struct {
	mu       sync.Mutex
	commands []command
	status   int
	body     string
}

func newFakeTelnyx(t *testing.T) (*fakeTelnyx, *httptest.Server) {
	t.Helper()
	fake := &fakeTelnyx{status: http.StatusOK, body: `{"data":{"result":"ok"}}`}
	server := httptest.NewServer(http.HandlerFunc(fake.serve))
	t.Cleanup(server.Close)
	return fake, server
}

func (f *fakeTelnyx) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)

	f.mu.Lock()
	f.commands = append(f.commands, command{Path: r.Method + " " + r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	status, reply := f.status, f.body
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (f *fakeTelnyx) received() []command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]command(nil), f.commands...)
}

func stateFor(kind string) string {
	switch kind {
	case "number":
		return stateNumber
	case "voicemail":
		return stateVoicemail
	}
	return ""
}

func TestRoute(t *testing.T) {
	actions := "POST /v2/calls/" + firstLeg + "/actions/"
	tests := []struct {
		name    string
		route   telephony.Route
		reroute bool
		want    []command
	}{
		{
			name:  "number with timeout and caller name",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 25, CallerName: "Acme Ltd. (VIP) #1"},
			want: []command{{Path: actions + "transfer", Body: map[string]any{
				"to": "+14155550188", "timeout_secs": float64(25), "from_display_name": "Acme Ltd. VIP 1",
				"client_state": stateNumber, "target_leg_client_state": stateNumber,
			}}},
		},
		{
			name:  "number timeout clamped to minimum",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+442079460188", TimeoutSeconds: 2},
			want: []command{{Path: actions + "transfer", Body: map[string]any{
				"to": "+442079460188", "timeout_secs": float64(5),
				"client_state": stateNumber, "target_leg_client_state": stateNumber,
			}}},
		},
		{
			name:  "sip without scheme",
			route: telephony.Route{Kind: telephony.TargetSIP, Target: "frontdesk@pbx.example.com"},
			want:  []command{{Path: actions + "transfer", Body: transferBody("sip:frontdesk@pbx.example.com", "sip")}},
		},
		{
			name:  "client rung on Telnyx SIP domain",
			route: telephony.Route{Kind: telephony.TargetClient, Target: "gencred4kAbc"},
			want:  []command{{Path: actions + "transfer", Body: transferBody("sip:gencred4kAbc@sip.telnyx.com", "client")}},
		},
		{
			name:  "extension given as sip uri",
			route: telephony.Route{Kind: telephony.TargetExtension, Target: "sip:201@office.sip.telnyx.com"},
			want:  []command{{Path: actions + "transfer", Body: transferBody("sip:201@office.sip.telnyx.com", "extension")}},
		},
		{
			name:  "queue answers first",
			route: telephony.Route{Kind: telephony.TargetQueue, Target: "support", TimeoutSeconds: 300},
			want: []command{
				{Path: actions + "answer", Body: map[string]any{"client_state": encodedState("queue")}},
				{Path: actions + "enqueue", Body: map[string]any{
					"queue_name": "support", "max_wait_time_secs": float64(300), "client_state": encodedState("queue"),
				}},
			},
		},
		{
			name:    "queue on answered call",
			route:   telephony.Route{Kind: telephony.TargetQueue, Target: "support"},
			reroute: true,
			want: []command{{Path: actions + "enqueue", Body: map[string]any{
				"queue_name": "support", "client_state": encodedState("queue"),
			}}},
		},
		{
			name:  "voicemail records after answer",
			route: telephony.Route{Kind: telephony.TargetVoicemail},
			want: []command{
				{Path: actions + "answer", Body: map[string]any{"client_state": stateVoicemail}},
				{Path: actions + "record_start", Body: map[string]any{
					"format": "mp3", "channels": "single", "play_beep": true, "max_length": float64(180),
					"client_state": stateVoicemail,
				}},
			},
		},
		{
			name:  "hangup rejects parked call",
			route: telephony.Route{Kind: telephony.TargetHangup},
			want: []command{{Path: actions + "reject", Body: map[string]any{
				"cause": "CALL_REJECTED", "client_state": encodedState("hangup"),
			}}},
		},
		{
			name:    "hangup on answered call",
			route:   telephony.Route{Kind: telephony.TargetHangup},
			reroute: true,
			want:    []command{{Path: actions + "hangup", Body: map[string]any{"client_state": encodedState("hangup")}}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeTelnyx(t)
			adapter := telnyx.New(telnyx.Options{APIBaseURL: server.URL})
			creds := telephony.Credentials{APIKey: apiKey}

			var err error
			if tt.reroute {
				err = adapter.Reroute(context.Background(), creds, firstLeg, tt.route)
			} else {
				err = adapter.Route(context.Background(), creds, firstLeg, tt.route)
			}
			require.NoError(t, err)

			for i := range tt.want {
				tt.want[i].Authorization = "Bearer " + apiKey
			}
			require.Equal(t, tt.want, fake.received())
		})
	}
}

func transferBody(to, kind string) map[string]any {
	state := encodedState(kind)
	return map[string]any{"to": to, "client_state": state, "target_leg_client_state": state}
}

// encodedState returns the client state the adapter sends for firstLeg and
// a route of kind.
func encodedState(kind string) string {
	if state := stateFor(kind); state != "" {
		return state
	}
	document := `{"switchboard_call":"` + firstLeg + `","route":"` + kind + `"}`
	return base64.StdEncoding.EncodeToString([]byte(document))
}

func TestRouteCredentialsBaseURLWins(t *testing.T) {
	fake, server := newFakeTelnyx(t)
	adapter := telnyx.New(telnyx.Options{APIBaseURL: "http://127.0.0.1:1"})
	creds := telephony.Credentials{APIKey: apiKey, APIBaseURL: server.URL + "/"}

	err := adapter.Route(context.Background(), creds, firstLeg, telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

	require.NoError(t, err)
	require.Len(t, fake.received(), 1)
}

func TestRouteInvalid(t *testing.T) {
	tests := []struct {
		name   string
		callID string
		route  telephony.Route
	}{
		{name: "number without target", callID: firstLeg, route: telephony.Route{Kind: telephony.TargetNumber}},
		{name: "queue without name", callID: firstLeg, route: telephony.Route{Kind: telephony.TargetQueue}},
		{name: "unknown kind", callID: firstLeg, route: telephony.Route{Kind: "conference", Target: "room-1"}},
		{name: "empty call id", callID: "", route: telephony.Route{Kind: telephony.TargetHangup}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeTelnyx(t)
			adapter := telnyx.New(telnyx.Options{APIBaseURL: server.URL})

			err := adapter.Route(context.Background(), telephony.Credentials{APIKey: apiKey}, tt.callID, tt.route)

			require.ErrorIs(t, err, telnyx.ErrInvalidRoute)
			require.Empty(t, fake.received())
		})
	}
}

func TestRerouteErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		wantEnded   bool
		wantMessage string
	}{
		{
			name:   "call already ended",
			status: http.StatusUnprocessableEntity,
			body: `{"errors":[{"code":"90018","title":"Call has already ended",` +
				`"detail":"This call is no longer active and can't receive commands."}]}`,
			wantEnded:   true,
			wantMessage: "Call has already ended: This call is no longer active and can't receive commands. (code 90018)",
		},
		{
			name:        "numeric error code",
			status:      http.StatusUnprocessableEntity,
			body:        `{"errors":[{"code":90018,"title":"Call has already ended"}]}`,
			wantEnded:   true,
			wantMessage: "Call has already ended (code 90018)",
		},
		{
			name:        "resource not found",
			status:      http.StatusNotFound,
			body:        `{"errors":[{"code":"10005","title":"Resource not found","detail":"The requested resource or URL could not be found."}]}`,
			wantMessage: "Resource not found: The requested resource or URL could not be found. (code 10005)",
		},
		{
			name:        "authentication failed",
			status:      http.StatusUnauthorized,
			body:        `{"errors":[{"code":"10009","title":"Authentication failed"}]}`,
			wantMessage: "Authentication failed (code 10009)",
		},
		{
			name:        "body not json",
			status:      http.StatusBadGateway,
			body:        `<html>upstream error</html>`,
			wantMessage: "<html>upstream error</html>",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeTelnyx(t)
			fake.status, fake.body = tt.status, tt.body
			adapter := telnyx.New(telnyx.Options{APIBaseURL: server.URL})

			err := adapter.Reroute(context.Background(), telephony.Credentials{APIKey: apiKey}, firstLeg,
				telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

			var providerErr *telephony.ProviderError
			require.ErrorAs(t, err, &providerErr)
			require.Equal(t, telephony.ProviderTelnyx, providerErr.Provider)
			require.Equal(t, tt.status, providerErr.StatusCode)
			require.Equal(t, tt.wantMessage, providerErr.Message)
			require.Equal(t, tt.wantEnded, errors.Is(err, telephony.ErrCallEnded))
		})
	}
}

func TestRouteWithoutAPIKey(t *testing.T) {
	fake, server := newFakeTelnyx(t)
	adapter := telnyx.New(telnyx.Options{APIBaseURL: server.URL})

	err := adapter.Route(context.Background(), telephony.Credentials{}, firstLeg, telephony.Route{Kind: telephony.TargetHangup})

	require.ErrorContains(t, err, "no API key")
	require.Empty(t, fake.received())
}

func TestAnswerIsEmpty(t *testing.T) {
	adapter := telnyx.New(telnyx.Options{})

	answer := adapter.Answer(telephony.CallEvent{NeedsRoute: true}, &telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

	require.Equal(t, telephony.Answer{Status: http.StatusOK}, answer)
}

func TestParseLinksTransferLeg(t *testing.T) {
	// A webhook carrying the client state that Route sent belongs to the
	// routed call even when its call_control_id is the dialled leg's.
	adapter := telnyx.New(telnyx.Options{})
	body := editPayload(t, "call_answered_second_leg.json", map[string]any{"client_state": encodedState("client")})

	events, err := adapter.Parse(telephony.Request{Body: body})

	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, firstLeg, events[0].ProviderCallID)
	require.NotEqual(t, secondLeg, events[0].ProviderCallID)
}
