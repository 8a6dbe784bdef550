package twilio

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

const (
	testAuthToken  = "9b1f0c6e2d4a8f3b7c5e1a9d0b2c4e6f"
	testAccountSid = "AC3f1d8a2b9c4e5f60718293a4b5c6d7e8"
	testVoiceURL   = "https://switchboard.example.com/hooks/twilio/4f1c2a9e/voice"
)

// TestSignatureKnownAnswer checks Signature against the worked example of
// Twilio's security documentation (auth token "12345"), in both versions the
// documentation has shown over time.
func TestSignatureKnownAnswer(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		want   string
	}{
		{name: "older example", caller: "+14158675309", want: "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{name: "newer example", caller: "+12349013030", want: "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := url.Values{
				"CallSid": {"CA1234567890ABCDE"},
				"Caller":  {tt.caller},
				"Digits":  {"1234"},
				"From":    {tt.caller},
				"To":      {"+18005551212"},
			}
			got := Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestSignatureSortsRepeatedValues(t *testing.T) {
	a := Signature(testAuthToken, testVoiceURL, url.Values{"Tag": {"b", "a"}})
	b := Signature(testAuthToken, testVoiceURL, url.Values{"Tag": {"a", "b"}})

	require.Equal(t, a, b)
}

// signedRequest returns a form POST of the fixture to rawURL, signed for
// signedURL with the test auth token.
func signedRequest(t *testing.T, fixture, rawURL, signedURL string) telephony.Request {
	t.Helper()
	body := readFixture(t, fixture)
	params, err := url.ParseQuery(string(body))
	require.NoError(t, err)

	header := http.Header{}
	header.Set(SignatureHeader, Signature(testAuthToken, signedURL, params))
	return telephony.Request{Method: http.MethodPost, PublicURL: rawURL, Header: header, Body: body, Hook: HookVoice}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		request func(t *testing.T) telephony.Request
		token   string
		wantErr bool
	}{
		{
			name:  "signed form POST",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
			},
		},
		{
			name:  "URL with query string",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				u := testVoiceURL + "?region=eu&x=a%2Bb"
				return signedRequest(t, "voice_inbound.form", u, u)
			},
		},
		{
			name:  "signed with default port, received without",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				signed := "https://switchboard.example.com:443/hooks/twilio/4f1c2a9e/voice"
				return signedRequest(t, "voice_inbound.form", testVoiceURL, signed)
			},
		},
		{
			name:  "signed without port, received with",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				public := "https://switchboard.example.com:443/hooks/twilio/4f1c2a9e/voice"
				return signedRequest(t, "voice_inbound.form", public, testVoiceURL)
			},
		},
		{
			name:  "GET with parameters in the URL",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				u := testVoiceURL + "?CallSid=CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c8e&From=%2B14155550123"
				header := http.Header{}
				header.Set(SignatureHeader, Signature(testAuthToken, u, nil))
				return telephony.Request{Method: http.MethodGet, PublicURL: u, Header: header}
			},
		},
		{
			name: "wrong auth token",
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
			},
			token:   "0000000000000000000000000000beef",
			wantErr: true,
		},
		{
			name: "empty auth token",
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
			},
			token:   "",
			wantErr: true,
		},
		{
			name:  "tampered parameter",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				req := signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
				params, err := url.ParseQuery(string(req.Body))
				require.NoError(t, err)
				params.Set("From", "+14155550199")
				req.Body = []byte(params.Encode())
				return req
			},
			wantErr: true,
		},
		{
			name:  "added parameter",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				req := signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
				req.Body = append(req.Body, []byte("&Digits=1")...)
				return req
			},
			wantErr: true,
		},
		{
			name:  "changed URL",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", "https://switchboard.example.com/hooks/twilio/9d9d9d9d/voice", testVoiceURL)
			},
			wantErr: true,
		},
		{
			name:  "changed scheme",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", "http://switchboard.example.com/hooks/twilio/4f1c2a9e/voice", testVoiceURL)
			},
			wantErr: true,
		},
		{
			name:  "missing header",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				req := signedRequest(t, "voice_inbound.form", testVoiceURL, testVoiceURL)
				req.Header.Del(SignatureHeader)
				return req
			},
			wantErr: true,
		},
		{
			name:  "invalid public URL",
			token: testAuthToken,
			request: func(t *testing.T) telephony.Request {
				return signedRequest(t, "voice_inbound.form", "/hooks/twilio/4f1c2a9e/voice", "/hooks/twilio/4f1c2a9e/voice")
			},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := telephony.Credentials{AccountID: testAccountSid, AuthToken: tt.token}
			err := New(Options{}).Verify(tt.request(t), creds, time.Now())

			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		})
	}
}

func TestVerifyJSONBody(t *testing.T) {
	body := []byte(`{"CallSid":"CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c8e","CallStatus":"completed"}`)
	sum := sha256.Sum256(body)
	publicURL := "https://switchboard.example.com/hooks/twilio/4f1c2a9e/status?bodySHA256=" + hex.EncodeToString(sum[:])

	tests := []struct {
		name    string
		body    []byte
		wantErr bool
	}{
		{name: "body matches hash", body: body},
		{name: "tampered body", body: []byte(`{"CallSid":"CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c8e","CallStatus":"busy"}`), wantErr: true},
		{name: "empty body", body: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			header.Set("Content-Type", "application/json")
			header.Set(SignatureHeader, Signature(testAuthToken, publicURL, nil))
			req := telephony.Request{Method: http.MethodPost, PublicURL: publicURL, Header: header, Body: tt.body}

			err := New(Options{}).Verify(req, telephony.Credentials{AuthToken: testAuthToken}, time.Now())

			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		})
	}
}

func TestURLForms(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{name: "https adds 443", raw: "https://example.com/voice?a=1", want: []string{"https://example.com/voice?a=1", "https://example.com:443/voice?a=1"}},
		{name: "http adds 80", raw: "http://example.com/voice", want: []string{"http://example.com/voice", "http://example.com:80/voice"}},
		{name: "port removed", raw: "https://example.com:8443/voice", want: []string{"https://example.com:8443/voice", "https://example.com/voice"}},
		{name: "IPv6 port removed", raw: "http://[::1]:8080/voice", want: []string{"http://[::1]:8080/voice", "http://[::1]/voice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parsed, err := url.Parse(tt.raw)
			require.NoError(t, err)

			require.Equal(t, tt.want, urlForms(tt.raw, parsed))
		})
	}
}
