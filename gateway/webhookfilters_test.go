package gateway

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// recordedEvent is the part of a recorded event these tests read.
type recordedEvent struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
}

// setupDeliveredPhonebooks creates three phonebooks on a server whose
// subscriber responds 200, and waits until the three events are delivered.
func setupDeliveredPhonebooks(t *testing.T) (*webhookServer, webhookSecretView) {
	t.Helper()
	ws := newWebhookServer(t, testdb.Open(t, store.SQLite), 0)
	hook := newEndpoint(t)
	sub := ws.subscribe(t, ws.AdminKey, hook.URL, "phonebook.*")
	for _, name := range []string{"Suppliers", "Partners", "Press"} {
		require.Equal(t, http.StatusCreated, ws.admin(t).post("/v1/phonebooks", obj{"name": name}).Status)
	}
	hook.waitFor(t, 3)
	require.Eventually(t, func() bool {
		var log listResponse[webhookDeliveryView]
		ws.admin(t).get("/v1/webhooks/"+sub.ID+"/deliveries?state=succeeded").decode(t, http.StatusOK, &log)
		return len(log.Data) == 3
	}, webhookWait, 20*time.Millisecond)
	return ws, sub
}

func TestWebhookDeliveriesStateFilter(t *testing.T) {
	ws, sub := setupDeliveredPhonebooks(t)
	cl := ws.admin(t)

	var failed, succeeded listResponse[webhookDeliveryView]
	cl.get("/v1/webhooks/"+sub.ID+"/deliveries?state=failed").decode(t, http.StatusOK, &failed)
	cl.get("/v1/webhooks/"+sub.ID+"/deliveries?state=succeeded&limit=2").decode(t, http.StatusOK, &succeeded)

	require.Empty(t, failed.Data)
	require.Len(t, succeeded.Data, 2)
	require.True(t, succeeded.HasMore)
	var rest listResponse[webhookDeliveryView]
	cl.get(succeeded.NextURL).decode(t, http.StatusOK, &rest)
	require.Len(t, rest.Data, 1, "next_url keeps the state filter")
	require.Equal(t, "succeeded", rest.Data[0].State)
}

func TestWebhookDeliveriesUnknownState(t *testing.T) {
	ws, sub := setupDeliveredPhonebooks(t)

	p := ws.admin(t).get("/v1/webhooks/"+sub.ID+"/deliveries?state=done").problem(t, http.StatusBadRequest)

	require.Contains(t, p.Detail, `"done" is not a delivery state`)
}

func TestWebhookEventsCreatedSince(t *testing.T) {
	ws, _ := setupDeliveredPhonebooks(t)
	cl := ws.admin(t)
	var all listResponse[recordedEvent]
	cl.get("/v1/webhook-events").decode(t, http.StatusOK, &all)
	require.Len(t, all.Data, 3)
	oldest, err := time.Parse(time.RFC3339, all.Data[2].CreatedAt)
	require.NoError(t, err)

	var page listResponse[recordedEvent]
	cl.get("/v1/webhook-events?limit=2&created_since="+url.QueryEscape(oldest.Format(time.RFC3339Nano))).decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 2)
	require.True(t, page.HasMore)
	var rest listResponse[recordedEvent]
	cl.get(page.NextURL).decode(t, http.StatusOK, &rest)
	require.Len(t, rest.Data, 1, "next_url keeps created_since")

	var none listResponse[recordedEvent]
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	cl.get("/v1/webhook-events?created_since="+future).decode(t, http.StatusOK, &none)
	require.Empty(t, none.Data)
}

func TestWebhookEventsTypeKeptInNextURL(t *testing.T) {
	ws, _ := setupDeliveredPhonebooks(t)
	cl := ws.admin(t)

	var page, rest listResponse[recordedEvent]
	cl.get("/v1/webhook-events?type=phonebook.created&limit=2").decode(t, http.StatusOK, &page)
	cl.get(page.NextURL).decode(t, http.StatusOK, &rest)

	require.Len(t, page.Data, 2)
	require.Len(t, rest.Data, 1)
}

func TestWebhookEventsBadCreatedSince(t *testing.T) {
	ws, _ := setupDeliveredPhonebooks(t)

	p := ws.admin(t).get("/v1/webhook-events?created_since=yesterday").problem(t, http.StatusBadRequest)

	require.Equal(t, "created_since", p.InvalidParams[0].Field)
}
