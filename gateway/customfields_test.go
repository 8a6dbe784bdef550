package gateway

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestCustomIntegerReturnedPlain(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	admin := bearer(ts.AdminKey)
	resp := c.send(http.MethodPost, "/v1/custom-fields", `{"name":"seats","type":"integer"}`,
		"Authorization", admin, "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	var phonebook phonebookView
	ts.admin(t).post("/v1/phonebooks", map[string]any{"name": "Customers"}).decode(t, http.StatusCreated, &phonebook)

	resp = c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+phonebook.ID+`","first_name":"Ann","extra_data":{"seats":1e2}}`,
		"Authorization", admin, "Content-Type", "application/json")

	require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	require.Contains(t, string(resp.Body), `"extra_data":{"seats":100}`)
}

func TestCustomIntegerOutOfRange(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	admin := bearer(ts.AdminKey)
	resp := c.send(http.MethodPost, "/v1/custom-fields", `{"name":"seats","type":"integer"}`,
		"Authorization", admin, "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, resp.Status, "body: %s", resp.Body)
	var phonebook phonebookView
	ts.admin(t).post("/v1/phonebooks", map[string]any{"name": "Customers"}).decode(t, http.StatusCreated, &phonebook)

	resp = c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+phonebook.ID+`","first_name":"Ann","extra_data":{"seats":99999999999999999999999}}`,
		"Authorization", admin, "Content-Type", "application/json")

	p := resp.problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "extra_data.seats", p.InvalidParams[0].Field)
	require.Contains(t, p.InvalidParams[0].Reason, "is outside the range of a 64-bit integer")
}
