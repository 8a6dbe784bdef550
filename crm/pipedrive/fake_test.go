package pipedrive

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
)

// newTestConnector returns a connector for fake that sends an API token
// in x-api-token and runs on a fixed clock, 2025-03-04 22:00 UTC.
func newTestConnector(fake *crmhttptest.Server, cfg Config) *Connector {
	cfg.BaseURL = fake.URL
	cfg.HTTPClient = fake.Client("x-api-token", "test-api-token")
	connector := New(cfg)
	connector.now = func() time.Time { return time.Date(2025, 3, 4, 22, 0, 0, 0, time.UTC) }
	return connector
}

func mustTime(t *testing.T, value string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339, value)
	require.NoError(t, err)
	return parsed
}

const adaJSON = `{
  "id": 301, "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace",
  "owner_id": 7001, "org_id": 55,
  "add_time": "2024-11-02T09:15:00Z", "update_time": "2025-02-01T08:30:00Z",
  "emails": [{"value": "ada@example.com", "primary": true, "label": "work"}],
  "phones": [{"value": "+1 415-555-0123", "primary": true, "label": "work"}],
  "is_deleted": false, "visible_to": 3, "label_ids": [], "picture_id": null,
  "custom_fields": {"d4de1c1518b4531717c676029a45911c340390a6": "VIP", "0e8a8f5e2bd56b6f1d1b8d5c2b8c8e2d9b8f7a61": null}
}`

const alanJSON = `{
  "id": 303, "name": "Alan Turing", "first_name": "Alan", "last_name": "Turing",
  "owner_id": null, "org_id": null,
  "add_time": "2024-12-01T10:00:00Z", "update_time": "2025-02-02T09:00:00Z",
  "emails": [], "phones": [{"value": "020 7946 0303", "primary": true, "label": "mobile"}],
  "is_deleted": false, "visible_to": 3, "custom_fields": {}
}`

const usersJSON = `{"success": true, "data": [
  {"id": 7001, "name": "Grace Hopper", "email": "grace@example.com", "active_flag": true, "is_admin": 1},
  {"id": 7002, "name": "Katherine Johnson", "email": "katherine@example.com", "active_flag": true, "is_admin": 0}
]}`

const orgsJSON = `{"success": true, "data": [{"id": 55, "name": "Analytical Engines", "owner_id": 7001}], "additional_data": {"next_cursor": null}}`

// adaRecordProperties are the properties of the record made of adaJSON
// once its organization name is known.
func adaRecordProperties() map[string]any {
	return map[string]any{
		"id": float64(301), "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace",
		"owner_id": float64(7001), "org_id": float64(55),
		"add_time": "2024-11-02T09:15:00Z", "update_time": "2025-02-01T08:30:00Z",
		"emails":     []any{map[string]any{"value": "ada@example.com", "primary": true, "label": "work"}},
		"phones":     []any{map[string]any{"value": "+1 415-555-0123", "primary": true, "label": "work"}},
		"is_deleted": false, "visible_to": float64(3), "label_ids": []any{},
		"d4de1c1518b4531717c676029a45911c340390a6": "VIP",
		"org_name": "Analytical Engines",
	}
}

// expectEnrichment queues the user list and organization responses that
// resolve Ada's owner and organization.
func expectEnrichment(fake *crmhttptest.Server) {
	fake.OK(http.MethodGet, "/api/v1/users", usersJSON)
	fake.OK(http.MethodGet, "/api/v2/organizations", orgsJSON)
}

func sprint(value any) string { return fmt.Sprint(value) }
