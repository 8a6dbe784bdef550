package telnyx_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
)

// signer holds a key pair generated for one test.
type signer struct {
	public  ed25519.PublicKey
	private ed25519.PrivateKey
}

func newSigner(t *testing.T) signer {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return signer{public: public, private: private}
}

// creds returns connection credentials holding the signer's public key.
func (s signer) creds() telephony.Credentials {
	return telephony.Credentials{PublicKey: base64.StdEncoding.EncodeToString(s.public)}
}

// request signs body as Telnyx does, with the timestamp at.
func (s signer) request(body []byte, at time.Time) telephony.Request {
	timestamp := strconv.FormatInt(at.Unix(), 10)
	signature := ed25519.Sign(s.private, append([]byte(timestamp+"|"), body...))

	header := http.Header{}
	header.Set("telnyx-signature-ed25519", base64.StdEncoding.EncodeToString(signature))
	header.Set("telnyx-timestamp", timestamp)
	return telephony.Request{Method: http.MethodPost, Header: header, Body: body}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 2, 12, 0, time.UTC)
	body := readFixture(t, "call_initiated_incoming.json")
	key := newSigner(t)
	otherKey := newSigner(t)

	tests := []struct {
		name    string
		request func() telephony.Request
		creds   telephony.Credentials
		wantErr bool
	}{
		{
			name:    "valid signature",
			request: func() telephony.Request { return key.request(body, now.Add(-2*time.Second)) },
			creds:   key.creds(),
		},
		{
			name:    "timestamp at tolerance edge",
			request: func() telephony.Request { return key.request(body, now.Add(-5*time.Minute)) },
			creds:   key.creds(),
		},
		{
			name:    "wrong public key",
			request: func() telephony.Request { return key.request(body, now) },
			creds:   otherKey.creds(),
			wantErr: true,
		},
		{
			name: "tampered body",
			request: func() telephony.Request {
				req := key.request(body, now)
				req.Body = append([]byte{}, body...)
				req.Body[len(req.Body)-3] = ' '
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name:    "stale timestamp",
			request: func() telephony.Request { return key.request(body, now.Add(-5*time.Minute-time.Second)) },
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name:    "future timestamp",
			request: func() telephony.Request { return key.request(body, now.Add(5*time.Minute+time.Second)) },
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name: "timestamp header replaced",
			request: func() telephony.Request {
				req := key.request(body, now.Add(-time.Minute))
				req.Header.Set("telnyx-timestamp", strconv.FormatInt(now.Unix(), 10))
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name: "missing signature header",
			request: func() telephony.Request {
				req := key.request(body, now)
				req.Header.Del("telnyx-signature-ed25519")
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name: "missing timestamp header",
			request: func() telephony.Request {
				req := key.request(body, now)
				req.Header.Del("telnyx-timestamp")
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name: "timestamp not a number",
			request: func() telephony.Request {
				req := key.request(body, now)
				req.Header.Set("telnyx-timestamp", "2026-03-10T14:02:12Z")
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name: "signature not base64",
			request: func() telephony.Request {
				req := key.request(body, now)
				req.Header.Set("telnyx-signature-ed25519", "not base64!")
				return req
			},
			creds:   key.creds(),
			wantErr: true,
		},
		{
			name:    "public key missing",
			request: func() telephony.Request { return key.request(body, now) },
			creds:   telephony.Credentials{},
			wantErr: true,
		},
		{
			name:    "public key wrong length",
			request: func() telephony.Request { return key.request(body, now) },
			creds:   telephony.Credentials{PublicKey: base64.StdEncoding.EncodeToString([]byte("short"))},
			wantErr: true,
		},
	}

	adapter := telnyx.New(telnyx.Options{})
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

func TestVerifyCustomTolerance(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 2, 12, 0, time.UTC)
	body := readFixture(t, "call_hangup.json")
	key := newSigner(t)
	adapter := telnyx.New(telnyx.Options{Tolerance: time.Minute})

	err := adapter.Verify(key.request(body, now.Add(-30*time.Second)), key.creds(), now)
	require.NoError(t, err)

	err = adapter.Verify(key.request(body, now.Add(-2*time.Minute)), key.creds(), now)
	require.ErrorIs(t, err, telephony.ErrBadSignature)
}
