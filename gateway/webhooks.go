package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// deliveryStates are the values of the state filter of the delivery log.
var deliveryStates = []string{store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed}

// Lists of the webhook API that page with a cursor.
const (
	cursorWebhookDeliveries = "webhook_deliveries"
	cursorWebhookEvents     = "webhook_events"
)

// webhookView is a webhook subscription as the API shows it. The signing
// secret is shown only by create and rotate-secret, in webhookSecretView.
type webhookView struct {
	ID                      string   `json:"id"`
	URL                     string   `json:"url"`
	Description             string   `json:"description"`
	EventTypes              []string `json:"event_types"`
	Enabled                 bool     `json:"enabled"`
	DisabledReason          string   `json:"disabled_reason"`
	DisabledAt              *string  `json:"disabled_at"`
	FailingSince            *string  `json:"failing_since"`
	ConsecutiveFailures     int      `json:"consecutive_failures"`
	PreviousSecretExpiresAt *string  `json:"previous_secret_expires_at"`
	CreatedAt               string   `json:"created_at"`
	UpdatedAt               string   `json:"updated_at"`
}

// webhookSecretView is a subscription with its signing secret.
type webhookSecretView struct {
	webhookView
	Secret string `json:"secret"`
}

func viewWebhook(sub store.WebhookSubscription) webhookView {
	types := sub.EventTypes.V
	if types == nil {
		types = []string{}
	}
	return webhookView{
		ID: sub.ID, URL: sub.URL, Description: sub.Description, EventTypes: types, Enabled: sub.Enabled,
		DisabledReason: sub.DisabledReason, DisabledAt: formatOptionalTime(sub.DisabledAt),
		FailingSince: formatOptionalTime(sub.FailingSince), ConsecutiveFailures: sub.ConsecutiveFailures,
		PreviousSecretExpiresAt: formatOptionalTime(sub.PreviousSecretExpiresAt),
		CreatedAt:               formatTime(sub.CreatedAt.Time), UpdatedAt: formatTime(sub.UpdatedAt.Time),
	}
}

// webhookDeliveryView is the delivery of one event to a subscription with
// every attempt sent for it.
type webhookDeliveryView struct {
	ID             string               `json:"id"`
	EventID        string               `json:"event_id"`
	EventType      string               `json:"event_type"`
	State          string               `json:"state"`
	AttemptCount   int                  `json:"attempt_count"`
	NextAttemptAt  *string              `json:"next_attempt_at"`
	LastAttemptAt  *string              `json:"last_attempt_at"`
	LastStatusCode *int                 `json:"last_status_code"`
	LastError      string               `json:"last_error"`
	Attempts       []webhookAttemptView `json:"attempts"`
	CreatedAt      string               `json:"created_at"`
	UpdatedAt      string               `json:"updated_at"`
}

type webhookAttemptView struct {
	Attempt     int    `json:"attempt"`
	AttemptedAt string `json:"attempted_at"`
	StatusCode  *int   `json:"status_code"`
	LatencyMS   int64  `json:"latency_ms"`
	Error       string `json:"error"`
}

func viewWebhookDelivery(d webhooks.Delivery) webhookDeliveryView {
	v := webhookDeliveryView{
		ID: d.ID, EventID: d.EventID, EventType: d.EventType, State: d.State, AttemptCount: d.Attempts,
		NextAttemptAt: formatOptionalTime(d.NextAttemptAt), LastAttemptAt: formatOptionalTime(d.LastAttemptAt),
		LastStatusCode: d.LastStatusCode, LastError: d.LastError, Attempts: make([]webhookAttemptView, len(d.AttemptLog)),
		CreatedAt: formatTime(d.CreatedAt.Time), UpdatedAt: formatTime(d.UpdatedAt.Time),
	}
	if v.State != store.DeliveryPending {
		v.NextAttemptAt = nil
	}
	for i, a := range d.AttemptLog {
		v.Attempts[i] = webhookAttemptView{
			Attempt: a.Attempt, AttemptedAt: formatTime(a.AttemptedAt.Time), StatusCode: a.StatusCode,
			LatencyMS: a.LatencyMS, Error: a.Error,
		}
	}
	return v
}

// WebhookData renders the object of a webhook event as the API shows it.
// The webhooks service calls it when it records an event, so a delivery
// carries the same JSON as a GET of the object.
func WebhookData(object any) (any, error) {
	switch o := object.(type) {
	case store.Contact:
		return viewContact(o), nil
	case store.Phonebook:
		return viewPhonebook(o), nil
	case store.Call:
		return viewCall(o), nil
	case calllog.Logged:
		view := viewCall(o.Call)
		view.CRMLog = []callLogView{viewCallLog(o.Log)}
		return view, nil
	case store.WebhookSubscription:
		return viewWebhook(o), nil
	}
	return nil, fmt.Errorf("no API view for %T", object)
}

// rotateSecretRequest is the optional body of rotate-secret.
type rotateSecretRequest struct {
	OverlapSeconds *int `json:"overlap_seconds"`
}

// redeliverSinceRequest is the body of a redelivery of every event since
// a time.
type redeliverSinceRequest struct {
	Since string `json:"since"`
}

type redeliverSinceView struct {
	Queued int `json:"queued"`
	// NextSince is set when the limit stopped the redelivery: call again
	// with it as since to queue the rest.
	NextSince *string `json:"next_since"`
}

// webhookService returns the webhooks service, or a 503 when the gateway
// runs without one.
func (s *Server) webhookService() (*webhooks.Service, error) {
	if s.webhooks == nil {
		return nil, newProblem(probUnavailable, "Webhook subscriptions are not configured on this gateway.")
	}
	return s.webhooks, nil
}

// listWebhooks lists every subscription of the workspace, oldest first,
// in one page: a workspace has a handful.
func (s *Server) listWebhooks(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	subs, err := svc.List(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]webhookView, len(subs))
	for i, sub := range subs {
		views[i] = viewWebhook(sub)
	}
	return c.JSON(http.StatusOK, listResponse[webhookView]{Data: views})
}

// createWebhook stores a subscription and shows its signing secret, the
// only time the API shows it.
func (s *Server) createWebhook(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	var in webhooks.Input
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}

	sub, secret, err := svc.Create(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/webhooks/"+sub.ID)
	return c.JSON(http.StatusCreated, webhookSecretView{webhookView: viewWebhook(sub), Secret: secret})
}

func (s *Server) getWebhook(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	sub, err := svc.Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWebhook(sub))
}

// updateWebhook changes the fields the body names.
func (s *Server) updateWebhook(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	var patch webhooks.Patch
	if err := s.decodeJSON(c, &patch); err != nil {
		return err
	}

	sub, err := svc.Update(c.Request().Context(), p.WorkspaceID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWebhook(sub))
}

func (s *Server) deleteWebhook(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	if err := svc.Delete(c.Request().Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// rotateWebhookSecret gives the subscription a new secret and shows it.
// The body is optional; without overlap_seconds the old secret keeps
// signing for webhooks.DefaultSecretOverlap.
func (s *Server) rotateWebhookSecret(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	var in rotateSecretRequest
	if err := s.decodeOptionalJSON(c, &in); err != nil {
		return err
	}
	overlap := webhooks.DefaultSecretOverlap
	if in.OverlapSeconds != nil {
		overlap = time.Duration(*in.OverlapSeconds) * time.Second
	}

	sub, secret, err := svc.RotateSecret(c.Request().Context(), p.WorkspaceID, c.Param("id"), overlap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookSecretView{webhookView: viewWebhook(sub), Secret: secret})
}

// listWebhookDeliveries pages through the subscription's deliveries,
// newest first, each with its attempts.
func (s *Server) listWebhookDeliveries(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	id := c.Param("id")
	state := c.QueryParam("state")
	if state != "" && !slices.Contains(deliveryStates, state) {
		return queryProblem("state", "%q is not a delivery state; use one of %s", state, strings.Join(deliveryStates, ", "))
	}
	pc, limit, err := s.webhookListing(c, cursorWebhookDeliveries, p.WorkspaceID, map[string]string{"subscription_id": id, "state": state})
	if err != nil {
		return err
	}

	page, hasMore, err := svc.Deliveries(c.Request().Context(), p.WorkspaceID, id, pc.Filters["state"], pc.after(), limit)
	if err != nil {
		return err
	}

	views := make([]webhookDeliveryView, len(page))
	for i, d := range page {
		views[i] = viewWebhookDelivery(d)
	}
	resp := listResponse[webhookDeliveryView]{Data: views, HasMore: hasMore}
	if hasMore {
		last := page[len(page)-1]
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/webhooks/"+id+"/deliveries", pc, last.CreatedAt, last.ID, limit)
	}
	return c.JSON(http.StatusOK, resp)
}

// redeliverWebhook queues one delivery again, named by its id or by its
// event's id.
func (s *Server) redeliverWebhook(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	d, err := svc.Redeliver(c.Request().Context(), p.WorkspaceID, c.Param("id"), pathParam(c, "delivery_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, viewWebhookDelivery(d))
}

// redeliverWebhookSince queues again every delivery of the subscription
// whose event happened at or after since.
func (s *Server) redeliverWebhookSince(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}

	var in redeliverSinceRequest
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	since, err := parseTime(in.Since)
	if err != nil {
		return validation.New("since", "%s", err.Error())
	}

	queued, next, err := svc.RedeliverSince(c.Request().Context(), p.WorkspaceID, c.Param("id"), since.Time)
	if err != nil {
		return err
	}
	view := redeliverSinceView{Queued: queued}
	if next != nil {
		formatted := formatTime(*next)
		view.NextSince = &formatted
	}
	return c.JSON(http.StatusAccepted, view)
}

// listWebhookEvents pages through the workspace's recorded events, newest
// first, such as the webhook.disabled events of failing subscriptions.
// Each item is the body its deliveries carry.
func (s *Server) listWebhookEvents(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	eventType := c.QueryParam("type")
	if eventType != "" && !slices.Contains(webhooks.EventTypes, webhooks.EventType(eventType)) {
		return queryProblem("type", "%q is not an event type", eventType)
	}
	filters := map[string]string{"type": eventType}
	if raw := c.QueryParam("created_since"); raw != "" {
		since, err := parseTime(raw)
		if err != nil {
			return queryProblem("created_since", "%v", err)
		}
		filters["created_since"] = strconv.FormatInt(since.UnixMilli(), 10)
	}
	pc, limit, err := s.webhookListing(c, cursorWebhookEvents, p.WorkspaceID, filters)
	if err != nil {
		return err
	}

	filter := webhooks.EventFilter{Type: webhooks.EventType(pc.Filters["type"]), CreatedSince: millisParam(pc.Filters["created_since"])}
	events, hasMore, err := svc.Events(c.Request().Context(), p.WorkspaceID, filter, pc.after(), limit)
	if err != nil {
		return err
	}

	views := make([]json.RawMessage, len(events))
	for i, e := range events {
		views[i] = json.RawMessage(e.Payload)
	}
	resp := listResponse[json.RawMessage]{Data: views, HasMore: hasMore}
	if hasMore {
		last := events[len(events)-1]
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/webhook-events", pc, last.CreatedAt, last.ID, limit)
	}
	return c.JSON(http.StatusOK, resp)
}

// webhookListing reads limit and cursor of a list whose filters are fixed
// by the first request. A cursor of other filters is invalid. The caller
// reads the filters from the returned cursor.
func (s *Server) webhookListing(c echo.Context, list, workspaceID string, filters map[string]string) (pageCursor, int, error) {
	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return pageCursor{}, 0, err
	}
	raw := c.QueryParam("cursor")
	if raw == "" {
		return pageCursor{List: list, WorkspaceID: workspaceID, Filters: filters}, limit, nil
	}

	pc, err := s.decodeCursor(raw, list, workspaceID)
	if err != nil {
		return pageCursor{}, 0, err
	}
	for name, value := range filters {
		// A filter left out of a request with a cursor keeps the cursor's
		// value, so next_url, which carries only cursor and limit, works.
		if value != "" && pc.Filters[name] != value {
			return pageCursor{}, 0, queryProblem("cursor", "belongs to another listing; start again without a cursor")
		}
	}
	return pc, limit, nil
}
