package generic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
)

// request is what the fake CRM received.
type request struct {
	Method   string
	URI      string // path and raw query
	Body     string
	JSONBody bool // Content-Type was application/json
}

type fakeCRM struct {
	server *httptest.Server
	mu     sync.Mutex
	seen   []request
}

func (f *fakeCRM) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

// setup starts a fake CRM that responds through handler and returns a
// connector for cfg, in whose templates BASE stands for the fake's URL.
func setup(t *testing.T, cfg Config, handler http.HandlerFunc) (*Connector, *fakeCRM) {
	t.Helper()
	crmServer := &fakeCRM{}
	crmServer.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		crmServer.mu.Lock()
		crmServer.seen = append(crmServer.seen, request{
			Method: r.Method, URI: r.URL.RequestURI(), Body: string(body),
			JSONBody: r.Header.Get("Content-Type") == "application/json",
		})
		crmServer.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(crmServer.server.Close)

	base := crmServer.server.URL
	cfg.LookupURLTemplate = strings.ReplaceAll(cfg.LookupURLTemplate, "BASE", base)
	cfg.ListURLTemplate = strings.ReplaceAll(cfg.ListURLTemplate, "BASE", base)
	cfg.HTTPClient = crmServer.server.Client()
	c := New(cfg)
	require.NoError(t, c.configErr)
	return c, crmServer
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// richConfig reads the records of richBody.
var richConfig = Config{
	LookupURLTemplate: "BASE/api/contacts?phone={e164}&local={national}",
	ResultsPath:       "data.items",
	IDPath:            "id",
	FirstNamePath:     "name.first",
	LastNamePath:      "name.last",
	DisplayNamePath:   "display",
	PhonePaths:        []string{"phones.#.number"},
	EmailPaths:        []string{"email"},
	CompanyPath:       "company.name",
	OwnerPath:         "owner.name",
	OwnerEmailPath:    "owner.email",
	OwnerIDPath:       "owner.id",
	UpdatedAtPath:     "updated_at",
	RecordURLTemplate: "https://crm.example.com/contacts/{id}",
}

const richBody = `{"data": {"total": 1, "items": [{
  "id": 90071992547409931, "name": {"first": "Ada", "last": "Lovelace"}, "display": "Ada Lovelace",
  "phones": [{"label": "work", "number": "+14155550100"}], "email": "ada@example.com",
  "company": {"name": "Analytical Engines"}, "owner": {"id": 7, "name": "Grace Hopper", "email": "grace@example.com"},
  "updated_at": "2024-05-01T09:30:00Z", "tags": [], "meta": {}, "a.b": "dotted", "vip": true, "fax": null}]}}`

var richRecord = crm.Record{
	ID:     "90071992547409931",
	Object: "contact",
	Properties: map[string]any{
		"id": json.Number("90071992547409931"), "name.first": "Ada", "name.last": "Lovelace", "display": "Ada Lovelace",
		"phones.0.label": "work", "phones.0.number": "+14155550100", "phones.#.number": []any{"+14155550100"},
		"email": "ada@example.com", "company.name": "Analytical Engines",
		"owner.id": json.Number("7"), "owner.name": "Grace Hopper", "owner.email": "grace@example.com",
		"updated_at": "2024-05-01T09:30:00Z", "tags": []any{}, "meta": map[string]any{}, `a\.b`: "dotted",
		"vip": true, "fax": nil,
	},
	OwnerID:    "7",
	OwnerName:  "Grace Hopper",
	OwnerEmail: "grace@example.com",
	URL:        "https://crm.example.com/contacts/90071992547409931",
	UpdatedAt:  time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC),
}

func TestSearchByPhone(t *testing.T) {
	minimal := func(id, name string) crm.Record {
		return crm.Record{ID: id, Object: "person", Properties: map[string]any{"key": id, "full_name": name}}
	}
	tests := []struct {
		name   string
		cfg    Config
		status int
		body   string
		want   []crm.Record
		sent   request
	}{
		{
			name: "nested results", cfg: richConfig, status: http.StatusOK, body: richBody,
			want: []crm.Record{richRecord},
			sent: request{Method: "GET", URI: "/api/contacts?phone=%2B14155550100&local=%28415%29%20555-0100"},
		},
		{
			name: "post with body, single object",
			cfg: Config{
				LookupURLTemplate: "BASE/search", Method: "post", BodyTemplate: `{"query": {"phone": "{national}", "digits": "{national_digits}"}}`,
				IDPath: "key", DisplayNamePath: "full_name", Object: "person",
			},
			status: http.StatusOK, body: `{"key": "c-1", "full_name": "Ada"}`,
			want: []crm.Record{minimal("c-1", "Ada")},
			sent: request{Method: "POST", URI: "/search", Body: `{"query":{"phone":"(415) 555-0100","digits":"4155550100"}}`, JSONBody: true},
		},
		{
			name:   "array body, digits in the path",
			cfg:    Config{LookupURLTemplate: "BASE/phones/{digits}/people", IDPath: "key", DisplayNamePath: "full_name", Object: "person"},
			status: http.StatusOK, body: `[{"key": "c-1", "full_name": "Ada"}, {"key": "c-2", "full_name": "Charles"}]`,
			want: []crm.Record{minimal("c-1", "Ada"), minimal("c-2", "Charles")},
			sent: request{Method: "GET", URI: "/phones/14155550100/people"},
		},
		{
			name: "not found", cfg: richConfig, status: http.StatusNotFound, body: `{"error": "no contact"}`,
			sent: request{Method: "GET", URI: "/api/contacts?phone=%2B14155550100&local=%28415%29%20555-0100"},
		},
		{
			name: "null results", cfg: richConfig, status: http.StatusOK, body: `{"data": {"items": null}}`,
			sent: request{Method: "GET", URI: "/api/contacts?phone=%2B14155550100&local=%28415%29%20555-0100"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t, tt.cfg, func(w http.ResponseWriter, r *http.Request) {
				reply(w, tt.status, tt.body)
			})

			records, err := c.SearchByPhone(context.Background(), []string{"+14155550100", "(415) 555-0100"})
			require.NoError(t, err)
			if tt.want == nil {
				require.Empty(t, records)
			} else {
				require.Equal(t, tt.want, records)
			}
			require.Equal(t, []request{tt.sent}, fake.requests())
		})
	}
}

func TestPhoneValues(t *testing.T) {
	values, err := phoneValues("+442079460958")
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"e164": "+442079460958", "digits": "442079460958", "national": "020 7946 0958", "national_digits": "2079460958",
	}, values)

	_, err = phoneValues("020 7946 0958")
	require.ErrorContains(t, err, `"020 7946 0958" is not an E.164 phone number`)
}

func TestEscapeComponent(t *testing.T) {
	require.Equal(t, "%2B1%20%28415%29%20555-0100", escapeComponent("+1 (415) 555-0100"))
	require.Equal(t, "a%2Fb%3Fc%26d%3De%23f%25~._", escapeComponent("a/b?c&d=e#f%~._"))
	require.Equal(t, "%C3%A9", escapeComponent("é"))
}

func TestSearchByPhoneErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		retryAfter   string
		body         string
		unauthorized bool
		unavailable  bool
		wait         time.Duration // RetryAfter of a *crm.RateLimitedError; -1 for none
		message      string
	}{
		{name: "unauthorized", status: 401, body: `{"message": "invalid token"}`, unauthorized: true, wait: -1, message: "invalid token"},
		{name: "rate limited", status: 429, retryAfter: "7", body: `{}`, wait: 7 * time.Second, message: "rate limit"},
		{name: "server error", status: 502, body: `bad gateway`, unavailable: true, wait: -1, message: "HTTP 502"},
		{name: "malformed body", status: 200, body: `{"data": {"items": [`, unavailable: true, wait: -1, message: "invalid JSON"},
		{name: "record without id", status: 200, body: `{"data": {"items": [{"display": "Ada"}]}}`, unavailable: true, wait: -1, message: `without id at "id"`},
		{name: "results not records", status: 200, body: `{"data": {"items": "none"}}`, unavailable: true, wait: -1, message: `has String at results path "data.items"`},
		{name: "item not an object", status: 200, body: `{"data": {"items": [1]}}`, unavailable: true, wait: -1, message: "is Number, not an object"},
		{name: "bad time", status: 200, body: `{"data": {"items": [{"id": 1, "updated_at": "yesterday"}]}}`, unavailable: true, wait: -1, message: `invalid time "yesterday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, richConfig, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				reply(w, tt.status, tt.body)
			})

			_, err := c.SearchByPhone(context.Background(), []string{"+14155550100"})
			require.Error(t, err)
			require.Equal(t, tt.unauthorized, errors.Is(err, crm.ErrUnauthorized), "ErrUnauthorized: %v", err)
			require.Equal(t, tt.unavailable, errors.Is(err, crm.ErrUnavailable), "ErrUnavailable: %v", err)
			require.ErrorContains(t, err, tt.message)

			var limited *crm.RateLimitedError
			if tt.wait < 0 {
				require.False(t, errors.As(err, &limited))
				return
			}
			require.ErrorAs(t, err, &limited)
			require.Equal(t, tt.wait, limited.RetryAfter)
		})
	}
}

func TestSearchByPhoneSlowResponse(t *testing.T) {
	c, _ := setup(t, richConfig, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	_, err := c.SearchByPhone(ctx, []string{"+14155550100"})
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name string
		json string
		want time.Time
	}{
		{name: "rfc3339 with offset", json: `{"t": "2024-05-10T14:00:00.5+02:00"}`, want: time.Date(2024, 5, 10, 12, 0, 0, 5e8, time.UTC)},
		{name: "unix seconds", json: `{"t": 1715342400}`, want: time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)},
		{name: "unix milliseconds", json: `{"t": 1715342400250}`, want: time.Date(2024, 5, 10, 12, 0, 0, 25e7, time.UTC)},
		{name: "null", json: `{"t": null}`},
		{name: "missing", json: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := items([]byte(tt.json), "")
			require.NoError(t, err)
			got, err := parseTime(items[0].Get("t"))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
