package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmsync"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/jobs"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// syncHubSpotToken is the private app token the sync test's HubSpot
// accepts.
const syncHubSpotToken = "pat-na1-gateway-sync"

// syncHubSpot is a HubSpot account on loopback with count contacts, each
// with a work phone (415) 300-NNNN and one of two owners. It serves the
// contact search the sync pages through (200 per page, sorted by
// lastmodifieddate) and the owners.
type syncHubSpot struct {
	URL      string
	contacts []map[string]any
}

func newSyncHubSpot(t *testing.T, count int) *syncHubSpot {
	h := &syncHubSpot{}
	modified := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range count {
		id := strconv.Itoa(2000 + i)
		at := modified.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		h.contacts = append(h.contacts, map[string]any{
			"id": id,
			"properties": map[string]any{
				"firstname": "First" + id, "lastname": "Last" + id, "email": "c" + id + "@example.com",
				"phone": fmt.Sprintf("(415) 300-%04d", i), "mobilephone": nil, "company": "Acme",
				"hubspot_owner_id": []string{"901", "902"}[i%2], "hs_object_id": id, "lastmodifieddate": at,
			},
			"createdAt": "2025-06-01T08:00:00Z", "updatedAt": at, "archived": false,
		})
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v3/objects/contacts/search", h.search)
	mux.HandleFunc("GET /crm/v3/owners/{id}", h.owner)
	srv := httptest.NewServer(h.authorized(mux))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *syncHubSpot) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+syncHubSpotToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// search returns the page at the offset in "after" of every contact,
// because the sync's first run searches from the zero time.
func (h *syncHubSpot) search(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Limit int    `json:"limit"`
		After string `json:"after"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Limit < 1 || req.Limit > 200 {
		http.Error(w, `{"status":"error","message":"invalid search request"}`, http.StatusBadRequest)
		return
	}
	offset, _ := strconv.Atoi(req.After)
	end := min(offset+req.Limit, len(h.contacts))
	body := map[string]any{"total": len(h.contacts), "results": h.contacts[min(offset, end):end]}
	if end < len(h.contacts) {
		body["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end)}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

func (h *syncHubSpot) owner(w http.ResponseWriter, r *http.Request) {
	owners := map[string]string{
		"901": `{"id":"901","email":"bo@acme.example","firstName":"Bo","lastName":"Diaz","archived":false}`,
		"902": `{"id":"902","email":"cy@acme.example","firstName":"Cy","lastName":"Ng","archived":false}`,
	}
	body, ok := owners[r.PathValue("id")]
	if !ok {
		http.Error(w, `{"status":"error","message":"Owner not found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

// syncServer is the gateway with CRM connections, contact sync on a
// started job queue, and inbound calls.
type syncServer struct {
	*testServer
	Queue *jobs.Queue
}

func newSyncServer(t *testing.T, st *store.Store) *syncServer {
	t.Helper()
	ctx := t.Context()
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	log := zaptest.NewLogger(t)
	registry := prometheus.NewRegistry()

	crmConns := crmconn.New(st, keyring, crmconn.Options{Log: log})
	dir := directory.New(st)
	engine := crmsync.NewEngine(crmsync.Config{Store: st, Directory: dir, Connections: crmConns, Log: log})
	_, err = jobs.Migrate(ctx, st)
	require.NoError(t, err)
	workers := river.NewWorkers()
	crmsync.AddWorkers(workers, engine)
	queue, err := jobs.New(jobs.Config{Store: st, Log: log, Workers: workers, Queues: map[string]int{crmsync.Queue: crmsync.QueueWorkers}})
	require.NoError(t, err)
	require.NoError(t, queue.Start(ctx))
	t.Cleanup(func() { queue.Stop(t.Context()) })
	calls, err := inbound.New(inbound.Config{Store: st, Connections: connections.New(st, keyring), Log: log, Registry: registry})
	require.NoError(t, err)

	cfg := Config{PublicBaseURL: "http://switchboard.test", MaxBodyBytes: 8 << 20, MaxImportBytes: 64 << 20, TokenTTL: time.Hour, Version: "test"}
	srv := New(cfg, Deps{
		Store: st, Directory: dir, Keyring: keyring, Inbound: calls, CRMConnections: crmConns,
		CRMSync: crmsync.NewService(st, queue), Log: log, Registry: registry,
	})
	httpServer := httptest.NewServer(srv.Handler())
	t.Cleanup(httpServer.Close)

	ts := &testServer{URL: httpServer.URL, Store: st, Keyring: keyring}
	ts.Workspace, ts.AdminKey = ts.newWorkspace(t, "Test workspace", "US")
	return &syncServer{testServer: ts, Queue: queue}
}

// twilioConnection stores a Twilio connection looking callers up in
// phonebookID, with rules and the default route hookDefaultRoute.
func (ts *syncServer) twilioConnection(t *testing.T, phonebookID string, rules []routing.Rule) store.TelephonyConnection {
	t.Helper()
	plain, err := json.Marshal(telephony.Credentials{AccountID: hookTwilioSID, AuthToken: hookTwilioToken})
	require.NoError(t, err)
	sealed, err := ts.Keyring.Encrypt(plain)
	require.NoError(t, err)
	encodedRules, err := json.Marshal(rules)
	require.NoError(t, err)
	route, err := json.Marshal(hookDefaultRoute)
	require.NoError(t, err)

	conn := store.TelephonyConnection{
		WorkspaceID: ts.Workspace.ID, Provider: string(telephony.ProviderTwilio), Name: "Twilio",
		Credentials: sealed, PhonebookIDs: store.JSONColumn[[]string]{V: []string{phonebookID}},
		RoutingRules: encodedRules, DefaultRoute: route, Enabled: true,
	}
	require.NoError(t, ts.Store.CreateTelephonyConnection(t.Context(), &conn))
	return conn
}

// twilioCall sends the signed voice webhook of a call from number.
func (ts *syncServer) twilioCall(t *testing.T, conn store.TelephonyConnection, sid, from string) *testResponse {
	t.Helper()
	params := twilioVoiceParams(sid, from)
	path := "/hooks/twilio/" + conn.ID + "/voice"
	signature := twilio.Signature(hookTwilioToken, "http://switchboard.test"+path, params)
	return ts.client(t, "").do(http.MethodPost, path, []byte(params.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", twilio.SignatureHeader, signature)
}

func TestCRMSyncEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newSyncServer(t, st)
		hubspot := newSyncHubSpot(t, 250)
		admin := ts.admin(t)
		var conn crmConnectionView
		admin.post("/v1/crm-connections", map[string]any{
			"kind": "hubspot", "name": "HubSpot", "base_url": hubspot.URL,
			"auth":     map[string]any{"type": "token", "token": syncHubSpotToken},
			"settings": map[string]any{"portal_id": "4242"},
		}).decode(t, http.StatusCreated, &conn)
		syncPath := "/v1/crm-connections/" + conn.ID + "/sync"

		var requested crmSyncView
		admin.post(syncPath, nil).decode(t, http.StatusAccepted, &requested)
		require.Equal(t, conn.ID, requested.ConnectionID)

		var status crmSyncView
		require.Eventually(t, func() bool {
			admin.get(syncPath).decode(t, http.StatusOK, &status)
			return status.LastRun != nil && status.LastRun.State == store.CRMSyncSucceeded
		}, 60*time.Second, 50*time.Millisecond)
		require.Equal(t, store.CRMSyncIdle, status.State)
		require.Empty(t, status.LastError)
		require.NotNil(t, status.PhonebookID)
		require.Equal(t, "2026-01-05T09:04:09.000Z", *status.Checkpoint)
		require.Equal(t, crmsync.ModeFull, status.LastRun.Mode)
		require.Equal(t, 250, status.LastRun.Created)
		require.Empty(t, status.LastRun.Errors)

		var contacts struct {
			Data []struct {
				ExternalID string `json:"external_id"`
				ExtraData  struct {
					OwnerEmail string `json:"owner_email"`
				} `json:"extra_data"`
			} `json:"data"`
		}
		admin.get("/v1/contacts?limit=1000&phonebook_id="+url.QueryEscape(*status.PhonebookID)).decode(t, http.StatusOK, &contacts)
		var got, want []string
		for _, c := range contacts.Data {
			got = append(got, c.ExternalID+" "+c.ExtraData.OwnerEmail)
		}
		for i := range 250 {
			want = append(want, strconv.Itoa(2000+i)+" "+[]string{"bo@acme.example", "cy@acme.example"}[i%2])
		}
		slices.Sort(got)
		require.Equal(t, want, got)

		var runs listResponse[crmSyncRunView]
		admin.get(syncPath+"/runs").decode(t, http.StatusOK, &runs)
		require.Len(t, runs.Data, 1)
		require.Equal(t, status.LastRun.ID, runs.Data[0].ID)

		phoneLine := ts.twilioConnection(t, *status.PhonebookID, []routing.Rule{{
			Name:  "Bo's customers",
			When:  `contact != nil && contact.extra_data.owner_email == "bo@acme.example"`,
			Route: telephony.Route{Kind: telephony.TargetQueue, Target: "bo"},
		}})
		bosCustomer := ts.twilioCall(t, phoneLine, "CA-sync-1", "+14153000000")
		require.Equal(t, http.StatusOK, bosCustomer.Status, "body: %s", bosCustomer.Body)
		require.Equal(t, twimlHeader+`<Response><Enqueue>bo</Enqueue></Response>`, string(bosCustomer.Body))
		cysCustomer := ts.twilioCall(t, phoneLine, "CA-sync-2", "+14153000001")
		require.Equal(t, http.StatusOK, cysCustomer.Status, "body: %s", cysCustomer.Body)
		require.Equal(t, twimlDefaultRoute, string(cysCustomer.Body))
	})
}

func TestCRMSyncStateBeforeFirstRun(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	spec := newSpecClient(t, ts)
	rec := store.CRMConnection{WorkspaceID: ts.Workspace.ID, Kind: "hubspot", Name: "HubSpot", Credentials: "sealed"}
	require.NoError(t, ts.Store.CreateCRMConnection(t.Context(), &rec))
	path := "/v1/crm-connections/" + rec.ID + "/sync"

	resp := spec.send(http.MethodGet, path, "", "Authorization", bearer(ts.AdminKey))

	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	require.JSONEq(t, `{"connection_id":"`+rec.ID+`","sync_enabled":false,"sync_interval_seconds":300,"phonebook_id":null,
		"state":"idle","checkpoint":null,"next_run_at":null,"last_error":"","last_run":null}`, string(resp.Body))
	runs := spec.send(http.MethodGet, path+"/runs", "", "Authorization", bearer(ts.AdminKey))
	require.Equal(t, http.StatusOK, runs.Status, "body: %s", runs.Body)
	require.JSONEq(t, `{"data":[],"has_more":false}`, string(runs.Body))
}

func TestCRMSyncShowsRunHistory(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	spec := newSpecClient(t, ts)
	ctx := t.Context()
	rec := store.CRMConnection{WorkspaceID: ts.Workspace.ID, Kind: "hubspot", Name: "HubSpot", Credentials: "sealed", SyncEnabled: true}
	require.NoError(t, ts.Store.CreateCRMConnection(ctx, &rec))
	started := store.Millis(time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC))
	first := store.CRMSyncRun{ConnectionID: rec.ID, WorkspaceID: ts.Workspace.ID, Mode: crmsync.ModeFull, StartedAt: started}
	require.NoError(t, ts.Store.InsertSyncRun(ctx, &first))
	first.State, first.Created, first.Failed = store.CRMSyncSucceeded, 120, 1
	first.Error = "record 7: phone_numbers: no valid phone number in the CRM field(s) phone"
	finished := store.Millis(started.Add(time.Minute))
	first.FinishedAt = &finished
	require.NoError(t, ts.Store.FinishSyncRun(ctx, &first))
	second := store.CRMSyncRun{ConnectionID: rec.ID, WorkspaceID: ts.Workspace.ID, Mode: crmsync.ModeIncremental, StartedAt: store.Millis(started.Add(10 * time.Minute))}
	require.NoError(t, ts.Store.InsertSyncRun(ctx, &second))
	next := store.Millis(started.Add(15 * time.Minute))
	require.NoError(t, ts.Store.SaveSyncState(ctx, &store.CRMSyncState{
		ConnectionID: rec.ID, WorkspaceID: ts.Workspace.ID, Checkpoint: store.Millis(started.Add(-time.Hour)),
		RunID: second.ID, State: store.CRMSyncRunning, NextRunAt: &next,
	}))
	path := "/v1/crm-connections/" + rec.ID + "/sync"

	status := spec.send(http.MethodGet, path, "", "Authorization", bearer(ts.AdminKey))
	runs := spec.send(http.MethodGet, path+"/runs?limit=1", "", "Authorization", bearer(ts.AdminKey))
	all := spec.send(http.MethodGet, path+"/runs", "", "Authorization", bearer(ts.AdminKey))

	require.Equal(t, http.StatusOK, status.Status, "body: %s", status.Body)
	require.JSONEq(t, `{"connection_id":"`+rec.ID+`","sync_enabled":true,"sync_interval_seconds":300,"phonebook_id":null,
		"state":"running","checkpoint":"2026-02-01T11:00:00.000Z","next_run_at":"2026-02-01T12:15:00.000Z","last_error":"",
		"last_run":{"id":"`+second.ID+`","mode":"incremental","state":"running","started_at":"2026-02-01T12:10:00.000Z",
		"finished_at":null,"created":0,"updated":0,"deleted":0,"failed":0,"errors":[]}}`, string(status.Body))
	require.Equal(t, http.StatusOK, runs.Status, "body: %s", runs.Body)
	var page listResponse[crmSyncRunView]
	runs.decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	require.Equal(t, second.ID, page.Data[0].ID)
	all.decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 2)
	require.Equal(t, crmSyncRunView{
		ID: first.ID, Mode: "full", State: "succeeded", StartedAt: "2026-02-01T12:00:00.000Z", FinishedAt: ptr("2026-02-01T12:01:00.000Z"),
		Created: 120, Failed: 1, Errors: []string{"record 7: phone_numbers: no valid phone number in the CRM field(s) phone"},
	}, page.Data[1])
}

func TestCRMSyncErrors(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	rec := store.CRMConnection{WorkspaceID: ts.Workspace.ID, Kind: "hubspot", Name: "HubSpot", Credentials: "sealed"}
	require.NoError(t, ts.Store.CreateCRMConnection(t.Context(), &rec))
	other, otherKey := ts.newWorkspace(t, "Other", "US")
	require.NotEmpty(t, other.ID)
	path := "/v1/crm-connections/" + rec.ID + "/sync"
	tests := []struct {
		name   string
		key    string
		method string
		path   string
		status int
		field  string
	}{
		{name: "limit zero", key: ts.AdminKey, method: http.MethodGet, path: path + "/runs?limit=0", status: http.StatusBadRequest, field: "limit"},
		{name: "limit over maximum", key: ts.AdminKey, method: http.MethodGet, path: path + "/runs?limit=101", status: http.StatusBadRequest, field: "limit"},
		{name: "limit not a number", key: ts.AdminKey, method: http.MethodGet, path: path + "/runs?limit=ten", status: http.StatusBadRequest, field: "limit"},
		{name: "unknown connection", key: ts.AdminKey, method: http.MethodGet, path: "/v1/crm-connections/crm_missing/sync", status: http.StatusNotFound},
		{name: "runs of unknown connection", key: ts.AdminKey, method: http.MethodGet, path: "/v1/crm-connections/crm_missing/sync/runs", status: http.StatusNotFound},
		{name: "other workspace", key: otherKey, method: http.MethodGet, path: path, status: http.StatusNotFound},
		{name: "request in other workspace", key: otherKey, method: http.MethodPost, path: path, status: http.StatusNotFound},
		{name: "request without job queue", key: ts.AdminKey, method: http.MethodPost, path: path, status: http.StatusServiceUnavailable},
		{name: "request with read scope", key: ts.newKey(t, ts.Workspace.ID, ScopeConnectionsRead), method: http.MethodPost, path: path, status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.client(t, tt.key).do(tt.method, tt.path, nil)

			p := resp.problem(t, tt.status)
			if tt.field != "" {
				require.Len(t, p.InvalidParams, 1)
				require.Equal(t, tt.field, p.InvalidParams[0].Field)
			}
		})
	}
}
