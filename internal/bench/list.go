package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// listPageSize is the limit of every page of the listing, the maximum the
// API allows.
const listPageSize = 1000

// listPage is the part of a GET /v1/contacts response the benchmark reads.
type listPage struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// benchList reads every contact of the workspace as an incremental sync
// client does on its first run: GET /v1/contacts?updated_since=0 and then
// each next_cursor until has_more is false. It checks that each of the
// want contacts came exactly once. The time includes decoding each page
// on the client.
func benchList(ctx context.Context, t *target, w workspace, want int) (result, error) {
	progress(t.name, "list: reading %d contacts in pages of %d", want, listPageSize)
	seen := make(map[string]struct{}, want)
	var pageLatencies []time.Duration
	total, duplicates, nextLog := 0, 0, 100_000

	path := fmt.Sprintf("/v1/contacts?updated_since=0&limit=%d", listPageSize)
	start := time.Now()
	for {
		begin := time.Now()
		body, err := t.do(ctx, w, "GET", path, "", nil)
		if err != nil {
			return result{}, fmt.Errorf("list page %d: %w", len(pageLatencies)+1, err)
		}
		var page listPage
		if err := json.Unmarshal(body, &page); err != nil {
			return result{}, fmt.Errorf("decode list page %d: %w", len(pageLatencies)+1, err)
		}
		pageLatencies = append(pageLatencies, time.Since(begin))

		for _, c := range page.Data {
			if _, ok := seen[c.ID]; ok {
				duplicates++
			}
			seen[c.ID] = struct{}{}
		}
		total += len(page.Data)
		if total > want {
			return result{}, fmt.Errorf("list: got %d contacts after %d pages, more than the %d seeded (%d repeated so far): the cursor does not advance",
				total, len(pageLatencies), want, duplicates)
		}
		if total >= nextLog {
			progress(t.name, "list: %d contacts, %.0f contacts/s", total, float64(total)/time.Since(start).Seconds())
			nextLog += 100_000
		}

		if !page.HasMore {
			break
		}
		if page.NextCursor == "" {
			return result{}, fmt.Errorf("list page %d: has_more is true but next_cursor is empty", len(pageLatencies))
		}
		path = fmt.Sprintf("/v1/contacts?cursor=%s&limit=%d", url.QueryEscape(page.NextCursor), listPageSize)
	}
	elapsed := time.Since(start)

	if total != want || len(seen) != want || duplicates != 0 {
		return result{}, fmt.Errorf("list: expected %d distinct contacts once each, got %d contacts, %d distinct, %d repeated",
			want, total, len(seen), duplicates)
	}
	stats := summarize(pageLatencies)
	progress(t.name, "list: %d contacts in %s, every id exactly once", total, elapsed.Round(time.Millisecond))

	return result{
		benchmark: fmt.Sprintf("full listing, %d pages of %d", len(pageLatencies), listPageSize),
		count:     total,
		elapsed:   elapsed,
		rate:      float64(total) / elapsed.Seconds(),
		unit:      "contacts/s",
		latency:   &stats,
		note:      "latency per page",
	}, nil
}
