package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// metaField finds the field named name in a fields listing, or nil.
func metaField(fields []fieldView, name string) *fieldView {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

func TestCustomFieldListedAndEnforced(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		c := newSpecClient(t, ts)
		admin := bearer(ts.AdminKey)
		_, otherKey := ts.newWorkspace(t, "Other", "US")

		resp := c.send(http.MethodPost, "/v1/custom-fields", `{"name":"seats","type":"integer","description":"Licensed seats"}`,
			"Authorization", admin, "Content-Type", "application/json")
		require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)

		var fields listResponse[fieldView]
		resp = c.send(http.MethodGet, "/v1/meta/object-types/contacts/fields", "", "Authorization", admin)
		require.NoError(t, json.Unmarshal(resp.Body, &fields))
		seats := metaField(fields.Data, "seats")
		require.NotNil(t, seats, "the new field is listed at once")
		require.Equal(t, "integer", seats.Type)
		require.True(t, seats.Custom)
		require.Equal(t, "extra_data.seats", seats.Path)

		pb := ts.admin(t).post("/v1/phonebooks", map[string]any{"name": "Customers"})
		var phonebook phonebookView
		pb.decode(t, http.StatusCreated, &phonebook)
		resp = c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+phonebook.ID+`","first_name":"Ann","extra_data":{"seats":"ten"}}`,
			"Authorization", admin, "Content-Type", "application/json")
		p := resp.problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "extra_data.seats", p.InvalidParams[0].Field)
		require.Contains(t, p.InvalidParams[0].Reason, "an integer")

		resp = c.send(http.MethodGet, "/v1/meta/object-types/contacts/fields", "", "Authorization", bearer(otherKey))
		require.NoError(t, json.Unmarshal(resp.Body, &fields))
		require.Nil(t, metaField(fields.Data, "seats"), "another workspace sees none of the fields")
		resp = c.send(http.MethodGet, "/v1/custom-fields/seats", "", "Authorization", bearer(otherKey))
		resp.problem(t, http.StatusNotFound)
	})
}

func TestMetaObjectTypes(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	key := bearer(ts.newKey(t, ts.Workspace.ID, ScopeWebhooksRead))

	var types listResponse[objectTypeView]
	resp := c.send(http.MethodGet, "/v1/meta/object-types", "", "Authorization", key)
	require.NoError(t, json.Unmarshal(resp.Body, &types))
	require.Len(t, types.Data, len(objectTypes))
	var contacts objectTypeView
	for _, ot := range types.Data {
		require.NotEmpty(t, ot.Operations, "type %s has no operations", ot.Name)
		if ot.Name == "contacts" {
			contacts = ot
		}
	}
	require.Contains(t, contacts.Operations, operationView{
		Name: "getContact", Kind: "get", OperationID: "getContact", Method: "GET", Path: "/v1/contacts/{id}", Summary: "Get a contact", Scope: ScopeDirectoryRead,
	})

	var fields listResponse[fieldView]
	resp = c.send(http.MethodGet, "/v1/meta/object-types/contacts/fields", "", "Authorization", key)
	require.NoError(t, json.Unmarshal(resp.Body, &fields))
	require.True(t, metaField(fields.Data, "id").ReadOnly)
	require.True(t, metaField(fields.Data, "phonebook_id").Required)
	require.False(t, metaField(fields.Data, "first_name").Required)
	require.False(t, metaField(fields.Data, "first_name").ReadOnly)
	require.True(t, metaField(fields.Data, "external_id").Nullable)

	resp = c.send(http.MethodGet, "/v1/meta/object-types/calls/fields", "", "Authorization", key)
	require.NoError(t, json.Unmarshal(resp.Body, &fields))
	require.Contains(t, metaField(fields.Data, "provider").AllowedValues, "twilio")

	resp = c.send(http.MethodGet, "/v1/meta/object-types/widgets/fields", "", "Authorization", key)
	require.Contains(t, resp.problem(t, http.StatusNotFound).Detail, "contacts")
}

// insertCall stores a call of the contact, as telephony would.
func insertCall(t *testing.T, st *store.Store, workspaceID string, contact *contactView, providerCallID string) store.Call {
	t.Helper()
	call := store.Call{
		WorkspaceID: workspaceID, ConnectionID: "tc_test", Provider: "generic", ProviderCallID: providerCallID,
		Status: "ringing", StartedAt: store.Millis(time.Now()), LastEventAt: store.Millis(time.Now()),
	}
	if contact != nil {
		call.ContactID, call.PhonebookID = &contact.ID, &contact.PhonebookID
	}
	require.NoError(t, st.InsertCall(context.Background(), &call))
	return call
}

func TestIncludeRelatedObjects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		c := newSpecClient(t, ts)
		admin := bearer(ts.AdminKey)
		var pb phonebookView
		ts.admin(t).post("/v1/phonebooks", map[string]any{"name": "Customers"}).decode(t, http.StatusCreated, &pb)
		var ann contactView
		ts.admin(t).post("/v1/contacts", map[string]any{"phonebook_id": pb.ID, "first_name": "Ann"}).decode(t, http.StatusCreated, &ann)
		matched := insertCall(t, st, ts.Workspace.ID, &ann, "c-1")
		insertCall(t, st, ts.Workspace.ID, nil, "c-2")
		// A listing shows only calls created before its snapshot bound, one
		// millisecond before the request.
		time.Sleep(2 * time.Millisecond)

		var calls listResponse[callWithContactView]
		resp := c.send(http.MethodGet, "/v1/calls?include=contact", "", "Authorization", admin)
		require.NoError(t, json.Unmarshal(resp.Body, &calls), "body: %s", resp.Body)
		require.Len(t, calls.Data, 2)
		require.Equal(t, ann.ID, calls.Data[0].Contact.ID)
		require.Nil(t, calls.Data[1].Contact)
		resp = c.send(http.MethodGet, "/v1/calls", "", "Authorization", admin)
		require.NotContains(t, string(resp.Body), `"contact":`, "without include the listing is unchanged")
		resp = c.send(http.MethodGet, "/v1/calls/"+matched.ID+"?include=contact", "", "Authorization", admin)
		require.Equal(t, http.StatusOK, resp.Status)

		var detail contactDetailView
		resp = c.send(http.MethodGet, "/v1/contacts/"+ann.ID+"?include=phonebook,calls", "", "Authorization", admin)
		require.NoError(t, json.Unmarshal(resp.Body, &detail), "body: %s", resp.Body)
		require.Equal(t, pb.ID, detail.Phonebook.ID)
		require.Len(t, *detail.Calls, 1)
		require.Equal(t, matched.ID, (*detail.Calls)[0].ID)
		resp = c.send(http.MethodGet, "/v1/contacts/"+ann.ID, "", "Authorization", admin)
		require.NotContains(t, string(resp.Body), `"phonebook":`)

		var contacts listResponse[contactDetailView]
		resp = c.send(http.MethodGet, "/v1/contacts?include=phonebook", "", "Authorization", admin)
		require.NoError(t, json.Unmarshal(resp.Body, &contacts))
		require.Equal(t, pb.Name, contacts.Data[0].Phonebook.Name)

		p := c.send(http.MethodGet, "/v1/contacts?include=calls", "", "Authorization", admin).problem(t, http.StatusBadRequest)
		require.Contains(t, p.Detail, "allowed values: phonebook")
		directoryOnly := bearer(ts.newKey(t, ts.Workspace.ID, ScopeDirectoryRead))
		c.send(http.MethodGet, "/v1/contacts/"+ann.ID+"?include=calls", "", "Authorization", directoryOnly).problem(t, http.StatusForbidden)
	})
}

func TestMetaOperationNamesUnique(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)

	var types listResponse[objectTypeView]
	resp := c.send(http.MethodGet, "/v1/meta/object-types", "", "Authorization", bearer(ts.AdminKey))
	require.NoError(t, json.Unmarshal(resp.Body, &types))

	kinds := []string{"list", "get", "create", "update", "replace", "delete", "search", "lookup", "action"}
	for _, ot := range types.Data {
		names := map[string]bool{}
		for _, op := range ot.Operations {
			require.False(t, names[op.Name], "type %s lists %s twice", ot.Name, op.Name)
			names[op.Name] = true
			require.Contains(t, kinds, op.Kind, "operation %s", op.Name)
		}
	}
}

func TestMetaOperationKind(t *testing.T) {
	tests := []struct{ operationID, kind string }{
		{"listWebhookDeliveries", "list"},
		{"getContactByExternalID", "get"},
		{"patchContact", "update"},
		{"replaceContact", "replace"},
		{"lookupContacts", "lookup"},
		{"signIn", "action"},
		{"batchUpsertContacts", "action"},
		{"redeliverWebhookEvents", "action"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.kind, operationKind(tt.operationID), tt.operationID)
	}
}

func TestMetaArrayItemType(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)

	var fields listResponse[fieldView]
	resp := c.send(http.MethodGet, "/v1/meta/object-types/contacts/fields", "", "Authorization", bearer(ts.AdminKey))
	require.NoError(t, json.Unmarshal(resp.Body, &fields))

	require.Equal(t, "string", metaField(fields.Data, "emails").ItemType)
	require.Equal(t, "object", metaField(fields.Data, "phone_numbers").ItemType)
	require.Empty(t, metaField(fields.Data, "first_name").ItemType)
}
