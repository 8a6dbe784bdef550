package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// jobRecorder replaces the job queue in tests. It records the kind of
// every job enqueued and runs none.
type jobRecorder struct {
	mu    sync.Mutex
	kinds []string
}

func (r *jobRecorder) InsertTx(_ context.Context, _ *store.Queries, args river.JobArgs, _ *river.InsertOpts) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = append(r.kinds, args.Kind())
	return nil
}

// callLogFixture is a test server with a CRM connection and calls that
// have a log each: pending, failed and logged.
type callLogFixture struct {
	*testServer
	conn                    store.CRMConnection
	call                    store.Call
	pending, failed, logged store.CallLog
}

func setupCallLogs(t *testing.T, st *store.Store) callLogFixture {
	t.Helper()
	ctx := context.Background()
	f := callLogFixture{testServer: newTestServer(t, st)}
	f.conn = store.CRMConnection{WorkspaceID: f.Workspace.ID, Kind: "hubspot", Name: "HubSpot"}
	require.NoError(t, st.CreateCRMConnection(ctx, &f.conn))

	logs := make([]store.CallLog, 3)
	for i := range logs {
		ended := store.Millis(time.Date(2026, 3, 10, 17, i, 0, 0, time.UTC))
		call := store.Call{
			WorkspaceID: f.Workspace.ID, ConnectionID: "tel_1", Provider: "twilio", ProviderCallID: "CA" + string(rune('1'+i)),
			Direction: "inbound", FromRaw: "+14155550123", FromE164: "+14155550123", Status: "completed",
			StartedAt: ended, EndedAt: &ended, LastEventAt: ended,
		}
		require.NoError(t, st.InTx(ctx, func(q *store.Queries) error { return q.InsertCall(ctx, &call) }))
		_, err := st.InsertCallLog(ctx, f.Workspace.ID, call.ID, f.conn.ID, 0)
		require.NoError(t, err)
		byCall, err := st.ListCallLogsOfCalls(ctx, f.Workspace.ID, []string{call.ID})
		require.NoError(t, err)
		logs[i] = byCall[0]
		if i == 0 {
			f.call = call
		}
	}
	require.NoError(t, st.RecordCallLogFailure(ctx, logs[1].ID, "CRM request failed: HTTP 400: Property values were not valid", 1, store.Millis(time.Now()), true))
	_, err := st.RecordCallLogWritten(ctx, logs[2].ID, "5001", "https://app.hubspot.com/contacts/4242/record/0-1/151", logs[2].Revision)
	require.NoError(t, err)
	f.pending, f.failed, f.logged = logs[0], logs[1], logs[2]
	return f
}

func TestCallsShowTheirCRMLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		cl := f.admin(t)

		var detail callDetailView
		cl.get("/v1/calls/"+f.call.ID).decode(t, http.StatusOK, &detail)
		require.Len(t, detail.CRMLog, 1)
		require.Equal(t, f.pending.ID, detail.CRMLog[0].ID)
		require.Equal(t, "pending", detail.CRMLog[0].Status)
		require.Nil(t, detail.CRMLog[0].CRMID)

		var list listResponse[callView]
		cl.get("/v1/calls?ended_since=0").decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, 3)
		logged := list.Data[2].CRMLog[0]
		require.Equal(t, "logged", logged.Status)
		require.Equal(t, "5001", *logged.CRMID)
		require.Equal(t, "https://app.hubspot.com/contacts/4242/record/0-1/151", *logged.CRMURL)
		failed := list.Data[1].CRMLog[0]
		require.Equal(t, "failed", failed.Status)
		require.Equal(t, 1, failed.Attempts)
		require.Contains(t, failed.LastError, "Property values were not valid")
	})
}

func TestListFailedCallLogsAndRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		cl := f.admin(t)

		var failed listResponse[callLogView]
		cl.get("/v1/call-logs?status=failed").decode(t, http.StatusOK, &failed)
		require.Len(t, failed.Data, 1)
		require.Equal(t, f.failed.ID, failed.Data[0].ID)

		var retried retryCallLogsView
		cl.post("/v1/call-logs/retry", nil).decode(t, http.StatusAccepted, &retried)
		require.Equal(t, 1, retried.Retried)
		var after callLogView
		cl.get("/v1/call-logs/"+f.failed.ID).decode(t, http.StatusOK, &after)
		require.Equal(t, "pending", after.Status)
		require.Zero(t, after.Attempts)

		var one callLogView
		cl.post("/v1/call-logs/"+f.logged.ID+"/retry", nil).decode(t, http.StatusAccepted, &one)
		require.Equal(t, "logged", one.Status)
		require.True(t, one.UpdatePending, "a retry of a logged call updates its entry")

		cl.post("/v1/call-logs/retry", map[string]string{"connection_id": f.conn.ID}).decode(t, http.StatusAccepted, &retried)
		require.Zero(t, retried.Retried)
	})
}

func TestSkipCallLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		cl := f.admin(t)

		var skipped callLogView
		cl.post("/v1/call-logs/"+f.pending.ID+"/skip", nil).decode(t, http.StatusOK, &skipped)
		require.Equal(t, "skipped", skipped.Status)
		cl.post("/v1/call-logs/"+f.logged.ID+"/skip", nil).problem(t, http.StatusConflict)
		cl.post("/v1/call-logs/clog_unknown/skip", nil).problem(t, http.StatusNotFound)
	})
}

func TestCallLogsRejectBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		cl := f.admin(t)

		p := cl.get("/v1/call-logs?status=lost").problem(t, http.StatusBadRequest)
		require.Equal(t, "status", p.InvalidParams[0].Field)
		cl.post("/v1/call-logs/retry", map[string]any{"connection": "x"}).problem(t, http.StatusUnprocessableEntity)
		p = cl.get("/v1/call-logs?connection_id=crm_mistyped").problem(t, http.StatusNotFound)
		require.Contains(t, p.Detail, "crm_mistyped")
		p = cl.post("/v1/call-logs/retry", map[string]string{"connection_id": "crm_mistyped"}).problem(t, http.StatusNotFound)
		require.Contains(t, p.Detail, "crm_mistyped")
		cl.patch("/v1/calls/"+f.call.ID, map[string]any{}).problem(t, http.StatusUnprocessableEntity)
		p = cl.patch("/v1/calls/"+f.call.ID, map[string]string{"notes": strings.Repeat("a", 10001)}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "is 10001 characters long; the limit is 10000 characters", p.InvalidParams[0].Reason)

		var call callView
		cl.get("/v1/calls/"+f.call.ID).decode(t, http.StatusOK, &call)
		require.Empty(t, call.Notes, "a rejected request changes nothing")

		notes := strings.Repeat("é", 10000)
		cl.patch("/v1/calls/"+f.call.ID, map[string]string{"notes": notes}).decode(t, http.StatusOK, &call)
		require.Equal(t, notes, call.Notes, "the limit counts characters, not bytes")
	})
}

func TestCallLogScopes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		reader := f.client(t, f.newKey(t, f.Workspace.ID, ScopeCallsRead))

		reader.get("/v1/call-logs").decode(t, http.StatusOK, &listResponse[callLogView]{})
		reader.post("/v1/call-logs/"+f.failed.ID+"/retry", nil).problem(t, http.StatusForbidden)
		reader.patch("/v1/calls/"+f.call.ID, map[string]string{"notes": "x"}).problem(t, http.StatusForbidden)

		other, otherKey := f.newWorkspace(t, "Other", "US")
		require.NotEmpty(t, other.ID)
		f.client(t, otherKey).get("/v1/call-logs/"+f.failed.ID).problem(t, http.StatusNotFound)
	})
}

// TestRetryFailedCallLogsEmptyBody sends the retry with a body of
// unknown length that turns out empty, as a chunked request without
// Content-Type does.
func TestRetryFailedCallLogsEmptyBody(t *testing.T) {
	f := setupCallLogs(t, testdb.Open(t, store.SQLite))
	cl := f.admin(t)

	var retried retryCallLogsView
	cl.do(http.MethodPost, "/v1/call-logs/retry", io.MultiReader()).decode(t, http.StatusAccepted, &retried)
	require.Equal(t, 1, retried.Retried)

	p := cl.do(http.MethodPost, "/v1/call-logs/retry", io.MultiReader(strings.NewReader("{}"))).problem(t, http.StatusUnsupportedMediaType)
	require.Contains(t, p.Detail, "Content-Type is none")
}

func TestCallLogsMatchOpenAPI(t *testing.T) {
	f := setupCallLogs(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, f.testServer)
	admin := bearer(f.AdminKey)
	jsonType := "application/json"

	c.send(http.MethodGet, "/v1/calls", "", "Authorization", admin).decode(t, http.StatusOK, &listResponse[callView]{})
	c.send(http.MethodGet, "/v1/calls/"+f.call.ID, "", "Authorization", admin).decode(t, http.StatusOK, &callDetailView{})
	c.send(http.MethodPatch, "/v1/calls/"+f.call.ID, `{"notes":"Wants a quote."}`, "Authorization", admin, "Content-Type", jsonType).
		decode(t, http.StatusOK, &callView{})
	c.send(http.MethodGet, "/v1/call-logs?limit=1", "", "Authorization", admin).decode(t, http.StatusOK, &listResponse[callLogView]{})
	c.send(http.MethodGet, "/v1/call-logs/"+f.logged.ID, "", "Authorization", admin).decode(t, http.StatusOK, &callLogView{})
	c.send(http.MethodPost, "/v1/call-logs/"+f.failed.ID+"/retry", "", "Authorization", admin).decode(t, http.StatusAccepted, &callLogView{})
	c.send(http.MethodPost, "/v1/call-logs/retry", `{"connection_id":"`+f.conn.ID+`"}`, "Authorization", admin, "Content-Type", jsonType).
		decode(t, http.StatusAccepted, &retryCallLogsView{})
	c.send(http.MethodPost, "/v1/call-logs/"+f.pending.ID+"/skip", "", "Authorization", admin).decode(t, http.StatusOK, &callLogView{})
	c.send(http.MethodPost, "/v1/call-logs/"+f.logged.ID+"/skip", "", "Authorization", admin).problem(t, http.StatusConflict)
	c.send(http.MethodGet, "/v1/call-logs?status=lost", "", "Authorization", admin).problem(t, http.StatusBadRequest)
}
