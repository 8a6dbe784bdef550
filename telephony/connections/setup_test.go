package connections_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
)

// fixture is a service over a fresh store with a workspace (default region
// US, time zone America/New_York) that has one phonebook, and a second
// workspace with a phonebook of its own.
type fixture struct {
	ctx       context.Context
	st        *store.Store
	svc       *connections.Service
	ws        string
	phonebook string
	otherWS   string
	otherBook string
}

func setup(t *testing.T, st *store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	keyring, err := secret.NewKeyring("test-master-key-0123456789abcdef")
	require.NoError(t, err)
	f := fixture{ctx: ctx, st: st, svc: connections.New(st, keyring)}

	w := store.Workspace{Name: "Acme", DefaultRegion: "US", TimeZone: "America/New_York"}
	require.NoError(t, st.CreateWorkspace(ctx, &w))
	f.ws = w.ID
	pb := store.Phonebook{WorkspaceID: w.ID, Name: "Customers"}
	require.NoError(t, st.CreatePhonebook(ctx, &pb))
	f.phonebook = pb.ID

	other := store.Workspace{Name: "Other"}
	require.NoError(t, st.CreateWorkspace(ctx, &other))
	f.otherWS = other.ID
	otherPB := store.Phonebook{WorkspaceID: other.ID, Name: "Theirs"}
	require.NoError(t, st.CreatePhonebook(ctx, &otherPB))
	f.otherBook = otherPB.ID
	return f
}

// twilioInput is a valid Twilio connection.
func twilioInput() connections.Input {
	return connections.Input{
		Provider:     "twilio",
		Name:         "Main line",
		Credentials:  map[string]string{"account_id": "AC0123456789abcdef0123456789abcdef", "auth_token": "twilio-auth-token"},
		DefaultRoute: &telephony.Route{Kind: telephony.TargetNumber, Target: "(415) 555-0100"},
	}
}

var (
	keysOnce      sync.Once
	telnyxKey     string
	vonagePrivate string
)

// testKeys returns a Telnyx public key in base64 and a Vonage private key
// in PEM form, made once per test run.
func testKeys(t *testing.T) (string, string) {
	t.Helper()
	keysOnce.Do(func() {
		public, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		telnyxKey = base64.StdEncoding.EncodeToString(public)

		private, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		der, err := x509.MarshalPKCS8PrivateKey(private)
		require.NoError(t, err)
		vonagePrivate = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return telnyxKey, vonagePrivate
}

func base64Of(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}
