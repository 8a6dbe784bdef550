package generic

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
)

// listConfig lists records of the form {"id", "name", "updated"}.
var listConfig = Config{
	LookupURLTemplate: "BASE/contacts/search?q={digits}",
	ListURLTemplate:   "BASE/contacts?updated_since={since}&page={cursor}",
	ResultsPath:       "results",
	ListResultsPath:   "data",
	NextCursorPath:    "paging.next",
	IDPath:            "id",
	DisplayNamePath:   "name",
	UpdatedAtPath:     "updated",
	ArchivedPath:      "deleted",
	OwnerPath:         "owner",
}

func listed(id, name string, updated int64, deleted bool) crm.Record {
	return crm.Record{
		ID: id, Object: "contact",
		Properties: map[string]any{"id": id, "name": name, "updated": json.Number(strconv.FormatInt(updated, 10)), "deleted": deleted},
		UpdatedAt:  time.Unix(updated, 0).UTC(),
		Archived:   deleted,
	}
}

func TestListChangedPages(t *testing.T) {
	pages := map[string]string{
		"/contacts?updated_since=2024-05-10T12%3A00%3A00Z&page=": `{"data": [
		    {"id": "2", "name": "Bea", "updated": 1715342500, "deleted": false},
		    {"id": "1", "name": "Al", "updated": 1715342400, "deleted": false}],
		  "paging": {"next": "p2"}}`,
		"/contacts?updated_since=2024-05-10T12%3A00%3A00Z&page=p2": `{"data": [{"id": "3", "name": "Cy", "updated": 1715342600, "deleted": true}], "paging": {"next": null}}`,
	}
	c, fake := setup(t, listConfig, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, pages[r.URL.RequestURI()])
	})
	since := time.Date(2024, 5, 10, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))

	first, err := c.ListChanged(context.Background(), since, "")
	require.NoError(t, err)
	require.Equal(t, crm.Page{Records: []crm.Record{listed("1", "Al", 1715342400, false), listed("2", "Bea", 1715342500, false)}, Next: "p2"}, first)

	second, err := c.ListChanged(context.Background(), since, first.Next)
	require.NoError(t, err)
	require.Equal(t, crm.Page{Records: []crm.Record{listed("3", "Cy", 1715342600, true)}}, second)
	require.Len(t, fake.requests(), 2)
}

func TestListChangedSinceFormats(t *testing.T) {
	tests := []struct {
		name   string
		format string
		since  time.Time
		uri    string
	}{
		{name: "rfc3339", format: SinceRFC3339, since: time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC), uri: "/contacts?updated_since=2024-05-10T12%3A00%3A00Z&page="},
		{name: "unix", format: SinceUnix, since: time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC), uri: "/contacts?updated_since=1715342400&page="},
		{name: "unix ms", format: SinceUnixMS, since: time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC), uri: "/contacts?updated_since=1715342400000&page="},
		{name: "zero is the epoch", format: "", uri: "/contacts?updated_since=1970-01-01T00%3A00%3A00Z&page="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := listConfig
			cfg.SinceFormat = tt.format
			c, fake := setup(t, cfg, func(w http.ResponseWriter, r *http.Request) {
				reply(w, http.StatusOK, `{"data": []}`)
			})

			page, err := c.ListChanged(context.Background(), tt.since, "")
			require.NoError(t, err)
			require.Equal(t, crm.Page{Records: []crm.Record{}}, page)
			require.Equal(t, []request{{Method: "GET", URI: tt.uri}}, fake.requests())
		})
	}
}

func TestListChangedFollowsNextLinks(t *testing.T) {
	cfg := listConfig
	cfg.ListURLTemplate, cfg.NextCursorPath = "BASE/contacts?since={since}", "links.next"
	var base string
	c, fake := setup(t, cfg, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "" {
			reply(w, http.StatusOK, `{"data": [], "links": {"next": "`+base+`/contacts?since=x&offset=50"}}`)
			return
		}
		reply(w, http.StatusOK, `{"data": [], "links": {"next": "https://other.example.com/contacts?offset=100"}}`)
	})
	base = fake.server.URL

	first, err := c.ListChanged(context.Background(), time.Time{}, "")
	require.NoError(t, err)
	second, err := c.ListChanged(context.Background(), time.Time{}, first.Next)
	require.NoError(t, err)
	_, err = c.ListChanged(context.Background(), time.Time{}, second.Next)
	require.NoError(t, err)

	require.Equal(t, []request{
		{Method: "GET", URI: "/contacts?since=1970-01-01T00%3A00%3A00Z"},
		{Method: "GET", URI: "/contacts?since=x&offset=50"},
		{Method: "GET", URI: "/contacts?since=1970-01-01T00%3A00%3A00Z"},
	}, fake.requests(), "a next link on another host is not followed")
}

func TestListChangedRepeatedCursor(t *testing.T) {
	c, _ := setup(t, listConfig, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `{"data": [], "paging": {"next": "p2"}}`)
	})

	_, err := c.ListChanged(context.Background(), time.Time{}, "p2")
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorContains(t, err, `returned the cursor of the requested page, "p2"`)
}

func TestListChangedNotConfigured(t *testing.T) {
	cfg := richConfig
	cfg.LookupURLTemplate = "https://crm.example.com/api/contacts?phone={e164}"
	_, err := New(cfg).ListChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, ErrSyncNotConfigured)
}

func TestTest(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		listStatus int
		want       crm.Capabilities
		requests   int
	}{
		{
			name: "lookup and sync", cfg: listConfig, listStatus: http.StatusOK, requests: 2,
			want: crm.Capabilities{
				CanSearchPhone: true, CanListChanges: true, CanReadOwners: true,
				Notes: []string{"The lookup of +12025550100 found 1 records."},
			},
		},
		{
			name: "listing fails", cfg: listConfig, listStatus: http.StatusServiceUnavailable, requests: 2,
			want: crm.Capabilities{
				CanSearchPhone: true, CanReadOwners: true,
				Notes: []string{
					"The lookup of +12025550100 found 1 records.",
					"Listing changes failed: generic CRM change listing: CRM is unavailable: HTTP 503: down",
				},
			},
		},
		{
			name: "lookup only", cfg: Config{LookupURLTemplate: "BASE/contacts/search?q={digits}", ResultsPath: "results", IDPath: "id", DisplayNamePath: "name", TestNumber: "+442079460958"},
			requests: 1,
			want: crm.Capabilities{
				CanSearchPhone: true,
				Notes: []string{
					"The lookup of +442079460958 found 1 records.",
					"Sync is not configured: set settings.list_url_template to sync contacts into a phonebook.",
					"No owner path is set, so records have no owner.",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t, tt.cfg, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/contacts/search") {
					reply(w, http.StatusOK, `{"results": [{"id": "1", "name": "Al", "owner": "Grace"}]}`)
					return
				}
				reply(w, tt.listStatus, `{"data": [], "message": "down"}`)
			})

			caps, err := c.Test(context.Background())
			require.NoError(t, err)
			tt.want.Account = strings.TrimPrefix(fake.server.URL, "http://")
			require.Equal(t, tt.want, caps)
			require.Len(t, fake.requests(), tt.requests)
		})
	}
}

func TestTestRejectedCredentials(t *testing.T) {
	c, _ := setup(t, listConfig, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusForbidden, `{"error": "forbidden"}`)
	})

	_, err := c.Test(context.Background())
	require.ErrorIs(t, err, crm.ErrUnauthorized)
}

func TestFieldsFromSample(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []crm.Field
	}{
		{
			name: "from the listing", cfg: listConfig,
			want: []crm.Field{
				{Name: "deleted", Label: "deleted", Type: "boolean", Object: "contact"},
				{Name: "id", Label: "id", Type: "string", Object: "contact"},
				{Name: "name", Label: "name", Type: "string", Object: "contact"},
				{Name: "updated", Label: "updated", Type: "number", Object: "contact"},
			},
		},
		{
			name: "from the lookup",
			cfg:  Config{LookupURLTemplate: "BASE/contacts/search?q={digits}", ResultsPath: "results", IDPath: "id", DisplayNamePath: "name", PhonePaths: []string{"phones.#"}},
			want: []crm.Field{
				{Name: "id", Label: "id", Type: "string", Object: "contact"},
				{Name: "name", Label: "name", Type: "string", Object: "contact"},
				{Name: "phones.#", Label: "phones.#", Type: "number", Object: "contact"},
				{Name: "phones.0", Label: "phones.0", Type: "string", Object: "contact"},
				{Name: "tags", Label: "tags", Type: "array", Object: "contact"},
				{Name: "x", Label: "x", Type: "null", Object: "contact"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, tt.cfg, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/contacts/search") {
					reply(w, http.StatusOK, `{"results": [{"id": "1", "name": "Al", "phones": ["+12025550100"], "tags": [], "x": null}]}`)
					return
				}
				reply(w, http.StatusOK, `{"data": [{"id": "2", "name": "Bea", "updated": 1715342500, "deleted": false}]}`)
			})

			fields, err := c.Fields(context.Background())
			require.NoError(t, err)
			require.Equal(t, tt.want, fields)
		})
	}
}

func TestSampleNone(t *testing.T) {
	c, _ := setup(t, Config{LookupURLTemplate: "BASE/search?q={e164}", IDPath: "id", DisplayNamePath: "name"}, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `[]`)
	})

	_, err := c.Sample(context.Background())
	require.ErrorIs(t, err, crm.ErrNoSample)
	require.ErrorContains(t, err, "set settings.test_number to a number in the CRM")
}

func TestRecordURL(t *testing.T) {
	c := New(richConfig)
	require.Equal(t, "https://crm.example.com/contacts/a%2Fb%20c", c.RecordURL(crm.Record{ID: "a/b c"}))
	require.Equal(t, "", New(Config{}).RecordURL(crm.Record{ID: "1"}))
}
