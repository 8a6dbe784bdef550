package vonage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const (
	testSignatureSecret = "Zr4qK8vNw2xB6yT0cJ5mH9pL3dF7sA1e"
	testAPIKey          = "a1b2c3d4"
)

var testNow = time.Date(2025, time.November, 4, 15, 4, 6, 0, time.UTC)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

func sha256Hex(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// handSignedToken builds a JWT without the jwt library: base64url header and
// claims joined by a dot, signed with HMAC-SHA256. It checks Verify against
// the format itself rather than against the library's own output.
func handSignedToken(t *testing.T, alg string, claims map[string]any, secret string) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)

	signingInput := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	if alg == "none" {
		return signingInput + "."
	}

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// webhookClaimsFor returns the claims Vonage sends for body, issued at iat.
func webhookClaimsFor(body []byte, iat time.Time) map[string]any {
	claims := map[string]any{
		"iat":            iat.Unix(),
		"jti":            "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
		"iss":            "Vonage",
		"api_key":        testAPIKey,
		"application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
	}
	if len(body) > 0 {
		claims["payload_hash"] = sha256Hex(body)
	}
	return claims
}

func bearer(token string) http.Header {
	header := http.Header{}
	header.Set("Authorization", "Bearer "+token)
	return header
}

func TestVerify(t *testing.T) {
	body := readFixture(t, "event_started.json")
	claims := webhookClaimsFor(body, testNow.Add(-time.Second))

	with := func(name string, value any) map[string]any {
		changed := map[string]any{}
		for k, v := range claims {
			changed[k] = v
		}
		if value == nil {
			delete(changed, name)
		} else {
			changed[name] = value
		}
		return changed
	}

	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		secret  string
		wantErr bool
	}{
		{name: "signed POST", header: bearer(handSignedToken(t, "HS256", claims, testSignatureSecret)), body: body, secret: testSignatureSecret},
		{name: "hash in upper case", header: bearer(handSignedToken(t, "HS256", with("payload_hash", strings.ToUpper(sha256Hex(body))), testSignatureSecret)), body: body, secret: testSignatureSecret},
		{name: "GET without body", header: bearer(handSignedToken(t, "HS256", webhookClaimsFor(nil, testNow), testSignatureSecret)), secret: testSignatureSecret},
		{name: "issued 4 minutes ago", header: bearer(handSignedToken(t, "HS256", with("iat", testNow.Add(-4*time.Minute).Unix()), testSignatureSecret)), body: body, secret: testSignatureSecret},
		{name: "lowercase scheme", header: http.Header{"Authorization": {"bearer " + handSignedToken(t, "HS256", claims, testSignatureSecret)}}, body: body, secret: testSignatureSecret},
		{name: "wrong secret", header: bearer(handSignedToken(t, "HS256", claims, "not-the-secret")), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "no secret configured", header: bearer(handSignedToken(t, "HS256", claims, "")), body: body, secret: "", wantErr: true},
		{name: "tampered body", header: bearer(handSignedToken(t, "HS256", claims, testSignatureSecret)), body: []byte(`{"status":"answered"}`), secret: testSignatureSecret, wantErr: true},
		{name: "body without payload_hash", header: bearer(handSignedToken(t, "HS256", with("payload_hash", nil), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "issued 6 minutes ago", header: bearer(handSignedToken(t, "HS256", with("iat", testNow.Add(-6*time.Minute).Unix()), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "issued 6 minutes ahead", header: bearer(handSignedToken(t, "HS256", with("iat", testNow.Add(6*time.Minute).Unix()), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "no iat", header: bearer(handSignedToken(t, "HS256", with("iat", nil), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "expired", header: bearer(handSignedToken(t, "HS256", with("exp", testNow.Add(-time.Second).Unix()), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "other account's api_key", header: bearer(handSignedToken(t, "HS256", with("api_key", "9z8y7x6w"), testSignatureSecret)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "alg none", header: bearer(handSignedToken(t, "none", claims, "")), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "alg HS512", header: bearer(hs512Token(t, claims)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "alg RS256", header: bearer(rs256Token(t, claims)), body: body, secret: testSignatureSecret, wantErr: true},
		{name: "missing header", header: http.Header{}, body: body, secret: testSignatureSecret, wantErr: true},
		{name: "basic scheme", header: http.Header{"Authorization": {"Basic YTFiMmMzZDQ6c2VjcmV0"}}, body: body, secret: testSignatureSecret, wantErr: true},
		{name: "empty bearer", header: http.Header{"Authorization": {"Bearer "}}, body: body, secret: testSignatureSecret, wantErr: true},
		{name: "garbage token", header: bearer("not.a.jwt"), body: body, secret: testSignatureSecret, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := telephony.Request{Method: http.MethodPost, Header: tt.header, Body: tt.body, Hook: HookEvent}
			creds := telephony.Credentials{AccountID: testAPIKey, SigningSecret: tt.secret}

			err := New(Options{}).Verify(req, creds, testNow)

			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		})
	}
}

func hs512Token(t *testing.T, claims map[string]any) string {
	t.Helper()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims(claims)).SignedString([]byte(testSignatureSecret))
	require.NoError(t, err)
	return token
}

func rs256Token(t *testing.T, claims map[string]any) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	token, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claims)).SignedString(key)
	require.NoError(t, err)
	return token
}

func TestVerifyMaxTokenAge(t *testing.T) {
	body := readFixture(t, "event_started.json")
	token := handSignedToken(t, "HS256", webhookClaimsFor(body, testNow.Add(-90*time.Second)), testSignatureSecret)
	req := telephony.Request{Method: http.MethodPost, Header: bearer(token), Body: body}
	creds := telephony.Credentials{SigningSecret: testSignatureSecret}

	err := New(Options{MaxTokenAge: time.Minute}).Verify(req, creds, testNow)

	require.ErrorIs(t, err, telephony.ErrBadSignature)
}
