package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// contactObject is a contact as the objects and search APIs return it.
// Property values are strings or null.
type contactObject struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	UpdatedAt  time.Time      `json:"updatedAt"`
	Archived   bool           `json:"archived"`
	ArchivedAt *time.Time     `json:"archivedAt"`
}

// contactPage is one page of the objects list or search API.
type contactPage struct {
	Results []contactObject `json:"results"`
	Paging  struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// record converts a contact, dropping null properties. An archived
// contact's UpdatedAt is the time it was archived.
func (c *Connector) record(object contactObject) crm.Record {
	properties := make(map[string]any, len(object.Properties))
	for name, value := range object.Properties {
		if value != nil {
			properties[name] = value
		}
	}

	rec := crm.Record{
		ID:         object.ID,
		Object:     "contact",
		Properties: properties,
		OwnerID:    stringProperty(properties, "hubspot_owner_id"),
		UpdatedAt:  object.UpdatedAt,
		Archived:   object.Archived,
	}
	if object.ArchivedAt != nil {
		rec.UpdatedAt = *object.ArchivedAt
	}
	rec.URL = c.RecordURL(rec)
	return rec
}

func stringProperty(properties map[string]any, name string) string {
	value, _ := properties[name].(string)
	return value
}

// owner is the part of a HubSpot owner a record carries.
type owner struct {
	Name  string
	Email string
}

// ownerObject is the body of GET /crm/v3/owners/{ownerId}.
type ownerObject struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// resolveOwners fills OwnerName and OwnerEmail from the owner cache,
// reading owners it lacks. A 403 or 404 caches the owner as unknown, so
// tokens without the owners scope cost one request per owner and TTL.
// Other failures are returned when strict is set and skipped otherwise:
// a sync must not overwrite a known owner with a blank one, while a live
// lookup is better served by a record without the owner's name.
func (c *Connector) resolveOwners(ctx context.Context, records []crm.Record, strict bool) error {
	for i := range records {
		id := records[i].OwnerID
		if id == "" {
			continue
		}

		found, err := c.owner(ctx, id)
		if err != nil && strict {
			return fmt.Errorf("reading HubSpot owner %s: %w", id, err)
		}
		records[i].OwnerName = found.Name
		records[i].OwnerEmail = found.Email
	}
	return nil
}

func (c *Connector) owner(ctx context.Context, id string) (owner, error) {
	if cached, ok := c.owners.Get(id); ok {
		return cached, nil
	}

	var body ownerObject
	err := c.call(ctx, http.MethodGet, "/crm/v3/owners/"+url.PathEscape(id), nil, nil, &body)
	if crmhttp.IsStatus(err, http.StatusNotFound) || crmhttp.IsStatus(err, http.StatusForbidden) {
		c.owners.Set(id, owner{})
		return owner{}, nil
	}
	if err != nil {
		return owner{}, err
	}

	found := owner{
		Name:  strings.TrimSpace(body.FirstName + " " + body.LastName),
		Email: body.Email,
	}
	c.owners.Set(id, found)
	return found, nil
}

// rateLimitBody is the part of HubSpot's 429 body that names the limit.
type rateLimitBody struct {
	PolicyName string `json:"policyName"`
}

// refineRateLimit sets the wait of a 429 response without Retry-After from
// the policy HubSpot names in the body. The rolling windows last ten
// seconds and one second. The daily limit resets at midnight in the
// account's time zone, which is UTC until Test has read the zone.
func (c *Connector) refineRateLimit(err error) {
	var statusErr *crmhttp.StatusError
	var limited *crm.RateLimitedError
	if !errors.As(err, &statusErr) || !errors.As(err, &limited) || limited.RetryAfter > 0 {
		return
	}

	var body rateLimitBody
	if json.Unmarshal(statusErr.Body, &body) != nil {
		return
	}

	switch strings.ToUpper(body.PolicyName) {
	case "TEN_SECONDLY_ROLLING":
		limited.RetryAfter = 10 * time.Second
	case "SECONDLY":
		limited.RetryAfter = time.Second
	case "DAILY":
		limited.RetryAfter = c.untilMidnight()
	}
}

func (c *Connector) untilMidnight() time.Duration {
	c.mu.RLock()
	zone := c.accountZone
	c.mu.RUnlock()

	now := c.now().In(zone)
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, zone)
	return midnight.Sub(now)
}
