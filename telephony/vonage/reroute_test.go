package vonage

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const testApplicationID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"

// fakeCalls is a fake Voice API calls endpoint. It records the last request,
// checks its JWT with the application's public key and responds with status
// and body.
type fakeCalls struct {
	publicKey *rsa.PublicKey
	status    int
	body      []byte

	method, path, contentType, requestBody string
	claims                                 jwt.MapClaims
	tokenErr                               error
}

func (f *fakeCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.method = r.Method
	f.path = r.URL.Path
	f.contentType = r.Header.Get("Content-Type")
	body, _ := io.ReadAll(r.Body)
	f.requestBody = string(body)

	f.claims = jwt.MapClaims{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	_, f.tokenErr = jwt.ParseWithClaims(token, f.claims,
		func(*jwt.Token) (any, error) { return f.publicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(func() time.Time { return testNow }),
	)

	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

func setupReroute(t *testing.T, status int, body []byte) (*Adapter, *fakeCalls, telephony.Credentials) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	fake := &fakeCalls{publicKey: &key.PublicKey, status: status, body: body}
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)

	adapter := New(Options{})
	adapter.now = func() time.Time { return testNow }

	creds := NewCredentials(testAPIKey, testSignatureSecret, testApplicationID, string(keyPEM))
	creds.APIBaseURL = server.URL
	return adapter, fake, creds
}

func TestRerouteTransfers(t *testing.T) {
	tests := []struct {
		name  string
		route telephony.Route
		want  string
	}{
		{
			name:  "number",
			route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 20},
			want: `{"action":"transfer","destination":{"type":"ncco","ncco":[` +
				`{"action":"connect","randomFromNumber":true,"timeout":20,"endpoint":[{"type":"phone","number":"14155550188"}]}]}}`,
		},
		{
			name:  "queue",
			route: telephony.Route{Kind: telephony.TargetQueue, Target: "support"},
			want:  `{"action":"transfer","destination":{"type":"ncco","ncco":[{"action":"conversation","name":"support","startOnEnter":false}]}}`,
		},
		{
			name:  "hangup",
			route: telephony.Route{Kind: telephony.TargetHangup},
			want:  `{"action":"hangup"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapter, fake, creds := setupReroute(t, http.StatusNoContent, nil)

			err := adapter.Reroute(context.Background(), creds, callerLeg, tt.route)

			require.NoError(t, err)
			require.Equal(t, http.MethodPut, fake.method)
			require.Equal(t, "/v1/calls/"+callerLeg, fake.path)
			require.Equal(t, "application/json", fake.contentType)
			require.Equal(t, tt.want, fake.requestBody)
		})
	}
}

func TestRerouteApplicationToken(t *testing.T) {
	adapter, fake, creds := setupReroute(t, http.StatusNoContent, nil)

	err := adapter.Reroute(context.Background(), creds, callerLeg, telephony.Route{Kind: telephony.TargetHangup})

	require.NoError(t, err)
	require.NoError(t, fake.tokenErr)
	require.Equal(t, testApplicationID, fake.claims["application_id"])
	require.Equal(t, float64(testNow.Unix()), fake.claims["iat"])
	require.Equal(t, float64(testNow.Add(5*time.Minute).Unix()), fake.claims["exp"])
	require.NotEmpty(t, fake.claims["jti"])
}

func TestRerouteErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        []byte
		wantEnded   bool
		wantMessage string
	}{
		{name: "call not found", status: http.StatusNotFound, body: readFixture(t, "error_not_found.json"), wantEnded: true, wantMessage: "Not Found: Call not found"},
		{name: "older error body", status: http.StatusBadRequest, body: readFixture(t, "error_bad_request.json"), wantMessage: "Bad Request"},
		{name: "body not JSON", status: http.StatusBadGateway, body: []byte("<html>bad gateway</html>"), wantMessage: "Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adapter, _, creds := setupReroute(t, tt.status, tt.body)

			err := adapter.Reroute(context.Background(), creds, callerLeg, telephony.Route{Kind: telephony.TargetClient, Target: "alice"})

			var providerErr *telephony.ProviderError
			require.ErrorAs(t, err, &providerErr)
			require.Equal(t, telephony.ProviderVonage, providerErr.Provider)
			require.Equal(t, tt.status, providerErr.StatusCode)
			require.Equal(t, tt.wantMessage, providerErr.Message)
			require.Equal(t, tt.wantEnded, errors.Is(err, telephony.ErrCallEnded))
		})
	}
}

func TestRerouteRejectsBadInput(t *testing.T) {
	adapter, fake, creds := setupReroute(t, http.StatusNoContent, nil)
	badKey := creds
	badKey.AuthToken = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
	noApp := creds
	noApp.APIKey = ""

	tests := []struct {
		name     string
		creds    telephony.Credentials
		callUUID string
		route    telephony.Route
	}{
		{name: "missing application ID", creds: noApp, callUUID: callerLeg, route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "invalid private key", creds: badKey, callUUID: callerLeg, route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "missing call uuid", creds: creds, route: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "invalid route", creds: creds, callUUID: callerLeg, route: telephony.Route{Kind: telephony.TargetNumber}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := adapter.Reroute(context.Background(), tt.creds, tt.callUUID, tt.route)

			require.Error(t, err)
			require.NotContains(t, err.Error(), "not a key", "the error must not echo the key")
			require.Empty(t, fake.method, "no request may reach the API")
		})
	}
}
