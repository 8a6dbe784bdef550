package hubspot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

const (
	// changesPageSize is the page size of the modified-contacts search,
	// the search API's maximum.
	changesPageSize = 200
	// archivedPageSize is the page size of the archived list, the objects
	// API's maximum.
	archivedPageSize = 100
	// searchResultCap is the maximum number of results HubSpot's search
	// API returns for one query. Requesting a page past it fails with 400.
	searchResultCap = 10000
)

// Phases of ListChanged.
const (
	phaseModified = "modified"
	phaseArchived = "archived"
)

// changeCursor is the decoded ListChanged cursor. Window is the lower
// bound of the current search window in Unix milliseconds. It starts at
// since and moves forward each time the search reaches searchResultCap.
type changeCursor struct {
	Phase  string `json:"p"`
	After  string `json:"a,omitempty"`
	Window int64  `json:"w,omitempty"`
}

// ListChanged returns contacts changed at or after since, then, when since
// is not zero, contacts archived at or after since with Archived set.
//
// Changed contacts come from the search API, filtered on lastmodifieddate
// GTE the window start and sorted by it ascending. The search API stops at
// 10,000 results per query, so when the next page would pass that cap the
// cursor starts a new query whose window begins at the last modification
// time seen. Contacts modified in that same millisecond are read twice,
// which upserts keyed by id absorb.
//
// Deletions are detected through the archived list
// (GET /crm/v3/objects/contacts?archived=true), which has no time filter:
// every incremental run walks it whole and keeps the contacts whose
// archivedAt is at or after since. HubSpot keeps archived contacts there
// for 90 days before deleting them for good. A contact deleted for good
// before a sync saw it archived (for example by a GDPR deletion) is never
// reported. Archived records come
// after all changed records, so the order is ascending within each part.
func (c *Connector) ListChanged(ctx context.Context, since time.Time, cursor string) (crm.Page, error) {
	position, err := decodeCursor(cursor, since)
	if err != nil {
		return crm.Page{}, err
	}

	if position.Phase == phaseArchived {
		return c.listArchived(ctx, since, position)
	}
	return c.listModified(ctx, since, position)
}

func (c *Connector) listModified(ctx context.Context, since time.Time, position changeCursor) (crm.Page, error) {
	request := searchRequest{
		FilterGroups: []filterGroup{{Filters: []filter{{
			PropertyName: "lastmodifieddate",
			Operator:     "GTE",
			Value:        strconv.FormatInt(position.Window, 10),
		}}}},
		Sorts:      []searchSort{{PropertyName: "lastmodifieddate", Direction: "ASCENDING"}},
		Properties: c.properties,
		Limit:      changesPageSize,
		After:      position.After,
	}
	var result contactPage
	err := c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts/search", nil, request, &result)
	if err != nil {
		return crm.Page{}, fmt.Errorf("listing changed HubSpot contacts: %w", err)
	}

	page := crm.Page{Records: make([]crm.Record, 0, len(result.Results))}
	for _, object := range result.Results {
		page.Records = append(page.Records, c.record(object))
	}
	if err := c.resolveOwners(ctx, page.Records, true); err != nil {
		return crm.Page{}, err
	}

	next, done := nextModified(position, result, page.Records)
	switch {
	case !done:
		page.Next = encodeCursor(next)
	case !since.IsZero():
		page.Next = encodeCursor(changeCursor{Phase: phaseArchived})
	}
	return page, nil
}

// nextModified returns the cursor after a page of the modified search, or
// done when the search has no further page.
func nextModified(position changeCursor, result contactPage, records []crm.Record) (changeCursor, bool) {
	after := result.Paging.Next.After
	if after == "" || len(records) == 0 {
		return changeCursor{}, true
	}

	offset, err := strconv.Atoi(after)
	if err != nil || offset+changesPageSize <= searchResultCap {
		return changeCursor{Phase: phaseModified, After: after, Window: position.Window}, false
	}

	window := modifiedMillis(records[len(records)-1])
	if window <= position.Window {
		// NOTE: more than 10,000 contacts share one modification
		// millisecond (a bulk import can do that). Moving one millisecond
		// on skips those past the 10,000th until they change again.
		window = position.Window + 1
	}
	return changeCursor{Phase: phaseModified, Window: window}, false
}

// modifiedMillis returns the record's lastmodifieddate in Unix
// milliseconds, the value the search filter compares.
func modifiedMillis(rec crm.Record) int64 {
	if value, ok := rec.Properties["lastmodifieddate"].(string); ok {
		if parsed, err := time.Parse(time.RFC3339Nano, value); err == nil {
			return parsed.UnixMilli()
		}
	}
	return rec.UpdatedAt.UnixMilli()
}

func (c *Connector) listArchived(ctx context.Context, since time.Time, position changeCursor) (crm.Page, error) {
	query := url.Values{
		"archived":   {"true"},
		"limit":      {strconv.Itoa(archivedPageSize)},
		"properties": {strings.Join(c.properties, ",")},
	}
	if position.After != "" {
		query.Set("after", position.After)
	}
	var result contactPage
	err := c.call(ctx, http.MethodGet, "/crm/v3/objects/contacts", query, nil, &result)
	if err != nil {
		return crm.Page{}, fmt.Errorf("listing archived HubSpot contacts: %w", err)
	}

	page := crm.Page{Records: []crm.Record{}}
	for _, object := range result.Results {
		rec := c.record(object)
		if rec.Archived && !rec.UpdatedAt.Before(since) {
			page.Records = append(page.Records, rec)
		}
	}
	if after := result.Paging.Next.After; after != "" && len(result.Results) > 0 {
		page.Next = encodeCursor(changeCursor{Phase: phaseArchived, After: after})
	}
	return page, nil
}

func encodeCursor(position changeCursor) string {
	encoded, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(encoded)
}

// decodeCursor parses cursor. An empty cursor starts the modified phase at
// since.
func decodeCursor(cursor string, since time.Time) (changeCursor, error) {
	if cursor == "" {
		return changeCursor{Phase: phaseModified, Window: windowStart(since)}, nil
	}

	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var position changeCursor
	if err == nil {
		err = json.Unmarshal(raw, &position)
	}
	if err != nil || (position.Phase != phaseModified && position.Phase != phaseArchived) {
		return changeCursor{}, fmt.Errorf("invalid HubSpot change cursor %q", cursor)
	}
	return position, nil
}

func windowStart(since time.Time) int64 {
	if since.IsZero() {
		return 0
	}
	return since.UnixMilli()
}
