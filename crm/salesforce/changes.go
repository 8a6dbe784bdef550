package salesforce

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

// deletedWindow is how far back ListChanged requests deleted records. The
// resource returns deletions of at most 15 days before the day of the
// request, so one day less keeps the start inside that window at any time
// of day.
const deletedWindow = 14 * 24 * time.Hour

// position is the place of a record in the listing: its change time and Id.
type position struct {
	Time time.Time `json:"t"`
	ID   string    `json:"id"`
}

// after reports whether p comes after q in (time, Id) order.
func (p position) after(q position) bool {
	if !p.Time.Equal(q.Time) {
		return p.Time.After(q.Time)
	}
	return p.ID > q.ID
}

func positionOf(r crm.Record) position { return position{Time: r.UpdatedAt, ID: r.ID} }

// objectState is the progress of one object in a listing.
type objectState struct {
	// After is the last changed record returned.
	After *position `json:"after,omitempty"`
	// Next is the nextRecordsUrl that continues right after After. It is
	// empty when the next page runs a new query starting after After.
	Next string `json:"next,omitempty"`
	Done bool   `json:"done,omitempty"`
	// DeletedAfter is the last deleted record returned.
	DeletedAfter *position `json:"deleted_after,omitempty"`
	DeletedDone  bool      `json:"deleted_done,omitempty"`
}

// cursor is the decoded form of Page.Next, described in the package
// comment.
type cursor struct {
	Until time.Time `json:"until"`
	// DeletedFrom is the start of the deleted-records window, or zero when
	// the listing reports no deletions.
	DeletedFrom time.Time               `json:"deleted_from,omitzero"`
	Objects     map[string]*objectState `json:"objects"`
}

// stream is one batch of records of one object, ascending by time.
type stream struct {
	state   *objectState
	deleted bool
	records []crm.Record
	// next is the nextRecordsUrl of a changed-records batch.
	next string
	// final is true when no records follow these.
	final bool
}

// ListChanged returns the next page of records changed at or after since,
// merged over the configured objects. An incremental listing includes the
// deleted records. The package comment describes the order, the upper bound
// and the cursor.
func (c *Connector) ListChanged(ctx context.Context, since time.Time, cursorText string) (crm.Page, error) {
	if c.configErr != nil {
		return crm.Page{}, c.configErr
	}

	cur, prefetched, err := c.openCursor(ctx, since, cursorText)
	if err != nil {
		return crm.Page{}, err
	}

	streams, err := c.readStreams(ctx, cur, since, prefetched)
	if err != nil {
		return crm.Page{}, err
	}

	page := crm.Page{Records: merge(streams)}
	if !cur.finished() {
		page.Next = encodeCursor(cur)
	}
	return page, nil
}

// openCursor decodes cursorText, or starts a listing when it is empty. A
// new incremental listing reads the deleted records of every object to fix
// its upper bound. It returns them by object so they are not read twice.
func (c *Connector) openCursor(ctx context.Context, since time.Time, cursorText string) (*cursor, map[string][]crm.Record, error) {
	if cursorText != "" {
		cur, err := c.decodeCursor(cursorText)
		return cur, nil, err
	}

	now := c.now().UTC().Truncate(time.Second)
	cur := &cursor{Until: now, Objects: make(map[string]*objectState, len(c.objects))}
	for _, object := range c.objects {
		cur.Objects[object] = &objectState{}
	}
	if since.IsZero() {
		return cur, nil, nil
	}

	from := since.UTC().Truncate(time.Second)
	if earliest := now.Add(-deletedWindow); from.Before(earliest) {
		from = earliest
	}
	if now.Sub(from) < time.Minute {
		// The deleted-records resource works to the minute. List nothing
		// now, so that the next listing starts from the same since.
		cur.Until, cur.DeletedFrom = from, from
		for _, state := range cur.Objects {
			state.Done, state.DeletedDone = true, true
		}
		return cur, nil, nil
	}

	cur.DeletedFrom = from
	prefetched := make(map[string][]crm.Record, len(c.objects))
	for _, object := range c.objects {
		records, covered, err := c.deleted(ctx, object, from, now)
		if err != nil {
			return nil, nil, err
		}
		prefetched[object] = records
		if covered.Before(cur.Until) {
			cur.Until = covered
		}
	}
	return cur, prefetched, nil
}

// readStreams reads the next batch of every unfinished stream.
func (c *Connector) readStreams(ctx context.Context, cur *cursor, since time.Time, prefetched map[string][]crm.Record) ([]*stream, error) {
	var streams []*stream
	for _, object := range c.objects {
		state := cur.Objects[object]
		if !state.Done {
			changed, err := c.changed(ctx, object, state, since, cur.Until)
			if err != nil {
				return nil, err
			}
			streams = append(streams, changed)
		}

		if cur.DeletedFrom.IsZero() || state.DeletedDone {
			continue
		}
		records, ok := prefetched[object]
		if !ok {
			start := cur.DeletedFrom
			if state.DeletedAfter != nil && state.DeletedAfter.Time.After(start) {
				start = state.DeletedAfter.Time
			}
			// The resource works to the minute, so keep start a minute
			// before the end. deletedStream drops what was returned already.
			if latest := cur.Until.Add(-time.Minute); start.After(latest) {
				start = latest
				if start.Before(cur.DeletedFrom) {
					start = cur.DeletedFrom
				}
			}
			var err error
			if records, _, err = c.deleted(ctx, object, start, cur.Until); err != nil {
				return nil, err
			}
		}
		streams = append(streams, deletedStream(state, records, cur.Until))
	}
	return streams, nil
}

// changed reads the next batch of changed records of object: by following
// state.Next, or by a new query starting after state.After when there is
// no locator or it has expired.
func (c *Connector) changed(ctx context.Context, object string, state *objectState, since, until time.Time) (*stream, error) {
	var result queryResult
	if state.Next != "" {
		err := c.get(ctx, state.Next, nil, &result)
		if errorCode(err) == "INVALID_QUERY_LOCATOR" {
			state.Next = ""
		} else if err != nil {
			return nil, fmt.Errorf("listing changed salesforce %s records: %w", object, err)
		}
	}
	if state.Next == "" {
		query := url.Values{"q": {c.changesQuery(object, since, until, state.After)}}
		if err := c.get(ctx, c.dataPath("query"), query, &result); err != nil {
			return nil, fmt.Errorf("listing changed salesforce %s records: %w", object, err)
		}
	}

	records, err := c.toRecords(result.Records, object)
	if err != nil {
		return nil, err
	}
	final := result.Done || result.NextRecordsURL == ""
	return &stream{state: state, records: records, next: result.NextRecordsURL, final: final}, nil
}

// deletedStream keeps the deleted records after state.DeletedAfter and
// before until, ascending.
func deletedStream(state *objectState, records []crm.Record, until time.Time) *stream {
	var pending []crm.Record
	for _, r := range records {
		if !r.UpdatedAt.Before(until) {
			continue
		}
		if state.DeletedAfter != nil && !positionOf(r).after(*state.DeletedAfter) {
			continue
		}
		pending = append(pending, r)
	}
	slices.SortFunc(pending, func(a, b crm.Record) int {
		if byTime := a.UpdatedAt.Compare(b.UpdatedAt); byTime != 0 {
			return byTime
		}
		return strings.Compare(a.ID, b.ID)
	})
	return &stream{state: state, deleted: true, records: pending, final: true}
}

// merge returns, oldest first, the records of streams up to the bound: the
// earliest last record of the streams that have more records after their
// batch. It advances the state of every stream past what it returns.
func merge(streams []*stream) []crm.Record {
	var bound *time.Time
	for _, s := range streams {
		if !s.final && len(s.records) > 0 {
			tail := s.records[len(s.records)-1].UpdatedAt
			if bound == nil || tail.Before(*bound) {
				bound = &tail
			}
		}
	}

	var records []crm.Record
	for _, s := range streams {
		n := len(s.records)
		if bound != nil {
			n = 0
			for n < len(s.records) && !s.records[n].UpdatedAt.After(*bound) {
				n++
			}
		}
		records = append(records, s.records[:n]...)
		s.advance(n)
	}

	// A stable sort keeps each object's own order among records changed in
	// the same second.
	slices.SortStableFunc(records, func(a, b crm.Record) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	return records
}

// advance records that the first n records of s were returned.
func (s *stream) advance(n int) {
	var last *position
	if n > 0 {
		p := positionOf(s.records[n-1])
		last = &p
	}
	all := n == len(s.records)

	if s.deleted {
		if last != nil {
			s.state.DeletedAfter = last
		}
		s.state.DeletedDone = all
		return
	}

	if last != nil {
		s.state.After = last
	}
	switch {
	case all && s.final:
		s.state.Done, s.state.Next = true, ""
	case all:
		s.state.Next = s.next
	default:
		s.state.Next = ""
	}
}

// deletedResult is the response of the deleted-records resource.
type deletedResult struct {
	DeletedRecords []struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	} `json:"deletedRecords"`
	LatestDateCovered string `json:"latestDateCovered"`
}

// deletedTime is the ISO 8601 form the deleted-records resource takes.
const deletedTime = "2006-01-02T15:04:05-07:00"

// deleted reads the records of object deleted between start and end and
// returns them as archived records, with the latest time the response
// covers (end when the response has no latestDateCovered).
func (c *Connector) deleted(ctx context.Context, object string, start, end time.Time) ([]crm.Record, time.Time, error) {
	query := url.Values{
		"start": {start.UTC().Format(deletedTime)},
		"end":   {end.UTC().Format(deletedTime)},
	}
	var result deletedResult
	if err := c.get(ctx, c.dataPath("sobjects/"+object+"/deleted/"), query, &result); err != nil {
		return nil, time.Time{}, fmt.Errorf("listing deleted salesforce %s records: %w", object, err)
	}

	covered := end
	if result.LatestDateCovered != "" {
		t, err := parseTime(result.LatestDateCovered)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%w: salesforce deleted %s: latestDateCovered: %w", crm.ErrUnavailable, object, err)
		}
		covered = t
	}

	records := make([]crm.Record, 0, len(result.DeletedRecords))
	for _, d := range result.DeletedRecords {
		deletedAt, err := parseTime(d.DeletedDate)
		if err != nil || d.ID == "" {
			return nil, time.Time{}, fmt.Errorf("%w: salesforce deleted %s record %q: invalid id or deletedDate", crm.ErrUnavailable, object, d.ID)
		}
		records = append(records, crm.Record{
			ID: d.ID, Object: object, Properties: map[string]any{"Id": d.ID},
			UpdatedAt: deletedAt, Archived: true,
		})
	}
	return records, covered, nil
}
