package generic_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
)

// testSecret is the secret used by the tests below; any whsec_ secret works.
const testSecret = "whsec_c2VjcmV0LWZvci1zd2l0Y2hib2FyZC10ZXN0cw=="

func TestSignStandardWebhooksVector(t *testing.T) {
	// Test vector of the Standard Webhooks reference libraries
	// (github.com/standard-webhooks/standard-webhooks, libraries/go).
	signature, err := generic.Sign(
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0),
		[]byte(`{"test": 2432232314}`),
	)

	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature)
}

func TestSignSecretWithoutPrefix(t *testing.T) {
	withPrefix, err := generic.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", time.Unix(1614265330, 0), []byte(`{}`))
	require.NoError(t, err)

	withoutPrefix, err := generic.Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", time.Unix(1614265330, 0), []byte(`{}`))
	require.NoError(t, err)

	require.Equal(t, withPrefix, withoutPrefix)
}

func TestSignInvalidSecret(t *testing.T) {
	for _, secret := range []string{"", "whsec_", "whsec_not base64!"} {
		t.Run(strconv.Quote(secret), func(t *testing.T) {
			_, err := generic.Sign(secret, "msg_1", time.Unix(1614265330, 0), []byte(`{}`))
			require.ErrorIs(t, err, generic.ErrInvalidSecret)
		})
	}
}

// signedRequest returns body with Standard Webhooks headers signed at ts.
func signedRequest(t *testing.T, body []byte, ts time.Time) telephony.Request {
	t.Helper()
	signature, err := generic.Sign(testSecret, "msg_2dGxYz8Qw1Lp4Vn7Rk0Ts3Uc", ts, body)
	require.NoError(t, err)

	header := http.Header{}
	header.Set("webhook-id", "msg_2dGxYz8Qw1Lp4Vn7Rk0Ts3Uc")
	header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	header.Set("webhook-signature", signature)
	return telephony.Request{Method: http.MethodPost, Header: header, Body: body}
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 2, 12, 0, time.UTC)
	body := readFixture(t, "ringing_inbound.json")
	creds := telephony.Credentials{SigningSecret: testSecret}

	tests := []struct {
		name    string
		request func() telephony.Request
		creds   telephony.Credentials
		wantErr bool
	}{
		{name: "valid signature", request: func() telephony.Request { return signedRequest(t, body, now) }, creds: creds},
		{
			name: "one of several signatures matches",
			request: func() telephony.Request {
				req := signedRequest(t, body, now)
				valid := req.Header.Get("webhook-signature")
				req.Header.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc "+valid)
				return req
			},
			creds: creds,
		},
		{
			name:    "wrong secret",
			request: func() telephony.Request { return signedRequest(t, body, now) },
			creds:   telephony.Credentials{SigningSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			wantErr: true,
		},
		{
			name: "tampered body",
			request: func() telephony.Request {
				req := signedRequest(t, body, now)
				req.Body = []byte(string(body[:len(body)-2]) + ` `)
				return req
			},
			creds:   creds,
			wantErr: true,
		},
		{
			name: "different webhook id",
			request: func() telephony.Request {
				req := signedRequest(t, body, now)
				req.Header.Set("webhook-id", "msg_other")
				return req
			},
			creds:   creds,
			wantErr: true,
		},
		{
			name:    "stale timestamp",
			request: func() telephony.Request { return signedRequest(t, body, now.Add(-5*time.Minute-time.Second)) },
			creds:   creds,
			wantErr: true,
		},
		{
			name:    "future timestamp",
			request: func() telephony.Request { return signedRequest(t, body, now.Add(5*time.Minute+time.Second)) },
			creds:   creds,
			wantErr: true,
		},
		{
			name: "only other versions",
			request: func() telephony.Request {
				req := signedRequest(t, body, now)
				req.Header.Set("webhook-signature", "v1a,"+req.Header.Get("webhook-signature")[3:])
				return req
			},
			creds:   creds,
			wantErr: true,
		},
		{name: "missing id", request: withoutHeader(t, body, now, "webhook-id"), creds: creds, wantErr: true},
		{name: "missing timestamp", request: withoutHeader(t, body, now, "webhook-timestamp"), creds: creds, wantErr: true},
		{name: "missing signature", request: withoutHeader(t, body, now, "webhook-signature"), creds: creds, wantErr: true},
		{
			name: "timestamp not a number",
			request: func() telephony.Request {
				req := signedRequest(t, body, now)
				req.Header.Set("webhook-timestamp", "1773151332.5")
				return req
			},
			creds:   creds,
			wantErr: true,
		},
		{
			name:    "secret not configured",
			request: func() telephony.Request { return signedRequest(t, body, now) },
			creds:   telephony.Credentials{},
			wantErr: true,
		},
	}

	adapter := generic.New(generic.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := adapter.Verify(tt.request(), tt.creds, now)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		})
	}
}

func withoutHeader(t *testing.T, body []byte, now time.Time, name string) func() telephony.Request {
	return func() telephony.Request {
		req := signedRequest(t, body, now)
		req.Header.Del(name)
		return req
	}
}
