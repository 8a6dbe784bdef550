package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestUserCRUD(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		admin := ts.admin(t)

		var created userView
		admin.post("/v1/users", map[string]any{
			"email": " Ann@Example.com ", "name": "Ann Lee", "role": "agent", "password": "s3cret-pass",
			"extensions": []string{"1001", " 1001 "}, "client_identities": []string{"ann"}, "queues": []string{"sales", "Sales"},
		}).decode(t, http.StatusCreated, &created)
		require.Regexp(t, `^usr_[0-9a-f]{32}$`, created.ID)
		require.Equal(t, "ann@example.com", created.Email)
		require.Equal(t, []string{"1001"}, created.Extensions)
		require.Equal(t, []string{"sales"}, created.Queues)
		require.False(t, created.Disabled)

		resp := admin.get("/v1/users/" + created.ID)
		require.NotContains(t, string(resp.Body), "password")
		require.NotContains(t, string(resp.Body), "argon2")
		var got userView
		resp.decode(t, http.StatusOK, &got)
		require.Equal(t, created, got)

		stored, err := st.GetUser(t.Context(), ts.Workspace.ID, created.ID)
		require.NoError(t, err)
		ok, err := agents.VerifyPassword(stored.PasswordHash, "s3cret-pass")
		require.NoError(t, err)
		require.True(t, ok)

		var patched userView
		admin.patch("/v1/users/"+created.ID, map[string]any{"role": "admin", "queues": []string{}, "password": "another-pass"}).
			decode(t, http.StatusOK, &patched)
		require.Equal(t, "admin", patched.Role)
		require.Equal(t, []string{}, patched.Queues)
		require.Equal(t, []string{"1001"}, patched.Extensions, "absent fields keep their value")
		stored, err = st.GetUser(t.Context(), ts.Workspace.ID, created.ID)
		require.NoError(t, err)
		ok, err = agents.VerifyPassword(stored.PasswordHash, "another-pass")
		require.NoError(t, err)
		require.True(t, ok)

		var list struct {
			Data    []userView `json:"data"`
			HasMore bool       `json:"has_more"`
		}
		admin.get("/v1/users").decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, 1)
		require.False(t, list.HasMore)

		require.Equal(t, http.StatusNoContent, admin.delete("/v1/users/"+created.ID).Status)
		admin.get("/v1/users/"+created.ID).problem(t, http.StatusNotFound)
		admin.delete("/v1/users/"+created.ID).problem(t, http.StatusNotFound)
	})
}

func TestUserValidation(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	admin := ts.admin(t)
	valid := map[string]any{"email": "ann@example.com", "name": "Ann", "password": "s3cret-pass"}
	with := func(key string, value any) map[string]any {
		body := map[string]any{}
		for k, v := range valid {
			body[k] = v
		}
		body[key] = value
		return body
	}

	tests := []struct {
		name  string
		body  any
		field string
	}{
		{name: "missing email", body: map[string]any{"name": "Ann", "password": "s3cret-pass"}, field: "email"},
		{name: "missing password", body: map[string]any{"email": "ann@example.com", "name": "Ann"}, field: "password"},
		{name: "bad email", body: with("email", "Ann <ann@example.com>"), field: "email"},
		{name: "empty name", body: with("name", "  "), field: "name"},
		{name: "long name", body: with("name", strings.Repeat("n", 201)), field: "name"},
		{name: "unknown role", body: with("role", "root"), field: "role"},
		{name: "short password", body: with("password", "short"), field: "password"},
		{name: "empty extension", body: with("extensions", []string{"1001", ""}), field: "extensions[1]"},
		{name: "too many queues", body: with("queues", make([]string, 51)), field: "queues"},
		{name: "unknown field", body: with("password_hash", "x"), field: "password_hash"},
		{name: "wrong type", body: with("disabled", "yes"), field: "disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := admin.post("/v1/users", tt.body).problem(t, http.StatusUnprocessableEntity)

			require.Len(t, p.InvalidParams, 1, "%+v", p.InvalidParams)
			require.Equal(t, tt.field, p.InvalidParams[0].Field)
		})
	}
	t.Run("duplicate email", func(t *testing.T) {
		admin.post("/v1/users", valid).decode(t, http.StatusCreated, &userView{})

		admin.post("/v1/users", with("email", "ANN@example.com")).problem(t, http.StatusConflict)
	})
}

func TestUserTenantIsolation(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	other, otherKey := ts.newWorkspace(t, "Other", "DE")
	var theirs userView
	ts.client(t, otherKey).post("/v1/users", map[string]any{"email": "zoe@example.com", "name": "Zoe", "password": "s3cret-pass"}).
		decode(t, http.StatusCreated, &theirs)
	admin := ts.admin(t)

	admin.get("/v1/users/"+theirs.ID).problem(t, http.StatusNotFound)
	admin.patch("/v1/users/"+theirs.ID, map[string]any{"name": "Mine"}).problem(t, http.StatusNotFound)
	admin.delete("/v1/users/"+theirs.ID).problem(t, http.StatusNotFound)
	var list struct {
		Data []userView `json:"data"`
	}
	admin.get("/v1/users").decode(t, http.StatusOK, &list)
	require.Empty(t, list.Data)

	stored, err := ts.Store.GetUser(t.Context(), other.ID, theirs.ID)
	require.NoError(t, err)
	require.Equal(t, "Zoe", stored.Name)
}

func TestUserEndpointsNeedAdmin(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	reader := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsRead))

	reader.get("/v1/users").problem(t, http.StatusForbidden)
	reader.post("/v1/users", map[string]any{"email": "a@example.com", "name": "A", "password": "s3cret-pass"}).problem(t, http.StatusForbidden)
}

func TestWorkspaceScreenPopFieldsPatch(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	admin := ts.admin(t)

	var w workspaceView
	admin.get("/v1/workspace").decode(t, http.StatusOK, &w)
	require.Equal(t, []string{}, w.ScreenPopFields)

	admin.patch("/v1/workspace", map[string]any{"screen_pop_fields": []string{"tier", "owner"}}).decode(t, http.StatusOK, &w)
	require.Equal(t, []string{"tier", "owner"}, w.ScreenPopFields)
	admin.patch("/v1/workspace", map[string]any{"name": "Renamed"}).decode(t, http.StatusOK, &w)
	require.Equal(t, []string{"tier", "owner"}, w.ScreenPopFields, "absent fields keep their value")

	tests := []struct {
		name  string
		keys  any
		field string
	}{
		{name: "empty key", keys: []string{"tier", ""}, field: "screen_pop_fields[1]"},
		{name: "repeated key", keys: []string{"tier", "tier"}, field: "screen_pop_fields[1]"},
		{name: "too many", keys: make([]string, 51), field: "screen_pop_fields"},
		{name: "not a list", keys: "tier", field: "screen_pop_fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := admin.patch("/v1/workspace", map[string]any{"screen_pop_fields": tt.keys}).problem(t, http.StatusUnprocessableEntity)

			require.Equal(t, tt.field, p.InvalidParams[0].Field)
		})
	}
}

// TestScreenPopFieldsSelectPopFields checks that the workspace setting
// chooses the extra_data fields of pops.
func TestScreenPopFieldsSelectPopFields(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "")
	as.Contact.ExtraData = json.RawMessage(`{"crm_url":"` + annCRMURL + `","tier":"gold","owner":"Bo","notes":"` + strings.Repeat("n", 300) + `"}`)
	_, err := as.Store.UpdateContact(t.Context(), &as.Contact)
	require.NoError(t, err)
	_, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, nil, nil)
	conn, _, _ := as.connect(t, token)

	as.ringCall(t, "CA-default", annNumber)
	byDefault := readCall(t, conn)
	as.admin(t).patch("/v1/workspace", map[string]any{"screen_pop_fields": []string{"notes", "tier"}})
	as.ringCall(t, "CA-listed", annNumber)
	listed := readCall(t, conn)

	require.ElementsMatch(t, []string{"tier", "owner"}, fieldNames(byDefault.Contact.Fields))
	require.ElementsMatch(t, []string{"notes", "tier"}, fieldNames(listed.Contact.Fields))
	require.Equal(t, annCRMURL, *listed.CRMURL)
}

func fieldNames(fields map[string]json.RawMessage) []string {
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	return names
}
