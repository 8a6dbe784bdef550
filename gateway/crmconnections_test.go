package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/hubspot"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// fakeHubSpot responds to the HubSpot requests the connector sends, as
// HubSpot documents them: account details, one contact, its owner, the
// contact properties, and an OAuth consent page and token endpoint.
type fakeHubSpot struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// tokens are the bearer tokens the API accepts.
	tokens map[string]bool
	codes  map[string]bool
	issued int
	// firstExpiresIn is the lifetime of the token issued for a code, in
	// seconds; refreshed tokens live an hour.
	firstExpiresIn int
	// retryAfter, when set, makes the API respond 429 with it.
	retryAfter string

	refreshes atomic.Int32
}

func newFakeHubSpot(t *testing.T) *fakeHubSpot {
	h := &fakeHubSpot{t: t, tokens: map[string]bool{"pat-valid": true}, codes: map[string]bool{}, firstExpiresIn: 1800}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /account-info/v3/details", h.api(`{"portalId":123456,"timeZone":"Europe/Berlin","uiDomain":"app-eu1.hubspot.com"}`))
	mux.HandleFunc("GET /crm/v3/objects/contacts", h.api(`{"results":[{"id":"51","properties":{"firstname":"Ann","lastname":"Lee",
		"email":"Ann.Lee@example.com","phone":"(415) 555-0142","mobilephone":null,"company":"Acme Ltd","customer_tier":"Gold",
		"hubspot_owner_id":"901","lastmodifieddate":"2026-03-10T14:02:11.042Z"},"createdAt":"2025-01-02T10:00:00Z",
		"updatedAt":"2026-03-10T14:02:11.042Z","archived":false}]}`))
	mux.HandleFunc("GET /crm/v3/owners", h.api(`{"results":[{"id":"901","email":"bo@acme.example","firstName":"Bo","lastName":"Diaz"}]}`))
	mux.HandleFunc("GET /crm/v3/owners/901", h.api(`{"id":"901","email":"bo@acme.example","firstName":"Bo","lastName":"Diaz"}`))
	mux.HandleFunc("GET /crm/v3/properties/contacts", h.api(`{"results":[
		{"name":"firstname","label":"First Name","type":"string"},{"name":"lastname","label":"Last Name","type":"string"},
		{"name":"email","label":"Email","type":"string"},{"name":"phone","label":"Phone Number","type":"string"},
		{"name":"mobilephone","label":"Mobile Phone Number","type":"string"},{"name":"company","label":"Company Name","type":"string"},
		{"name":"customer_tier","label":"Customer tier","type":"enumeration","options":[{"label":"Gold","value":"gold"},{"label":"Silver","value":"silver"}]}]}`))
	mux.HandleFunc("GET /oauth/authorize", h.consent)
	mux.HandleFunc("POST /oauth/v3/token", h.token)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHubSpot) URL() string { return h.srv.URL }

// api returns a handler that responds with body to an accepted bearer
// token, and with HubSpot's 401 or 429 otherwise.
func (h *fakeHubSpot) api(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		valid := h.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		retryAfter := h.retryAfter
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !valid:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`))
		case retryAfter != "":
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"status":"error","message":"You have reached your secondly limit.","category":"RATE_LIMITS","policyName":"SECONDLY"}`))
		default:
			w.Write([]byte(body))
		}
	}
}

// consent stands for the admin approving the app: it sends the browser
// back to redirect_uri with a code and the state.
func (h *fakeHubSpot) consent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	require.Equal(h.t, "client-1", q.Get("client_id"))
	h.mu.Lock()
	code := "code-" + strconv.Itoa(len(h.codes)+1)
	h.codes[code] = true
	h.mu.Unlock()
	back := q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back, http.StatusFound)
}

func (h *fakeHubSpot) token(w http.ResponseWriter, r *http.Request) {
	require.NoError(h.t, r.ParseForm())
	require.Equal(h.t, "client-secret-1", r.PostForm.Get("client_secret"))
	w.Header().Set("Content-Type", "application/json")

	h.mu.Lock()
	defer h.mu.Unlock()
	expiresIn := 3600
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		if !h.codes[r.PostForm.Get("code")] {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"auth code not found"}`))
			return
		}
		delete(h.codes, r.PostForm.Get("code"))
		expiresIn = h.firstExpiresIn
	case "refresh_token":
		h.refreshes.Add(1)
		require.Equal(h.t, "rt-1", r.PostForm.Get("refresh_token"))
	}
	h.issued++
	access := "at-" + strconv.Itoa(h.issued)
	h.tokens[access] = true
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "refresh_token": "rt-1", "token_type": "bearer", "expires_in": expiresIn})
}

// crmAPI sends JSON requests with a key through the OpenAPI-checking
// client.
type crmAPI struct {
	t    *testing.T
	spec *specClient
	key  string
}

func (a crmAPI) do(method, path string, body any) *testResponse {
	a.t.Helper()
	headers := []string{"Authorization", bearer(a.key)}
	text := ""
	if body != nil {
		encoded, err := json.Marshal(body)
		require.NoError(a.t, err)
		text = string(encoded)
		headers = append(headers, "Content-Type", "application/json")
	}
	return a.spec.send(method, path, text, headers...)
}

func setupCRM(t *testing.T) (*testServer, crmAPI, *fakeHubSpot) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	return ts, crmAPI{t: t, spec: newSpecClient(t, ts), key: ts.AdminKey}, newFakeHubSpot(t)
}

func createHubSpot(t *testing.T, api crmAPI, hs *fakeHubSpot, token string) crmConnectionView {
	t.Helper()
	var conn crmConnectionView
	api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
		"kind": "hubspot", "name": "HubSpot", "base_url": hs.URL(), "auth": map[string]any{"type": "token", "token": token},
	}).decode(t, http.StatusCreated, &conn)
	return conn
}

func TestCRMConnectionTokenLifecycle(t *testing.T) {
	ts, api, hs := setupCRM(t)

	resp := api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
		"kind": "hubspot", "name": "HubSpot", "base_url": hs.URL(), "auth": map[string]any{"type": "token", "token": "pat-valid"},
	})
	var conn crmConnectionView
	resp.decode(t, http.StatusCreated, &conn)
	require.Equal(t, "/v1/crm-connections/"+conn.ID, resp.Header.Get("Location"))
	require.NotContains(t, string(resp.Body), "pat-valid", "responses never contain a secret")
	require.Equal(t, crmconn.AuthSummary{Type: "token", Token: "set", Authorized: true}, conn.Auth)
	require.True(t, conn.MappingIsDefault)
	require.Nil(t, conn.PhonebookID)

	var list struct {
		Data []crmConnectionView `json:"data"`
	}
	api.do(http.MethodGet, "/v1/crm-connections", nil).decode(t, http.StatusOK, &list)
	require.Len(t, list.Data, 1)

	var capabilities crm.Capabilities
	api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).decode(t, http.StatusOK, &capabilities)
	require.Equal(t, "HubSpot portal 123456", capabilities.Account)
	require.True(t, capabilities.CanSearchPhone)
	require.True(t, capabilities.CanReadOwners)
	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID, nil).decode(t, http.StatusOK, &conn)
	require.Equal(t, "123456", conn.Settings.PortalID, "the test stores the portal id for record links")
	require.Equal(t, "https://app-eu1.hubspot.com", conn.Settings.AppBaseURL)

	var fields struct {
		Data []crm.Field `json:"data"`
	}
	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/fields", nil).decode(t, http.StatusOK, &fields)
	require.Len(t, fields.Data, 7)
	require.Equal(t, crm.Field{Name: "customer_tier", Label: "Customer tier", Type: "enumeration", Object: "contact", Options: []string{"Gold", "Silver"}}, fields.Data[6])

	var name = "HubSpot EU"
	api.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{"name": name, "sync_enabled": true}).decode(t, http.StatusOK, &conn)
	require.Equal(t, name, conn.Name)
	require.True(t, conn.SyncEnabled)
	require.Equal(t, "123456", conn.Settings.PortalID, "settings not sent are kept")

	require.Equal(t, http.StatusNoContent, api.do(http.MethodDelete, "/v1/crm-connections/"+conn.ID, nil).Status)
	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID, nil).problem(t, http.StatusNotFound)
	rec, err := ts.Store.ListCRMConnections(t.Context(), ts.Workspace.ID)
	require.NoError(t, err)
	require.Empty(t, rec)
}

// TestCRMConnectionTestCallWrites checks can_write_calls of a HubSpot
// connection, whose test cannot probe call writes: unknown (null) until
// the connection has logged a call, then true.
func TestCRMConnectionTestCallWrites(t *testing.T) {
	ts, api, hs := setupCRM(t)
	conn := createHubSpot(t, api, hs, "pat-valid")
	path := "/v1/crm-connections/" + conn.ID + "/test"

	var before crm.Capabilities
	api.do(http.MethodPost, path, nil).decode(t, http.StatusOK, &before)
	require.Nil(t, before.CanWriteCalls, "unknown before the first logged call")
	require.Contains(t, before.Notes, hubspot.CallWritesUncheckedNote)

	ctx := context.Background()
	ended := store.Millis(time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC))
	call := store.Call{
		WorkspaceID: ts.Workspace.ID, ConnectionID: "tel_1", Provider: "twilio", ProviderCallID: "CA1",
		Direction: "inbound", FromRaw: "+14155550123", FromE164: "+14155550123", Status: "completed",
		StartedAt: ended, EndedAt: &ended, LastEventAt: ended,
	}
	require.NoError(t, ts.Store.InTx(ctx, func(q *store.Queries) error { return q.InsertCall(ctx, &call) }))
	_, err := ts.Store.InsertCallLog(ctx, ts.Workspace.ID, call.ID, conn.ID, 0)
	require.NoError(t, err)
	logs, err := ts.Store.ListCallLogsOfCalls(ctx, ts.Workspace.ID, []string{call.ID})
	require.NoError(t, err)
	_, err = ts.Store.RecordCallLogWritten(ctx, logs[0].ID, "5001", "", logs[0].Revision)
	require.NoError(t, err)

	var after crm.Capabilities
	api.do(http.MethodPost, path, nil).decode(t, http.StatusOK, &after)
	require.NotNil(t, after.CanWriteCalls)
	require.True(t, *after.CanWriteCalls, "a logged call shows write access")
	require.NotContains(t, after.Notes, hubspot.CallWritesUncheckedNote, "the note contradicts can_write_calls")

	rejected := store.Call{
		WorkspaceID: ts.Workspace.ID, ConnectionID: "tel_1", Provider: "twilio", ProviderCallID: "CA2",
		Direction: "inbound", FromRaw: "+14155550123", FromE164: "+14155550123", Status: "completed",
		StartedAt: ended, EndedAt: &ended, LastEventAt: ended,
	}
	require.NoError(t, ts.Store.InTx(ctx, func(q *store.Queries) error { return q.InsertCall(ctx, &rejected) }))
	_, err = ts.Store.InsertCallLog(ctx, ts.Workspace.ID, rejected.ID, conn.ID, 0)
	require.NoError(t, err)
	logs, err = ts.Store.ListCallLogsOfCalls(ctx, ts.Workspace.ID, []string{rejected.ID})
	require.NoError(t, err)
	lastError := crm.ErrUnauthorized.Error() + ": HTTP 403: This app hasn't been granted all required scopes"
	require.NoError(t, ts.Store.RecordCallLogFailure(ctx, logs[0].ID, lastError, 1, store.Millis(time.Now()), true))

	var denied crm.Capabilities
	api.do(http.MethodPost, path, nil).decode(t, http.StatusOK, &denied)
	require.NotNil(t, denied.CanWriteCalls)
	require.False(t, *denied.CanWriteCalls, "a write the CRM rejected shows no write access")
	require.Contains(t, strings.Join(denied.Notes, " "), "HTTP 403", "the note gives the CRM's answer")
}

func TestCRMConnectionMapping(t *testing.T) {
	_, api, hs := setupCRM(t)
	conn := createHubSpot(t, api, hs, "pat-valid")
	api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).decode(t, http.StatusOK, &crm.Capabilities{})
	path := "/v1/crm-connections/" + conn.ID + "/mapping"

	var m mappingView
	api.do(http.MethodGet, path, nil).decode(t, http.StatusOK, &m)
	require.True(t, m.IsDefault)
	require.Equal(t, mapping.Default(crm.KindHubSpot).Fields, m.Fields)

	p := api.do(http.MethodPut, path, map[string]any{"fields": []map[string]any{
		{"target": "first_name", "source": "firstname"},
		{"target": "last_name", "source": "surname"},
	}}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "fields[1].source", p.InvalidParams[0].Field)
	require.Contains(t, p.InvalidParams[0].Reason, `"surname" is not a field of this CRM connection`)

	p = api.do(http.MethodPut, path, map[string]any{"fields": []map[string]any{
		{"target": "extra_data.bad key!", "source": "no_such_field"},
	}}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, []string{"fields[0].target", "fields[0].source"}, invalidFieldNames(p))

	custom := map[string]any{"fields": []map[string]any{
		{"target": "display_name", "transform": "template", "template": "{{firstname}} {{lastname}} ({{company}})"},
		{"target": "phone_numbers", "sources": []string{"phone", "mobilephone"}, "transform": "normalize_phone", "label": "work"},
		{"target": "extra_data.tier", "source": "customer_tier", "transform": "lowercase"},
		{"target": "extra_data.owner", "source": "$owner_name"},
		{"target": "extra_data.crm_url", "source": "$url"},
	}}
	api.do(http.MethodPut, path, custom).decode(t, http.StatusOK, &m)
	require.False(t, m.IsDefault)
	api.do(http.MethodGet, path, nil).decode(t, http.StatusOK, &m)
	require.False(t, m.IsDefault)
	require.Len(t, m.Fields, 5)

	var preview mappingPreviewView
	api.do(http.MethodPost, path+"/preview", nil).decode(t, http.StatusOK, &preview)
	require.Equal(t, "stored", preview.MappingSource)
	require.Equal(t, "51", preview.Record.ID)
	require.Equal(t, "Bo Diaz", preview.Record.OwnerName)
	require.Equal(t, "51", preview.Contact.ExternalID)
	require.Equal(t, "Ann Lee (Acme Ltd)", preview.Contact.DisplayName)
	require.Equal(t, "+14155550142", preview.Contact.PhoneNumbers[0].Number)
	require.Equal(t, "work", preview.Contact.PhoneNumbers[0].Label)
	require.JSONEq(t, `{"tier":"gold","owner":"Bo Diaz","crm_url":"https://app-eu1.hubspot.com/contacts/123456/record/0-1/51"}`, string(preview.Contact.ExtraData))

	api.do(http.MethodPost, path+"/preview", map[string]any{"mapping": map[string]any{"fields": []map[string]any{
		{"target": "emails", "source": "email", "transform": "lowercase"},
	}}}).decode(t, http.StatusOK, &preview)
	require.Equal(t, "request", preview.MappingSource)
	require.Equal(t, []string{"ann.lee@example.com"}, preview.Contact.Emails)

	p = api.do(http.MethodPost, path+"/preview", map[string]any{"mapping": map[string]any{"fields": []map[string]any{
		{"target": "emails", "source": "mail"},
	}}}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "mapping.fields[0].source", p.InvalidParams[0].Field)

	p = api.do(http.MethodPost, path+"/preview", map[string]any{"mapping": map[string]any{"fields": []map[string]any{
		{"target": "extra_data.bad key!", "source": "mail"},
	}}}).problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, []string{"mapping.fields[0].target", "mapping.fields[0].source"}, invalidFieldNames(p))

	api.do(http.MethodPost, path+"/preview", map[string]any{"record": map[string]any{
		"id": "X-1", "properties": map[string]any{"firstname": "Cy", "lastname": "Berg", "company": "Berg GmbH", "phone": "+49 30 1234567"},
	}}).decode(t, http.StatusOK, &preview)
	require.Equal(t, "X-1", preview.Contact.ExternalID)
	require.Equal(t, "Cy Berg (Berg GmbH)", preview.Contact.DisplayName)
	require.Equal(t, "+49301234567", preview.Contact.PhoneNumbers[0].Number)
}

func TestCRMConnectionErrors(t *testing.T) {
	_, api, hs := setupCRM(t)

	t.Run("invalid input", func(t *testing.T) {
		p := api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
			"kind": "hubspot", "name": "HubSpot", "auth": map[string]any{"type": "token"}, "settings": map[string]any{"instance_url": "https://x.my.salesforce.com"},
		}).problem(t, http.StatusUnprocessableEntity)
		names := []string{p.InvalidParams[0].Field, p.InvalidParams[1].Field}
		require.ElementsMatch(t, []string{"auth.token", "settings.instance_url"}, names)
	})
	t.Run("unknown field", func(t *testing.T) {
		p := api.do(http.MethodPost, "/v1/crm-connections", map[string]any{"kind": "hubspot", "colour": "red"}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "colour", p.InvalidParams[0].Field)
	})
	t.Run("unknown nested field", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-valid")
		p := api.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{
			"settings": map[string]any{"call_log": map[string]any{"enabeld": true}},
		}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, []string{"settings.call_log.enabeld"}, invalidFieldNames(p))
	})
	t.Run("empty call mapping", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-valid")
		p := api.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{
			"settings": map[string]any{"call_log": map[string]any{"enabled": true, "mapping": map[string]any{"fields": []any{}}}},
		}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, []string{"settings.call_log.mapping.fields"}, invalidFieldNames(p))
	})
	t.Run("non-numeric owner id", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-valid")
		p := api.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{
			"settings": map[string]any{"call_log": map[string]any{"user_map": map[string]string{"201": "alex"}}},
		}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, []string{"settings.call_log.user_map.201"}, invalidFieldNames(p))
	})
	t.Run("credentials rejected", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-revoked")
		p := api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).problem(t, http.StatusBadGateway)
		require.Equal(t, "/problems/crm-credentials-rejected", p.Type)
		require.Contains(t, p.Detail, "Authentication credentials not found")
		require.NotContains(t, p.Detail, "pat-revoked")
	})
	t.Run("rate limited", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-valid")
		hs.mu.Lock()
		hs.retryAfter = "7"
		hs.mu.Unlock()
		defer func() { hs.mu.Lock(); hs.retryAfter = ""; hs.mu.Unlock() }()

		resp := api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/fields", nil)
		p := resp.problem(t, http.StatusServiceUnavailable)
		require.Equal(t, "/problems/crm-rate-limited", p.Type)
		require.Equal(t, "7", resp.Header.Get("Retry-After"))
	})
	t.Run("CRM unreachable", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		var conn crmConnectionView
		api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
			"kind": "hubspot", "name": "Down", "base_url": down.URL, "auth": map[string]any{"type": "token", "token": "pat-valid"},
		}).decode(t, http.StatusCreated, &conn)

		p := api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/fields", nil).problem(t, http.StatusBadGateway)
		require.Equal(t, "/problems/crm-unavailable", p.Type)
	})
	t.Run("oauth not authorized", func(t *testing.T) {
		var conn crmConnectionView
		api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
			"kind": "hubspot", "name": "OAuth", "auth": map[string]any{"type": "oauth2", "client_id": "c", "client_secret": "s"},
		}).decode(t, http.StatusCreated, &conn)
		require.False(t, conn.Auth.Authorized)

		p := api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).problem(t, http.StatusConflict)
		require.Equal(t, "/problems/crm-not-authorized", p.Type)
	})
	t.Run("authorize token connection", func(t *testing.T) {
		conn := createHubSpot(t, api, hs, "pat-valid")
		p := api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/oauth/authorize", nil).problem(t, http.StatusConflict)
		require.Equal(t, "/problems/conflict", p.Type)
	})
}

func TestCRMOAuthFlow(t *testing.T) {
	ts, api, hs := setupCRM(t)
	hs.firstExpiresIn = 30 // inside the refresh margin, so the first use refreshes
	var conn crmConnectionView
	api.do(http.MethodPost, "/v1/crm-connections", map[string]any{
		"kind": "hubspot", "name": "HubSpot OAuth", "base_url": hs.URL(),
		"auth": map[string]any{"type": "oauth2", "client_id": "client-1", "client_secret": "client-secret-1",
			"authorize_url": hs.URL() + "/oauth/authorize", "token_url": hs.URL() + "/oauth/v3/token"},
	}).decode(t, http.StatusCreated, &conn)
	callback := ts.URL + CRMCallbackPath

	var start authorizeView
	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/oauth/authorize?redirect_uri="+url.QueryEscape(callback), nil).
		decode(t, http.StatusOK, &start)
	require.Equal(t, callback, start.RedirectURI)
	require.True(t, strings.HasPrefix(start.AuthorizeURL, hs.URL()+"/oauth/authorize?"))

	// The admin's browser opens the consent page, which sends it back.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	consent, err := noRedirect.Get(start.AuthorizeURL)
	require.NoError(t, err)
	consent.Body.Close()
	require.Equal(t, http.StatusFound, consent.StatusCode)
	back := consent.Header.Get("Location")
	require.True(t, strings.HasPrefix(back, callback+"?"))

	page := api.spec.send(http.MethodGet, strings.TrimPrefix(back, ts.URL), "", "Accept", "text/html")
	require.Equal(t, http.StatusOK, page.Status, "body: %s", page.Body)
	require.Equal(t, "text/html; charset=UTF-8", page.Header.Get("Content-Type"))
	require.Contains(t, string(page.Body), "HubSpot OAuth")
	require.Contains(t, string(page.Body), conn.ID)

	again := api.spec.send(http.MethodGet, strings.TrimPrefix(back, ts.URL), "", "Accept", "application/json").problem(t, http.StatusBadRequest)
	require.Equal(t, "/problems/crm-authorization-failed", again.Type, "a code works once")

	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID, nil).decode(t, http.StatusOK, &conn)
	require.True(t, conn.Auth.Authorized)
	require.Equal(t, "set", conn.Auth.RefreshToken)
	rec, err := ts.Store.GetCRMConnection(t.Context(), ts.Workspace.ID, conn.ID)
	require.NoError(t, err)
	require.NotContains(t, rec.Credentials, "rt-1", "tokens are stored encrypted")
	require.NotContains(t, rec.Credentials, "at-1")

	api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).decode(t, http.StatusOK, &crm.Capabilities{})
	require.Equal(t, int32(1), hs.refreshes.Load(), "the token expiring within a minute was refreshed before use")
	api.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).decode(t, http.StatusOK, &crm.Capabilities{})
	require.Equal(t, int32(1), hs.refreshes.Load(), "the refreshed token is reused")
	hs.mu.Lock()
	hs.tokens["at-1"] = false // only the refreshed token works from now on
	hs.mu.Unlock()
	api.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+"/fields", nil).decode(t, http.StatusOK, &struct{}{})
}

func TestCRMOAuthCallbackErrors(t *testing.T) {
	ts, _, _ := setupCRM(t)
	c := newSpecClient(t, ts)

	tests := []struct {
		name     string
		query    string
		wantType string
	}{
		{name: "consent denied", query: "error=access_denied&error_description=The+user+denied+access&state=x", wantType: "/problems/crm-authorization-failed"},
		{name: "forged state", query: "state=eyJ3IjoieCJ9.AAAA&code=c", wantType: "/problems/oauth-invalid-state"},
		{name: "no state", query: "code=c", wantType: "/problems/oauth-invalid-state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.send(http.MethodGet, CRMCallbackPath+"?"+tt.query, "").problem(t, http.StatusBadRequest)

			require.Equal(t, tt.wantType, p.Type)
		})
	}
}

func TestCRMConnectionTenantIsolation(t *testing.T) {
	ts, api, hs := setupCRM(t)
	conn := createHubSpot(t, api, hs, "pat-valid")
	_, otherKey := ts.newWorkspace(t, "Other", "DE")
	other := crmAPI{t: t, spec: api.spec, key: otherKey}

	for _, path := range []string{"", "/fields", "/mapping", "/oauth/authorize"} {
		other.do(http.MethodGet, "/v1/crm-connections/"+conn.ID+path, nil).problem(t, http.StatusNotFound)
	}
	other.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/test", nil).problem(t, http.StatusNotFound)
	other.do(http.MethodPost, "/v1/crm-connections/"+conn.ID+"/mapping/preview", nil).problem(t, http.StatusNotFound)
	other.do(http.MethodPut, "/v1/crm-connections/"+conn.ID+"/mapping", map[string]any{"fields": []map[string]any{{"target": "last_name", "source": "lastname"}}}).
		problem(t, http.StatusNotFound)
	other.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{"name": "Taken"}).problem(t, http.StatusNotFound)
	other.do(http.MethodDelete, "/v1/crm-connections/"+conn.ID, nil).problem(t, http.StatusNotFound)
	var list struct {
		Data []crmConnectionView `json:"data"`
	}
	other.do(http.MethodGet, "/v1/crm-connections", nil).decode(t, http.StatusOK, &list)
	require.Empty(t, list.Data)

	readOnly := crmAPI{t: t, spec: api.spec, key: ts.newKey(t, ts.Workspace.ID, ScopeConnectionsRead)}
	readOnly.do(http.MethodGet, "/v1/crm-connections/"+conn.ID, nil).decode(t, http.StatusOK, &conn)
	readOnly.do(http.MethodPatch, "/v1/crm-connections/"+conn.ID, map[string]any{"name": "x"}).problem(t, http.StatusForbidden)
}

func TestOpenAPICRMSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	schema := func(name string) []string { return schemaPropertyNames(doc.Components.Schemas[name].Value) }
	settings := append(jsonFieldNames(reflect.TypeFor[crmconn.Settings]()), jsonFieldNames(reflect.TypeFor[generic.Config]())...)

	require.ElementsMatch(t, settings, schema("CRMSettings"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmconn.AuthConfig]()), schema("CRMAuth"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmconn.AuthSummary]()), schema("CRMAuthSummary"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmconn.Input]()), schema("CRMConnectionCreate"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmconn.Patch]()), schema("CRMConnectionUpdate"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmConnectionView]()), schema("CRMConnection"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[mapping.FieldMapping]()), schema("CRMFieldMapping"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crm.Capabilities]()), schema("CRMCapabilities"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crm.Field]()), schema("CRMField"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmconn.RecordInput]()), schema("CRMRecordInput"))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[crmRecordView]()), schema("CRMRecord"))
}

func TestCRMProblemMapping(t *testing.T) {
	refreshRejected := fmt.Errorf("%w: CRM connection crm_1: %w; authorize the connection again", crm.ErrUnauthorized,
		&crmconn.AuthorizationError{Code: "invalid_grant", Description: "refresh token revoked"})
	timedOut := fmt.Errorf("%w: GET https://api.hubapi.com/crm/v3/properties/contacts: %w", crm.ErrUnavailable, context.DeadlineExceeded)
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantRetry  string
	}{
		{name: "refresh token rejected", err: refreshRejected, wantStatus: 502, wantType: "/problems/crm-credentials-rejected"},
		{name: "code rejected", err: &crmconn.AuthorizationError{Code: "invalid_grant"}, wantStatus: 400, wantType: "/problems/crm-authorization-failed"},
		{name: "rate limited", err: fmt.Errorf("search: %w", &crm.RateLimitedError{RetryAfter: 1200 * time.Millisecond}), wantStatus: 503, wantType: "/problems/crm-rate-limited", wantRetry: "2"},
		{name: "rate limited without wait", err: &crm.RateLimitedError{}, wantStatus: 503, wantType: "/problems/crm-rate-limited", wantRetry: "1"},
		{name: "timed out", err: timedOut, wantStatus: 504, wantType: "/problems/crm-timeout"},
		{name: "no sample", err: fmt.Errorf("sample: %w", crm.ErrNoSample), wantStatus: 409, wantType: "/problems/conflict"},
		{name: "other 4xx", err: &crmhttp.StatusError{Status: 400, Message: "Property values were not valid"}, wantStatus: 502, wantType: "/problems/crm-request-failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)

			var p *Problem
			require.True(t, errors.As(crmProblem(c, tt.err), &p))

			require.Equal(t, tt.wantStatus, p.Status)
			require.Equal(t, tt.wantType, p.Type)
			require.Equal(t, tt.wantRetry, rec.Header().Get("Retry-After"))
		})
	}
}

// invalidFieldNames returns the names of p's invalid_params, in order.
func invalidFieldNames(p Problem) []string {
	names := make([]string, len(p.InvalidParams))
	for i, f := range p.InvalidParams {
		names[i] = f.Field
	}
	return names
}
