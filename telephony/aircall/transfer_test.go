package aircall_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/aircall"
)

// Credentials of the fake Aircall API.
const (
	apiID    = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	apiToken = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
)

// transfer is one request the fake Aircall API received.
type transfer struct {
	Path     string
	User     string
	Password string
	Body     map[string]any
}

// fakeAircall is an Aircall API on loopback that records transfer requests
// and responds to each with status and body.
type fakeAircall struct {
	mu        sync.Mutex
	transfers []transfer
	status    int
	body      string
}

func newFakeAircall(t *testing.T) (*fakeAircall, *httptest.Server) {
	t.Helper()
	fake := &fakeAircall{status: http.StatusNoContent}
	server := httptest.NewServer(http.HandlerFunc(fake.serve))
	t.Cleanup(server.Close)
	return fake, server
}

func (f *fakeAircall) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	user, password, _ := r.BasicAuth()

	f.mu.Lock()
	f.transfers = append(f.transfers, transfer{Path: r.Method + " " + r.URL.Path, User: user, Password: password, Body: body})
	status, reply := f.status, f.body
	f.mu.Unlock()

	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (f *fakeAircall) received() []transfer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]transfer(nil), f.transfers...)
}

func apiCreds() telephony.Credentials {
	return telephony.Credentials{AccountID: apiID, AuthToken: apiToken}
}

func TestReroute(t *testing.T) {
	tests := []struct {
		name  string
		route telephony.Route
		want  map[string]any
	}{
		{name: "number", route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"}, want: map[string]any{"number": "+14155550188"}},
		{name: "extension is user", route: telephony.Route{Kind: telephony.TargetExtension, Target: "1150977"}, want: map[string]any{"user_id": float64(1150977)}},
		{name: "client is user", route: telephony.Route{Kind: telephony.TargetClient, Target: " 1148203 "}, want: map[string]any{"user_id": float64(1148203)}},
		{name: "queue is team", route: telephony.Route{Kind: telephony.TargetQueue, Target: "62011"}, want: map[string]any{"team_id": float64(62011)}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeAircall(t)
			adapter := aircall.New(aircall.Options{APIBaseURL: server.URL})

			err := adapter.Reroute(context.Background(), apiCreds(), "1362432817", tt.route)

			require.NoError(t, err)
			require.Equal(t, []transfer{{
				Path: "POST /v1/calls/1362432817/transfers", User: apiID, Password: apiToken, Body: tt.want,
			}}, fake.received())
		})
	}
}

func TestRerouteCredentialsBaseURLWins(t *testing.T) {
	fake, server := newFakeAircall(t)
	adapter := aircall.New(aircall.Options{APIBaseURL: "http://127.0.0.1:1"})
	creds := apiCreds()
	creds.APIBaseURL = server.URL + "/"

	err := adapter.Reroute(context.Background(), creds, "1362432817", telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

	require.NoError(t, err)
	require.Len(t, fake.received(), 1)
}

func TestRerouteUnsupported(t *testing.T) {
	tests := []struct {
		name   string
		callID string
		route  telephony.Route
	}{
		{name: "sip", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:201@pbx.example.com"}},
		{name: "voicemail", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetVoicemail}},
		{name: "hangup", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "user id not numeric", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetExtension, Target: "maya.patel@example.com"}},
		{name: "team id zero", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetQueue, Target: "0"}},
		{name: "number empty", callID: "1362432817", route: telephony.Route{Kind: telephony.TargetNumber}},
		{name: "empty call id", callID: "", route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeAircall(t)
			adapter := aircall.New(aircall.Options{APIBaseURL: server.URL})

			err := adapter.Reroute(context.Background(), apiCreds(), tt.callID, tt.route)

			require.ErrorIs(t, err, aircall.ErrUnsupportedRoute)
			require.Empty(t, fake.received())
		})
	}
}

func TestRerouteWithoutAPICredentials(t *testing.T) {
	fake, server := newFakeAircall(t)
	adapter := aircall.New(aircall.Options{APIBaseURL: server.URL})

	err := adapter.Reroute(context.Background(), telephony.Credentials{AccountID: apiID}, "1362432817",
		telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

	require.ErrorContains(t, err, "API token")
	require.Empty(t, fake.received())
}

func TestRerouteAPIErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		wantMessage string
	}{
		{
			name:        "not found with troubleshoot",
			status:      http.StatusNotFound,
			body:        `{"error":"Not found","troubleshoot":"Check the call id, the call may not exist."}`,
			wantMessage: "Not found: Check the call id, the call may not exist.",
		},
		{name: "error only", status: http.StatusForbidden, body: `{"error":"Forbidden"}`, wantMessage: "Forbidden"},
		{name: "plain text", status: http.StatusBadRequest, body: "Bad Request\n", wantMessage: "Bad Request"},
		{name: "empty body", status: http.StatusTooManyRequests, body: "", wantMessage: "Too Many Requests"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, server := newFakeAircall(t)
			fake.status, fake.body = tt.status, tt.body
			adapter := aircall.New(aircall.Options{APIBaseURL: server.URL})

			err := adapter.Reroute(context.Background(), apiCreds(), "1362432817",
				telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188"})

			var providerErr *telephony.ProviderError
			require.ErrorAs(t, err, &providerErr)
			require.Equal(t, telephony.ProviderAircall, providerErr.Provider)
			require.Equal(t, tt.status, providerErr.StatusCode)
			require.Equal(t, tt.wantMessage, providerErr.Message)
			require.False(t, errors.Is(err, telephony.ErrCallEnded))
		})
	}
}

func TestAnswerIsEmpty(t *testing.T) {
	adapter := aircall.New(aircall.Options{})

	answer := adapter.Answer(telephony.CallEvent{NeedsRoute: true}, &telephony.Route{Kind: telephony.TargetQueue, Target: "62011"})

	require.Equal(t, telephony.Answer{Status: http.StatusOK}, answer)
}
