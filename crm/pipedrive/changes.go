package pipedrive

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

const (
	// changesPageSize is the page size of the persons list, its maximum.
	changesPageSize = 500
	// recentsPageSize is the page size asked of recents.
	recentsPageSize = 500
	// recentsTimeLayout is the UTC timestamp format of the recents API.
	recentsTimeLayout = "2006-01-02 15:04:05"
)

// Phases of ListChanged.
const (
	phaseChanged = "changed"
	phaseDeleted = "deleted"
)

// changeCursor is the decoded ListChanged cursor: the phase, the persons
// list cursor in the changed phase and the recents offset in the deleted
// phase.
type changeCursor struct {
	Phase  string `json:"p"`
	Cursor string `json:"c,omitempty"`
	Start  int    `json:"s,omitempty"`
}

// recentsResponse is the body of GET /api/v1/recents.
type recentsResponse struct {
	Data []struct {
		Item string `json:"item"`
		ID   int64  `json:"id"`
		Data *struct {
			Name       string `json:"name"`
			ActiveFlag bool   `json:"active_flag"`
			UpdateTime string `json:"update_time"`
		} `json:"data"`
	} `json:"data"`
	AdditionalData struct {
		Pagination struct {
			MoreItemsInCollection bool `json:"more_items_in_collection"`
			NextStart             int  `json:"next_start"`
		} `json:"pagination"`
	} `json:"additional_data"`
}

// ListChanged returns persons updated at or after since, oldest update
// first, from the v2 persons list (updated_since, sort_by=update_time,
// sort_direction=asc, cursor paging). When since is not zero it then
// reports persons deleted since then with Archived set: the v2 list
// leaves deleted persons out, so deletions come from the v1 recents feed
// (items=person), whose entries for deleted persons have active_flag
// false. Pipedrive purges a deleted person after 30 days, so a sync that
// stops for longer misses deletions. Deleted records come after all
// changed records, so the order is ascending within each part.
// NOTE: Recents listing deleted persons with active_flag false follows
// from the v1 person schema, but Pipedrive's reference does not promise it.
func (c *Connector) ListChanged(ctx context.Context, since time.Time, cursor string) (crm.Page, error) {
	position, err := decodeCursor(cursor)
	if err != nil {
		return crm.Page{}, err
	}

	if position.Phase == phaseDeleted {
		return c.listDeleted(ctx, since, position)
	}
	return c.listChanged(ctx, since, position)
}

func (c *Connector) listChanged(ctx context.Context, since time.Time, position changeCursor) (crm.Page, error) {
	query := url.Values{
		"sort_by":        {"update_time"},
		"sort_direction": {"asc"},
		"limit":          {strconv.Itoa(changesPageSize)},
	}
	if !since.IsZero() {
		query.Set("updated_since", since.UTC().Format(time.RFC3339))
	}
	if position.Cursor != "" {
		query.Set("cursor", position.Cursor)
	}

	var response listResponse
	if err := c.callV2(ctx, "/persons", query, &response); err != nil {
		return crm.Page{}, fmt.Errorf("listing changed Pipedrive persons: %w", err)
	}
	records, err := c.decodePersons(response.Data)
	if err != nil {
		return crm.Page{}, err
	}
	if err := c.enrich(ctx, records, true); err != nil {
		return crm.Page{}, err
	}

	page := crm.Page{Records: records}
	switch {
	case response.AdditionalData.NextCursor != "":
		page.Next = encodeCursor(changeCursor{Phase: phaseChanged, Cursor: response.AdditionalData.NextCursor})
	case !since.IsZero():
		page.Next = encodeCursor(changeCursor{Phase: phaseDeleted})
	}
	return page, nil
}

func (c *Connector) listDeleted(ctx context.Context, since time.Time, position changeCursor) (crm.Page, error) {
	query := url.Values{
		"since_timestamp": {since.UTC().Format(recentsTimeLayout)},
		"items":           {"person"},
		"start":           {strconv.Itoa(position.Start)},
		"limit":           {strconv.Itoa(recentsPageSize)},
	}
	var response recentsResponse
	if err := c.callV1(ctx, "/recents", query, &response); err != nil {
		return crm.Page{}, fmt.Errorf("listing deleted Pipedrive persons: %w", err)
	}

	page := crm.Page{Records: []crm.Record{}}
	for _, entry := range response.Data {
		if entry.Item != "person" || entry.Data == nil || entry.Data.ActiveFlag {
			continue
		}
		rec := crm.Record{
			ID:         strconv.FormatInt(entry.ID, 10),
			Object:     "person",
			Properties: map[string]any{"name": entry.Data.Name},
			Archived:   true,
		}
		if updated, err := time.Parse(recentsTimeLayout, entry.Data.UpdateTime); err == nil {
			rec.UpdatedAt = updated
		}
		rec.URL = c.RecordURL(rec)
		page.Records = append(page.Records, rec)
	}

	pagination := response.AdditionalData.Pagination
	if pagination.MoreItemsInCollection && pagination.NextStart > position.Start {
		page.Next = encodeCursor(changeCursor{Phase: phaseDeleted, Start: pagination.NextStart})
	}
	return page, nil
}

func encodeCursor(position changeCursor) string {
	encoded, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(encoded)
}

// decodeCursor parses cursor. An empty cursor starts the changed phase.
func decodeCursor(cursor string) (changeCursor, error) {
	if cursor == "" {
		return changeCursor{Phase: phaseChanged}, nil
	}

	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var position changeCursor
	if err == nil {
		err = json.Unmarshal(raw, &position)
	}
	if err != nil || (position.Phase != phaseChanged && position.Phase != phaseDeleted) {
		return changeCursor{}, fmt.Errorf("invalid Pipedrive change cursor %q", cursor)
	}
	return position, nil
}
