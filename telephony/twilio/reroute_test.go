package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

// fakeCalls is a fake Twilio Calls resource. It records the last request and
// responds with status and body.
type fakeCalls struct {
	status int
	body   []byte

	method, path, user, password, contentType, twiml string
	basicAuth                                        bool
}

func (f *fakeCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.method = r.Method
	f.path = r.URL.Path
	f.user, f.password, f.basicAuth = r.BasicAuth()
	f.contentType = r.Header.Get("Content-Type")
	if err := r.ParseForm(); err == nil {
		f.twiml = r.PostForm.Get("Twiml")
	}

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

func setupReroute(t *testing.T, status int, body []byte) (*fakeCalls, telephony.Credentials) {
	t.Helper()
	fake := &fakeCalls{status: status, body: body}
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)

	creds := telephony.Credentials{AccountID: testAccountSid, AuthToken: testAuthToken, APIBaseURL: server.URL}
	return fake, creds
}

func TestRerouteSendsTwiML(t *testing.T) {
	fake, creds := setupReroute(t, http.StatusOK, []byte(`{"sid":"`+inboundCallSid+`","status":"in-progress"}`))
	route := telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 20}

	err := New(Options{}).Reroute(context.Background(), creds, inboundCallSid, route)

	require.NoError(t, err)
	require.Equal(t, http.MethodPost, fake.method)
	require.Equal(t, "/2010-04-01/Accounts/"+testAccountSid+"/Calls/"+inboundCallSid+".json", fake.path)
	require.True(t, fake.basicAuth)
	require.Equal(t, testAccountSid, fake.user)
	require.Equal(t, testAuthToken, fake.password)
	require.Equal(t, "application/x-www-form-urlencoded", fake.contentType)
	require.Equal(t, xmlHeader+`<Response><Dial timeout="20"><Number>+14155550188</Number></Dial></Response>`, fake.twiml)
}

func TestRerouteUsesOptionsBaseURL(t *testing.T) {
	fake := &fakeCalls{status: http.StatusOK, body: []byte(`{}`)}
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	creds := telephony.Credentials{AccountID: testAccountSid, AuthToken: testAuthToken}

	err := New(Options{APIBaseURL: server.URL + "/"}).Reroute(context.Background(), creds, inboundCallSid, telephony.Route{Kind: telephony.TargetHangup})

	require.NoError(t, err)
	require.Equal(t, "/2010-04-01/Accounts/"+testAccountSid+"/Calls/"+inboundCallSid+".json", fake.path)
	require.Equal(t, xmlHeader+`<Response><Hangup></Hangup></Response>`, fake.twiml)
}

func TestRerouteErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        []byte
		wantEnded   bool
		wantMessage string
	}{
		{
			name:        "call not in progress",
			status:      http.StatusBadRequest,
			body:        readFixture(t, "error_21220.json"),
			wantEnded:   true,
			wantMessage: "Call is not in-progress. Cannot redirect. (error 21220, https://www.twilio.com/docs/errors/21220)",
		},
		{
			name:   "call not found",
			status: http.StatusNotFound,
			body:   readFixture(t, "error_20404.json"),
			wantMessage: "The requested resource /2010-04-01/Accounts/AC3f1d8a2b9c4e5f60718293a4b5c6d7e8/Calls/CA0000000000000000000000000000dead.json" +
				" was not found (error 20404, https://www.twilio.com/docs/errors/20404)",
		},
		{
			name:        "message without code",
			status:      http.StatusServiceUnavailable,
			body:        []byte(`{"message": "Service unavailable", "status": 503}`),
			wantMessage: "Service unavailable",
		},
		{
			name:        "body not JSON",
			status:      http.StatusBadGateway,
			body:        []byte("<html>bad gateway</html>"),
			wantMessage: "Bad Gateway",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, creds := setupReroute(t, tt.status, tt.body)

			err := New(Options{}).Reroute(context.Background(), creds, inboundCallSid, telephony.Route{Kind: telephony.TargetQueue, Target: "support"})

			var providerErr *telephony.ProviderError
			require.ErrorAs(t, err, &providerErr)
			require.Equal(t, telephony.ProviderTwilio, providerErr.Provider)
			require.Equal(t, tt.status, providerErr.StatusCode)
			require.Equal(t, tt.wantMessage, providerErr.Message)
			require.Equal(t, tt.wantEnded, errors.Is(err, telephony.ErrCallEnded))
		})
	}
}

func TestRerouteRejectsBadInput(t *testing.T) {
	fake, creds := setupReroute(t, http.StatusOK, []byte(`{}`))
	tests := []struct {
		name    string
		creds   telephony.Credentials
		callSid string
		route   telephony.Route
	}{
		{name: "missing auth token", creds: telephony.Credentials{AccountID: testAccountSid, APIBaseURL: creds.APIBaseURL}, callSid: inboundCallSid, route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "missing call SID", creds: creds, route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "invalid route", creds: creds, callSid: inboundCallSid, route: telephony.Route{Kind: telephony.TargetNumber}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Options{}).Reroute(context.Background(), tt.creds, tt.callSid, tt.route)

			require.Error(t, err)
			require.Empty(t, fake.method, "no request may reach the API")
		})
	}
}

func TestRerouteCancelledContext(t *testing.T) {
	_, creds := setupReroute(t, http.StatusOK, []byte(`{}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := New(Options{}).Reroute(ctx, creds, inboundCallSid, telephony.Route{Kind: telephony.TargetHangup})

	require.ErrorIs(t, err, context.Canceled)
}
