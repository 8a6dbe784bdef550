package hubspot

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

// newTestConnector returns a connector for fake that sends a private app
// token and runs on a fixed clock, 2025-03-04 22:00 UTC.
func newTestConnector(fake *crmhttptest.Server, cfg Config) *Connector {
	cfg.BaseURL = fake.URL
	cfg.HTTPClient = fake.Client("Authorization", "Bearer pat-na1-test")
	connector := New(cfg)
	connector.now = func() time.Time { return time.Date(2025, 3, 4, 22, 0, 0, 0, time.UTC) }
	return connector
}

func mustTime(t *testing.T, value string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339Nano, value)
	require.NoError(t, err)
	return parsed
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func encodeCursorRaw(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
