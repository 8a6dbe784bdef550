package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Secrets of the Twilio connection the tests create.
const (
	connTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	connTwilioToken = "twilio-auth-token-value"
)

func twilioConnectionBody() map[string]any {
	return map[string]any{
		"provider":      "twilio",
		"name":          "Main line",
		"credentials":   map[string]any{"account_id": connTwilioSID, "auth_token": connTwilioToken},
		"routing_rules": []any{map[string]any{"name": "vip", "when": `contact?.extra_data?.tier == "vip"`, "route": map[string]any{"kind": "queue", "target": "vip"}}},
		"default_route": map[string]any{"kind": "number", "target": "(415) 555-0100", "timeout_seconds": 20},
	}
}

func createTwilioConnection(t *testing.T, cl *testClient) telephonyConnectionView {
	t.Helper()
	var view telephonyConnectionView
	cl.post("/v1/telephony-connections", twilioConnectionBody()).decode(t, http.StatusCreated, &view)
	return view
}

func TestCreateTelephonyConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		resp := ts.admin(t).post("/v1/telephony-connections", twilioConnectionBody())

		var view telephonyConnectionView
		resp.decode(t, http.StatusCreated, &view)
		require.Equal(t, "/v1/telephony-connections/"+view.ID, resp.Header.Get("Location"))
		require.True(t, strings.HasPrefix(view.ID, "tc_"))
		require.Equal(t, "twilio", view.Provider)
		require.Equal(t, "Main line", view.Name)
		require.True(t, view.Enabled)
		require.Equal(t, map[string]string{"account_id": "…cdef", "auth_token": "set"}, view.Credentials)
		require.Equal(t, telephony.Route{Kind: "number", Target: "+14155550100", TimeoutSeconds: 20}, view.DefaultRoute)
		require.Len(t, view.RoutingRules, 1)
		require.Equal(t, "vip", view.RoutingRules[0].Name)
		require.Equal(t, []string{}, view.PhonebookIDs)
		require.Equal(t, "phonebook", view.LookupOrder)
		require.Equal(t, 1500, view.DeadlineMillis)
		require.Equal(t, map[string]string{
			"voice":     "http://switchboard.test/hooks/twilio/" + view.ID + "/voice",
			"status":    "http://switchboard.test/hooks/twilio/" + view.ID + "/status",
			"recording": "http://switchboard.test/hooks/twilio/" + view.ID + "/recording",
		}, view.WebhookURLs)
		require.Empty(t, view.SigningSecret)
		require.NotContains(t, string(resp.Body), connTwilioToken, "the API never returns a secret")
		require.NotContains(t, string(resp.Body), connTwilioSID)
	})
}

func TestCreateGenericConnectionShowsSecretOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)

		var created telephonyConnectionView
		cl.post("/v1/telephony-connections", map[string]any{
			"provider": "generic", "name": "PBX", "default_route": map[string]any{"kind": "voicemail"},
		}).decode(t, http.StatusCreated, &created)
		require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, created.SigningSecret)
		require.Equal(t, map[string]string{"signing_secret": "set"}, created.Credentials)
		require.Equal(t, map[string]string{"events": "http://switchboard.test/hooks/generic/" + created.ID + "/events"}, created.WebhookURLs)

		resp := cl.get("/v1/telephony-connections/" + created.ID)
		var got telephonyConnectionView
		resp.decode(t, http.StatusOK, &got)
		require.Empty(t, got.SigningSecret)
		require.NotContains(t, string(resp.Body), created.SigningSecret)
	})
}

func TestListAndGetTelephonyConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		first := createTwilioConnection(t, cl)
		second := createTwilioConnection(t, cl)

		var list listResponse[telephonyConnectionView]
		resp := cl.get("/v1/telephony-connections")
		resp.decode(t, http.StatusOK, &list)
		require.False(t, list.HasMore)
		require.Len(t, list.Data, 2)
		require.Equal(t, first.ID, list.Data[0].ID, "oldest first")
		require.Equal(t, second.ID, list.Data[1].ID)
		require.NotContains(t, string(resp.Body), connTwilioToken)

		var got telephonyConnectionView
		cl.get("/v1/telephony-connections/"+first.ID).decode(t, http.StatusOK, &got)
		require.Equal(t, first, got)

		cl.get("/v1/telephony-connections/tc_missing").problem(t, http.StatusNotFound)
	})
}

func TestUpdateTelephonyConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		created := createTwilioConnection(t, cl)
		pb := store.Phonebook{WorkspaceID: ts.Workspace.ID, Name: "Customers"}
		require.NoError(t, st.CreatePhonebook(t.Context(), &pb))

		var updated telephonyConnectionView
		cl.patch("/v1/telephony-connections/"+created.ID, map[string]any{
			"name":          "Renamed",
			"credentials":   map[string]any{"auth_token": "rotated-token"},
			"phonebook_ids": []string{pb.ID},
			"deadline_ms":   900,
			"options":       map[string]any{"extension_as": "sip", "sip_domain": "acme.sip.twilio.com"},
			"enabled":       false,
		}).decode(t, http.StatusOK, &updated)
		require.Equal(t, "Renamed", updated.Name)
		require.Equal(t, []string{pb.ID}, updated.PhonebookIDs)
		require.Equal(t, 900, updated.DeadlineMillis)
		require.Equal(t, "sip", updated.Options.ExtensionAs)
		require.False(t, updated.Enabled)
		require.Equal(t, created.DefaultRoute, updated.DefaultRoute, "fields left out keep their value")
		require.Equal(t, created.CreatedAt, updated.CreatedAt)

		conn, err := st.GetTelephonyConnection(t.Context(), ts.Workspace.ID, created.ID)
		require.NoError(t, err)
		plain, err := ts.Keyring.Decrypt(conn.Credentials)
		require.NoError(t, err)
		require.JSONEq(t, `{"account_id":"`+connTwilioSID+`","auth_token":"rotated-token"}`, string(plain))
	})
}

func TestTelephonyConnectionValidationProblems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		tests := []struct {
			name   string
			change func(map[string]any)
			fields []string
		}{
			{name: "rule does not compile", change: func(b map[string]any) {
				b["routing_rules"] = []any{map[string]any{"name": "bad", "when": "contact.", "route": map[string]any{"kind": "voicemail"}}}
			}, fields: []string{"routing_rules[0].when"}},
			{name: "missing credential and bad deadline", change: func(b map[string]any) {
				b["credentials"] = map[string]any{"account_id": connTwilioSID}
				b["deadline_ms"] = 20000
			}, fields: []string{"credentials.auth_token", "deadline_ms"}},
			{name: "unknown phonebook", change: func(b map[string]any) { b["phonebook_ids"] = []string{"pb_missing"} },
				fields: []string{"phonebook_ids[0]"}},
			{name: "unknown field", change: func(b map[string]any) { b["webhook_url"] = "https://example.com" },
				fields: []string{"webhook_url"}},
			{name: "unknown route field", change: func(b map[string]any) { b["default_route"] = map[string]any{"kind": "voicemail", "mailbox": "x"} },
				fields: []string{"default_route.mailbox"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := twilioConnectionBody()
				tt.change(body)
				p := cl.post("/v1/telephony-connections", body).problem(t, http.StatusUnprocessableEntity)

				var fields []string
				for _, f := range p.InvalidParams {
					fields = append(fields, f.Field)
				}
				require.ElementsMatch(t, tt.fields, fields)
			})
		}

		created := createTwilioConnection(t, cl)
		p := cl.patch("/v1/telephony-connections/"+created.ID, map[string]any{"provider": "telnyx"}).problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "provider", p.InvalidParams[0].Field, "the provider cannot change")
	})
}

func TestDeleteTelephonyConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		created := createTwilioConnection(t, cl)

		resp := cl.delete("/v1/telephony-connections/" + created.ID)
		require.Equal(t, http.StatusNoContent, resp.Status)
		require.Empty(t, resp.Body)
		cl.get("/v1/telephony-connections/"+created.ID).problem(t, http.StatusNotFound)
		cl.delete("/v1/telephony-connections/"+created.ID).problem(t, http.StatusNotFound)
	})
}

func TestTelephonyConnectionScopesAndTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		created := createTwilioConnection(t, ts.admin(t))
		path := "/v1/telephony-connections/" + created.ID

		reader := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeConnectionsRead))
		reader.get(path).decode(t, http.StatusOK, &telephonyConnectionView{})
		reader.post("/v1/telephony-connections", twilioConnectionBody()).problem(t, http.StatusForbidden)
		reader.patch(path, map[string]any{"name": "x"}).problem(t, http.StatusForbidden)
		reader.delete(path).problem(t, http.StatusForbidden)

		writer := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeConnectionsWrite))
		writer.get(path).decode(t, http.StatusOK, &telephonyConnectionView{})

		directoryOnly := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeDirectoryWrite))
		directoryOnly.get("/v1/telephony-connections").problem(t, http.StatusForbidden)

		_, otherAdmin := ts.newWorkspace(t, "Other", "GB")
		other := ts.client(t, otherAdmin)
		other.get(path).problem(t, http.StatusNotFound)
		other.patch(path, map[string]any{"name": "Mine"}).problem(t, http.StatusNotFound)
		other.delete(path).problem(t, http.StatusNotFound)
		var list listResponse[telephonyConnectionView]
		other.get("/v1/telephony-connections").decode(t, http.StatusOK, &list)
		require.Empty(t, list.Data)
	})
}

// TestTelephonyConnectionsMatchOpenAPI drives every connection operation
// through a client that checks requests and responses against the OpenAPI
// document.
func TestTelephonyConnectionsMatchOpenAPI(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	auth := bearer(ts.AdminKey)
	json := "application/json"

	resp := c.send(http.MethodPost, "/v1/telephony-connections", `{
		"provider": "vonage", "name": "Berlin",
		"credentials": {"signing_secret": "vonage-signature-secret", "account_id": "abcd1234efgh"},
		"routing_rules": [{"name": "vip", "when": "contact != nil", "route": {"kind": "queue", "target": "vip"}, "target_expr": ""}],
		"default_route": {"kind": "voicemail"},
		"deadline_ms": 2000,
		"options": {"talk_language": "de-DE", "voicemail_max_seconds": 60}
	}`, "Authorization", auth, "Content-Type", json)
	require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	var vonage telephonyConnectionView
	resp.decode(t, http.StatusCreated, &vonage)

	resp = c.send(http.MethodPost, "/v1/telephony-connections", `{"provider": "generic", "name": "PBX", "default_route": {"kind": "hangup"}}`,
		"Authorization", auth, "Content-Type", json)
	require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)

	resp = c.send(http.MethodGet, "/v1/telephony-connections", "", "Authorization", auth)
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)

	resp = c.send(http.MethodPatch, "/v1/telephony-connections/"+vonage.ID, `{"name": null, "credentials": {"account_id": ""}, "options": null, "enabled": false}`,
		"Authorization", auth, "Content-Type", json)
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	var patched telephonyConnectionView
	resp.decode(t, http.StatusOK, &patched)
	require.Equal(t, "Berlin", patched.Name)
	require.Equal(t, map[string]string{"signing_secret": "set"}, patched.Credentials)
	require.Equal(t, "de-DE", patched.Options.TalkLanguage, "null options keep the stored ones")

	resp = c.send(http.MethodPost, "/v1/telephony-connections", `{"provider": "twilio", "name": "x", "default_route": {"kind": "voicemail"}}`,
		"Authorization", auth, "Content-Type", json)
	require.Equal(t, http.StatusUnprocessableEntity, resp.Status, "body: %s", resp.Body)

	resp = c.send(http.MethodGet, "/v1/telephony-connections/"+vonage.ID, "", "Authorization", auth)
	require.Equal(t, http.StatusOK, resp.Status, "body: %s", resp.Body)
	resp = c.send(http.MethodDelete, "/v1/telephony-connections/"+vonage.ID, "", "Authorization", auth)
	require.Equal(t, http.StatusNoContent, resp.Status, "body: %s", resp.Body)
	resp = c.send(http.MethodGet, "/v1/telephony-connections/"+vonage.ID, "", "Authorization", auth)
	require.Equal(t, http.StatusNotFound, resp.Status, "body: %s", resp.Body)
}
