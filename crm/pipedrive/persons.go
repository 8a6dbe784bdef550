package pipedrive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// orgBatchSize is the most ids the organizations list accepts at once.
const orgBatchSize = 100

// listResponse is the envelope of Pipedrive's list endpoints, v1 and v2.
type listResponse struct {
	Data           []json.RawMessage `json:"data"`
	AdditionalData struct {
		NextCursor string `json:"next_cursor"`
	} `json:"additional_data"`
}

// personHead is the part of a v2 person the record needs typed.
type personHead struct {
	ID         int64  `json:"id"`
	OwnerID    int64  `json:"owner_id"`
	OrgID      int64  `json:"org_id"`
	UpdateTime string `json:"update_time"`
	IsDeleted  bool   `json:"is_deleted"`
}

// decodePersons converts v2 persons. Properties hold the person's fields
// by their JSON key, with the entries of custom_fields moved to the top
// level under their field codes and null values dropped.
func (c *Connector) decodePersons(raw []json.RawMessage) ([]crm.Record, error) {
	records := make([]crm.Record, 0, len(raw))
	for _, item := range raw {
		var head personHead
		var properties map[string]any
		if err := json.Unmarshal(item, &head); err != nil {
			return nil, fmt.Errorf("%w: invalid Pipedrive person: %w", crm.ErrUnavailable, err)
		}
		if err := json.Unmarshal(item, &properties); err != nil {
			return nil, fmt.Errorf("%w: invalid Pipedrive person: %w", crm.ErrUnavailable, err)
		}

		rec := crm.Record{
			ID:         strconv.FormatInt(head.ID, 10),
			Object:     "person",
			Properties: flattenProperties(properties),
			Archived:   head.IsDeleted,
		}
		if head.OwnerID != 0 {
			rec.OwnerID = strconv.FormatInt(head.OwnerID, 10)
		}
		if updated, err := time.Parse(time.RFC3339, head.UpdateTime); err == nil {
			rec.UpdatedAt = updated
		}
		rec.URL = c.RecordURL(rec)
		records = append(records, rec)
	}
	return records, nil
}

func flattenProperties(properties map[string]any) map[string]any {
	flat := make(map[string]any, len(properties))
	for name, value := range properties {
		if value != nil && name != "custom_fields" {
			flat[name] = value
		}
	}
	custom, _ := properties["custom_fields"].(map[string]any)
	for code, value := range custom {
		if value != nil {
			flat[code] = value
		}
	}
	return flat
}

// owner is the part of a Pipedrive user a record carries.
type owner struct {
	Name  string
	Email string
}

// enrich fills the owners' names and emails and adds the organization's
// name as the property org_name. Users and organizations the token may
// not read (403) are left out. Other failures are returned when strict is
// set and skipped otherwise: a sync must not overwrite a known owner with
// a blank one, while a live lookup is better served by a record without
// the owner's name.
func (c *Connector) enrich(ctx context.Context, records []crm.Record, strict bool) error {
	users, err := c.userDirectory(ctx)
	if err != nil && strict {
		return fmt.Errorf("reading Pipedrive users: %w", err)
	}
	for i := range records {
		found := users[records[i].OwnerID]
		records[i].OwnerName = found.Name
		records[i].OwnerEmail = found.Email
	}

	names, err := c.orgNames(ctx, records)
	if err != nil && strict {
		return fmt.Errorf("reading Pipedrive organizations: %w", err)
	}
	for i := range records {
		if name := names[orgID(records[i])]; name != "" {
			records[i].Properties["org_name"] = name
		}
	}
	return nil
}

// userDirectory returns every user of the company by id, from the cache
// or GET /api/v1/users.
func (c *Connector) userDirectory(ctx context.Context) (map[string]owner, error) {
	if cached, ok := c.users.Get("all"); ok {
		return cached, nil
	}

	var response struct {
		Data []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"data"`
	}
	err := c.callV1(ctx, "/users", nil, &response)
	if crmhttp.IsStatus(err, http.StatusForbidden) {
		c.users.Set("all", map[string]owner{})
		return map[string]owner{}, nil
	}
	if err != nil {
		return nil, err
	}

	users := make(map[string]owner, len(response.Data))
	for _, user := range response.Data {
		users[strconv.FormatInt(user.ID, 10)] = owner{Name: user.Name, Email: user.Email}
	}
	c.users.Set("all", users)
	return users, nil
}

// orgNames returns the names of the records' organizations by id, reading
// those not cached through GET /api/v2/organizations?ids=….
func (c *Connector) orgNames(ctx context.Context, records []crm.Record) (map[string]string, error) {
	names := make(map[string]string)
	var missing []string
	for _, rec := range records {
		id := orgID(rec)
		if id == "" {
			continue
		}
		if _, seen := names[id]; seen {
			continue
		}
		name, ok := c.orgs.Get(id)
		names[id] = name
		if !ok {
			missing = append(missing, id)
		}
	}

	for start := 0; start < len(missing); start += orgBatchSize {
		batch := missing[start:min(start+orgBatchSize, len(missing))]
		if err := c.fetchOrgs(ctx, batch, names); err != nil {
			return names, err
		}
	}
	return names, nil
}

func (c *Connector) fetchOrgs(ctx context.Context, ids []string, names map[string]string) error {
	query := url.Values{"ids": {strings.Join(ids, ",")}, "limit": {strconv.Itoa(orgBatchSize)}}
	var response struct {
		Data []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	err := c.callV2(ctx, "/organizations", query, &response)
	if err != nil && !crmhttp.IsStatus(err, http.StatusForbidden) {
		return err
	}

	for _, org := range response.Data {
		names[strconv.FormatInt(org.ID, 10)] = org.Name
	}
	for _, id := range ids {
		c.orgs.Set(id, names[id])
	}
	return nil
}

// orgID returns the record's organization id as text, or "".
func orgID(rec crm.Record) string {
	id, ok := rec.Properties["org_id"].(float64)
	if !ok || id == 0 {
		return ""
	}
	return strconv.FormatFloat(id, 'f', -1, 64)
}
