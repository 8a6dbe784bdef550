package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// listAllCalls follows next_url from path to the last page and returns
// every call in order.
func listAllCalls(t *testing.T, cl *testClient, path string) []callView {
	t.Helper()
	var all []callView
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 100, "paging does not end")
		var page listResponse[callView]
		cl.get(path).decode(t, http.StatusOK, &page)
		all = append(all, page.Data...)
		require.Equal(t, page.HasMore, page.NextURL != "")
		path = page.NextURL
	}
	return all
}

// ringCalls starts n generic calls named prefix-0 to prefix-(n-1).
func ringCalls(t *testing.T, ts *telephonyServer, conn store.TelephonyConnection, prefix string, n int) {
	t.Helper()
	for i := range n {
		resp := ts.genericHook(t, conn, genericEvent(fmt.Sprintf("%s-%d", prefix, i), "ringing", time.Now()))
		require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	}
}

// requireOnce requires every call of calls to appear once and returns them
// by provider call id.
func requireOnce(t *testing.T, calls []callView) map[string]callView {
	t.Helper()
	byID := map[string]callView{}
	for _, c := range calls {
		_, seen := byID[c.ProviderCallID]
		require.False(t, seen, "call %s listed twice", c.ProviderCallID)
		byID[c.ProviderCallID] = c
	}
	return byID
}

func TestListCallsPagesOnceWhileCallsArrive(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTelephonyServer(t, st)
		conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
		cl := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsRead))
		ringCalls(t, ts, conn, "old", 12)
		waitNextMillisecond()

		var page listResponse[callView]
		cl.get("/v1/calls?limit=5").decode(t, http.StatusOK, &page)
		ringCalls(t, ts, conn, "new", 2)
		rest := listAllCalls(t, cl, page.NextURL)

		all := requireOnce(t, append(page.Data, rest...))
		require.Len(t, all, 12, "calls created after the first page wait for the next listing")
		for i := range 12 {
			require.Contains(t, all, fmt.Sprintf("old-%d", i))
		}
	})
}

func TestListCallsIncrementalWhileUpdating(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTelephonyServer(t, st)
		conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
		cl := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsRead))
		ringCalls(t, ts, conn, "c", 12)
		waitNextMillisecond()

		var page listResponse[callView]
		cl.get("/v1/calls?updated_since=0&limit=4").decode(t, http.StatusOK, &page)
		seenEarly := page.Data[1].ProviderCallID
		for _, id := range []string{seenEarly, "c-10"} {
			resp := ts.genericHook(t, conn, genericEvent(id, "answered", time.Now()))
			require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
		}
		firstRun := requireOnce(t, append(page.Data, listAllCalls(t, cl, page.NextURL)...))

		require.Len(t, firstRun, 11, "the call updated before it was reached moves past the snapshot")
		require.NotContains(t, firstRun, "c-10")
		for _, c := range firstRun {
			require.Equal(t, "ringing", c.Status, "the run shows the state when it started")
		}

		waitNextMillisecond()
		var last time.Time
		for _, c := range firstRun {
			updated, err := time.Parse(time.RFC3339Nano, c.UpdatedAt)
			require.NoError(t, err)
			if updated.After(last) {
				last = updated
			}
		}
		nextRun := requireOnce(t, listAllCalls(t, cl, "/v1/calls?limit=4&updated_since="+url.QueryEscape(last.Format(time.RFC3339Nano))))
		require.Equal(t, "answered", nextRun[seenEarly].Status)
		require.Equal(t, "answered", nextRun["c-10"].Status)
	})
}

func TestListCallsFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTelephonyServer(t, st)
		conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
		other := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
		ann := ts.contact(t, "Ann", "+14155550123")
		cl := ts.admin(t)
		at := time.Now()

		ringCalls(t, ts, conn, "in", 2)
		ts.genericHook(t, conn, genericEvent("in-0", "completed", time.Now()))
		outbound := genericEvent("out", "ringing", at)
		outbound.Direction, outbound.From, outbound.To = "outbound", "+14155550100", "+14155550999"
		ts.genericHook(t, conn, outbound)
		ts.genericHook(t, other, genericEvent("elsewhere", "ringing", at))
		waitNextMillisecond()

		tests := []struct {
			query string
			want  []string
		}{
			{query: "direction=outbound", want: []string{"out"}},
			{query: "status=completed", want: []string{"in-0"}},
			{query: "status=ringing&direction=inbound", want: []string{"in-1", "elsewhere"}},
			{query: "contact_id=" + ann.ID, want: []string{"in-0", "in-1", "elsewhere"}},
			{query: "phonebook_id=" + ts.Phonebook.ID, want: []string{"in-0", "in-1", "elsewhere"}},
			{query: "connection_id=" + other.ID, want: []string{"elsewhere"}},
			{query: "ended_since=0", want: []string{"in-0"}},
			{query: "sort=ended_at", want: []string{"in-0"}},
			{query: "order=desc&connection_id=" + conn.ID, want: []string{"out", "in-1", "in-0"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				calls := listAllCalls(t, cl, "/v1/calls?"+tt.query)

				ids := make([]string, len(calls))
				for i, c := range calls {
					ids[i] = c.ProviderCallID
				}
				require.Equal(t, tt.want, ids)
			})
		}

		for _, query := range []string{"status=hung", "direction=sideways", "sort=duration", "ended_since=yesterday", "limit=0"} {
			t.Run("invalid "+query, func(t *testing.T) {
				cl.get("/v1/calls?"+query).problem(t, http.StatusBadRequest)
			})
		}
		t.Run("cursor with another filter", func(t *testing.T) {
			var page listResponse[callView]
			cl.get("/v1/calls?limit=1&status=ringing").decode(t, http.StatusOK, &page)

			cl.get("/v1/calls?cursor="+url.QueryEscape(page.NextCursor)+"&status=completed").problem(t, http.StatusBadRequest)
		})
	})
}

func TestGetCall(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
	ann := ts.contact(t, "Ann", "+14155550123")
	at := time.Now().Truncate(time.Second)
	ts.genericHook(t, conn, genericEvent("g-1", "ringing", at))
	answered := genericEvent("g-1", "answered", at.Add(3*time.Second))
	answered.Agent = "alice"
	ts.genericHook(t, conn, answered)
	waitNextMillisecond()
	cl := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsRead))
	var list listResponse[callView]
	cl.get("/v1/calls").decode(t, http.StatusOK, &list)

	var call callDetailView
	cl.get("/v1/calls/"+list.Data[0].ID).decode(t, http.StatusOK, &call)

	require.Equal(t, "answered", call.Status)
	require.Equal(t, "alice", call.Agent)
	require.Equal(t, "+14155550123", call.From.E164)
	require.Equal(t, formatTime(at.Add(3*time.Second)), *call.AnsweredAt)
	require.Nil(t, call.EndedAt)
	require.Equal(t, &ann.ID, call.ContactID)
	require.Equal(t, ann.ID, call.Contact.ID)
	require.JSONEq(t, `{"route":{"kind":"queue","target":"sales"},"rule":"known callers","rule_index":0,
		"contact_id":"`+ann.ID+`","contact_ids":["`+ann.ID+`"]}`, string(call.Routing))
	require.Len(t, call.Events, 2)
	require.Equal(t, "ringing", call.Events[0].Status)
	require.Equal(t, "events", call.Events[0].Hook)
	require.Contains(t, string(call.Events[1].Event), `"agent":"alice"`)

	t.Run("contact deleted", func(t *testing.T) {
		require.NoError(t, ts.Store.DeleteContact(t.Context(), ts.Workspace.ID, ann.ID))
		var again callDetailView
		cl.get("/v1/calls/"+call.ID).decode(t, http.StatusOK, &again)
		require.Nil(t, again.Contact)
		require.Equal(t, &ann.ID, again.ContactID)
	})
	t.Run("unknown", func(t *testing.T) {
		cl.get("/v1/calls/call_missing").problem(t, http.StatusNotFound)
	})
}

func TestCallsTenantIsolation(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	ts.twilioHook(t, conn, "voice", twilioVoiceParams("CA1", "+14155550123"))
	waitNextMillisecond()
	var list listResponse[callView]
	ts.admin(t).get("/v1/calls").decode(t, http.StatusOK, &list)
	require.Len(t, list.Data, 1)
	other, otherKey := ts.newWorkspace(t, "Other", "GB")
	ts.connection(t, other.ID, telephony.ProviderTwilio)
	cl := ts.client(t, otherKey)

	var otherList listResponse[callView]
	cl.get("/v1/calls").decode(t, http.StatusOK, &otherList)
	require.Empty(t, otherList.Data)
	cl.get("/v1/calls/"+list.Data[0].ID).problem(t, http.StatusNotFound)
	cl.post("/v1/calls/"+list.Data[0].ID+"/route", obj{"kind": "hangup"}).problem(t, http.StatusNotFound)
	cl.post("/v1/telephony-connections/"+conn.ID+"/routing/test", obj{"from": "+14155550123"}).problem(t, http.StatusNotFound)
	require.Empty(t, ts.APIs[telephony.ProviderTwilio].received())
}

func TestRerouteCall(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	twilioConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	genericConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
	ts.twilioHook(t, twilioConn, "voice", twilioVoiceParams("CA-live", "+14155550123"))
	ts.twilioHook(t, twilioConn, "voice", twilioVoiceParams("CA-ended", "+14155550123"))
	ended := twilioVoiceParams("CA-ended", "+14155550123")
	ended.Set("CallStatus", "completed")
	ts.twilioHook(t, twilioConn, "status", ended)
	ts.genericHook(t, genericConn, genericEvent("g-1", "ringing", time.Now()))
	waitNextMillisecond()
	ids := map[string]string{}
	var list listResponse[callView]
	ts.admin(t).get("/v1/calls").decode(t, http.StatusOK, &list)
	for _, c := range list.Data {
		ids[c.ProviderCallID] = c.ID
	}
	twilioAPI := ts.APIs[telephony.ProviderTwilio]
	cl := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsWrite))

	t.Run("live call", func(t *testing.T) {
		var call callView
		cl.post("/v1/calls/"+ids["CA-live"]+"/route", obj{"kind": "number", "target": "+14155550177"}).decode(t, http.StatusAccepted, &call)

		require.Equal(t, ids["CA-live"], call.ID)
		requests := twilioAPI.received()
		require.Len(t, requests, 1)
		require.Equal(t, "/2010-04-01/Accounts/"+hookTwilioSID+"/Calls/CA-live.json", requests[0].Path)
	})
	t.Run("provider error", func(t *testing.T) {
		twilioAPI.respond(http.StatusUnauthorized, `{"code":20003,"message":"Authenticate","status":401}`)
		defer twilioAPI.respond(http.StatusOK, `{}`)

		p := cl.post("/v1/calls/"+ids["CA-live"]+"/route", obj{"kind": "hangup"}).problem(t, http.StatusBadGateway)

		require.Equal(t, "/problems/provider-error", p.Type)
		require.Contains(t, p.Detail, "Authenticate")
	})
	t.Run("ended call", func(t *testing.T) {
		p := cl.post("/v1/calls/"+ids["CA-ended"]+"/route", obj{"kind": "hangup"}).problem(t, http.StatusConflict)

		require.Contains(t, p.Detail, "already ended")
	})
	t.Run("provider without live control", func(t *testing.T) {
		cl.post("/v1/calls/"+ids["g-1"]+"/route", obj{"kind": "hangup"}).problem(t, http.StatusConflict)
	})
	t.Run("invalid route", func(t *testing.T) {
		p := cl.post("/v1/calls/"+ids["CA-live"]+"/route", obj{"kind": "teleport"}).problem(t, http.StatusUnprocessableEntity)

		require.Equal(t, "kind", p.InvalidParams[0].Field)
	})
	t.Run("unknown field", func(t *testing.T) {
		cl.post("/v1/calls/"+ids["CA-live"]+"/route", obj{"kind": "hangup", "when": "now"}).problem(t, http.StatusUnprocessableEntity)
	})
	t.Run("read scope", func(t *testing.T) {
		reader := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsRead))
		reader.post("/v1/calls/"+ids["CA-live"]+"/route", obj{"kind": "hangup"}).problem(t, http.StatusForbidden)
	})

	require.Len(t, twilioAPI.received(), 2, "only the live call and the provider error reached Twilio")
}

// TestCallsMatchOpenAPI sends the telephony operations through a client
// that checks every exchange against the OpenAPI document.
func TestCallsMatchOpenAPI(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts.testServer)
	admin := bearer(ts.AdminKey)
	jsonType := "application/json"
	twilioConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	genericConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderGeneric)
	vonageConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderVonage)
	ts.contact(t, "Ann", "+14155550123")

	form := twilioVoiceParams("CA1", "+14155550123")
	voicePath := "/hooks/twilio/" + twilioConn.ID + "/voice"
	signature := twilio.Signature(hookTwilioToken, "http://switchboard.test"+voicePath, form)
	resp := c.send(http.MethodPost, voicePath, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", twilio.SignatureHeader, signature)
	require.Equal(t, http.StatusOK, resp.Status)
	c.send(http.MethodPost, voicePath, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", twilio.SignatureHeader, "bm8=").
		problem(t, http.StatusForbidden)

	event := genericEvent("g-1", "ringing", time.Now())
	body, err := json.Marshal(event)
	require.NoError(t, err)
	now := time.Now()
	genericSignature, err := generic.Sign(hookGenericSecret, event.EventID, now, body)
	require.NoError(t, err)
	resp = c.send(http.MethodPost, "/hooks/generic/"+genericConn.ID+"/events", string(body), "Content-Type", jsonType,
		generic.HeaderID, event.EventID, generic.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10), generic.HeaderSignature, genericSignature)
	require.Equal(t, http.StatusOK, resp.Status)

	vonageEvent := `{"from":"14155550123","to":"14155550100","uuid":"leg-1","conversation_uuid":"CON-1","status":"started","direction":"inbound","timestamp":"2026-03-10T14:02:11.000Z"}`
	resp = c.send(http.MethodPost, "/hooks/vonage/"+vonageConn.ID+"/event", vonageEvent, "Content-Type", jsonType, "Authorization", "Bearer "+vonageToken(t, vonageEvent))
	require.Equal(t, http.StatusNoContent, resp.Status)
	waitNextMillisecond()

	var list listResponse[callView]
	c.send(http.MethodGet, "/v1/calls?limit=2", "", "Authorization", admin).decode(t, http.StatusOK, &list)
	require.Len(t, list.Data, 2)
	var all listResponse[callView]
	c.send(http.MethodGet, "/v1/calls", "", "Authorization", admin).decode(t, http.StatusOK, &all)
	for _, call := range all.Data {
		var detail callDetailView
		c.send(http.MethodGet, "/v1/calls/"+call.ID, "", "Authorization", admin).decode(t, http.StatusOK, &detail)
	}
	twilioCall := all.Data[0].ID

	c.send(http.MethodPost, "/v1/calls/"+twilioCall+"/route", `{"kind":"hangup"}`, "Authorization", admin, "Content-Type", jsonType).
		decode(t, http.StatusAccepted, &callView{})
	ts.APIs[telephony.ProviderTwilio].respond(http.StatusNotFound, `{"code":20404,"message":"Not found","status":404}`)
	c.send(http.MethodPost, "/v1/calls/"+twilioCall+"/route", `{"kind":"hangup"}`, "Authorization", admin, "Content-Type", jsonType).
		problem(t, http.StatusBadGateway)
	c.send(http.MethodPost, "/v1/calls/"+all.Data[1].ID+"/route", `{"kind":"hangup"}`, "Authorization", admin, "Content-Type", jsonType).
		problem(t, http.StatusConflict)

	var result routingTestView
	c.send(http.MethodPost, "/v1/telephony-connections/"+twilioConn.ID+"/routing/test", `{"from":"+14155550123"}`, "Authorization", admin, "Content-Type", jsonType).
		decode(t, http.StatusOK, &result)
	c.send(http.MethodPost, "/v1/telephony-connections/"+genericConn.ID+"/routing/test", `{"from":"+14155550999"}`, "Authorization", admin, "Content-Type", jsonType).
		decode(t, http.StatusOK, &result)
}
