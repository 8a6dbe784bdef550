package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmhttp/crmhttptest"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/lookup"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

const (
	twimlOwnerQueue  = twimlHeader + `<Response><Enqueue>olga</Enqueue></Response>`
	hubspotSearch    = "/crm/v3/objects/contacts/search"
	hubspotOwner     = "/crm/v3/owners/7"
	hubspotKnownCRM  = `{"total":1,"results":[{"id":"51","archived":false,"createdAt":"2025-11-02T10:00:00Z","updatedAt":"2026-02-01T09:00:00Z","properties":{"firstname":"Ann","lastname":"Lee","email":"ann.lee@example.com","phone":"+1 415-555-0123","hubspot_owner_id":"7","lastmodifieddate":"2026-02-01T09:00:00Z"}}]}`
	hubspotOwnerOlga = `{"id":"7","email":"olga@acme.test","firstName":"Olga","lastName":"Owner","userId":9001,"archived":false}`
	hubspot429       = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee00-0000-4000-8000-000000000000","policyName":"SECONDLY"}`
)

var hookOwnerQueue = telephony.Route{Kind: telephony.TargetQueue, Target: "olga"}

// crmLookupServer is the gateway with an inbound service that looks
// callers up in a fake HubSpot through the real CRM connection, lookup
// and connector code.
type crmLookupServer struct {
	*testServer
	HubSpot *crmhttptest.Server
	// CRMConnectionID is the HubSpot connection of the workspace.
	CRMConnectionID string
}

func newCRMLookupServer(t *testing.T, st *store.Store) *crmLookupServer {
	t.Helper()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	log := zaptest.NewLogger(t)

	crmConns := crmconn.New(st, keyring, crmconn.Options{Log: log})
	lookups, err := lookup.New(lookup.Config{Connections: crmConns, Workspaces: st, Log: log, Registry: registry})
	require.NoError(t, err)
	calls, err := inbound.New(inbound.Config{Store: st, Connections: connections.New(st, keyring), Log: log, Registry: registry, CRM: lookups})
	require.NoError(t, err)

	cfg := Config{PublicBaseURL: "http://switchboard.test", MaxBodyBytes: 8 << 20, MaxImportBytes: 64 << 20, TokenTTL: time.Hour, Version: "test"}
	srv := New(cfg, Deps{Store: st, Directory: directory.New(st), Keyring: keyring, Inbound: calls, Log: log, Registry: registry})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)

	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")

	hubspot := crmhttptest.NewServer(t)
	conn, err := crmConns.Create(t.Context(), ts.Workspace.ID, crmconn.Input{
		Kind: "hubspot", Name: "HubSpot", BaseURL: hubspot.URL,
		Auth:     &crmconn.AuthConfig{Type: crmconn.AuthToken, Token: "pat-na1-test-token"},
		Settings: crmconn.Settings{PortalID: "12345"},
	})
	require.NoError(t, err)
	return &crmLookupServer{testServer: ts, HubSpot: hubspot, CRMConnectionID: conn.ID}
}

// searches returns the HubSpot searches received so far.
func (ts *crmLookupServer) searches() []crmhttptest.Request {
	var out []crmhttptest.Request
	for _, r := range ts.HubSpot.Requests() {
		if r.Path == hubspotSearch {
			out = append(out, r)
		}
	}
	return out
}

func TestCRMLookupRoutesIncomingCall(t *testing.T) {
	ts := newCRMLookupServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts.testServer)
	body, err := json.Marshal(map[string]any{
		"provider": "twilio", "name": "Main line",
		"credentials":       map[string]string{"account_id": hookTwilioSID, "auth_token": hookTwilioToken},
		"routing_rules":     []routing.Rule{{Name: "olga's callers", When: `contact != nil && contact.owner == "olga@acme.test"`, Route: hookOwnerQueue}},
		"default_route":     hookDefaultRoute,
		"lookup_order":      "crm",
		"crm_connection_id": ts.CRMConnectionID,
		"deadline_ms":       3000,
		"crm_deadline_ms":   1000,
	})
	require.NoError(t, err)
	resp := c.send(http.MethodPost, "/v1/telephony-connections", string(body), "Authorization", bearer(ts.AdminKey), "Content-Type", "application/json")
	var view telephonyConnectionView
	resp.decode(t, http.StatusCreated, &view)
	require.Equal(t, "crm", view.LookupOrder)
	require.Equal(t, &ts.CRMConnectionID, view.CRMConnectionID)
	require.Equal(t, 1000, view.CRMDeadlineMillis)
	require.False(t, view.RerouteLateCRMAnswers)
	conn := store.TelephonyConnection{ID: view.ID}
	hooks := &telephonyServer{testServer: ts.testServer}

	t.Run("caller known only to the CRM routes by owner", func(t *testing.T) {
		ts.HubSpot.OK(http.MethodPost, hubspotSearch, hubspotKnownCRM)
		ts.HubSpot.OK(http.MethodGet, hubspotOwner, hubspotOwnerOlga)

		resp := hooks.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))

		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		require.Equal(t, twimlOwnerQueue, string(resp.Body))
		searches := ts.searches()
		require.Len(t, searches, 1)
		require.Equal(t, "Bearer pat-na1-test-token", searches[0].Header.Get("Authorization"))
		require.Contains(t, searches[0].Body, `"+14155550123"`)

		calls, _, err := ts.Store.ListCalls(t.Context(), store.CallQuery{WorkspaceID: ts.Workspace.ID, Limit: 10})
		require.NoError(t, err)
		require.Len(t, calls, 1)
		var decision routing.Decision
		require.NoError(t, json.Unmarshal(calls[0].Routing, &decision))
		require.Equal(t, ts.CRMConnectionID+"/51", decision.ContactID)
		require.Equal(t, "olga's callers", decision.Rule)
	})

	t.Run("second call for the number is served from the cache", func(t *testing.T) {
		resp := hooks.twilioHook(t, conn, "voice", twilioVoiceParams("CA2", "+14155550123"))

		require.Equal(t, twimlOwnerQueue, string(resp.Body))
		require.Len(t, ts.searches(), 1, "the fake CRM saw one search for two calls")
	})

	t.Run("slow CRM gives the default route", func(t *testing.T) {
		ts.HubSpot.On(http.MethodPost, hubspotSearch, crmhttptest.Response{Hang: true})

		resp := hooks.twilioHook(t, conn, "voice", twilioVoiceParams("CA3", "+14155550124"))

		require.Equal(t, twimlDefaultRoute, string(resp.Body))
		require.Len(t, ts.searches(), 2)
	})

	t.Run("rate-limited CRM gives the default route", func(t *testing.T) {
		ts.HubSpot.On(http.MethodPost, hubspotSearch, crmhttptest.Response{
			Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "60"}, Body: hubspot429,
		})

		resp := hooks.twilioHook(t, conn, "voice", twilioVoiceParams("CA4", "+14155550125"))

		require.Equal(t, twimlDefaultRoute, string(resp.Body))
		require.Len(t, ts.searches(), 3)
	})

	t.Run("lookups wait for Retry-After", func(t *testing.T) {
		resp := hooks.twilioHook(t, conn, "voice", twilioVoiceParams("CA5", "+14155550126"))

		require.Equal(t, twimlDefaultRoute, string(resp.Body))
		require.Len(t, ts.searches(), 3, "no search is sent before the wait the CRM asked for")
		ts.HubSpot.AssertDone()
	})
}
