package pipedrive

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/switchboard-oss/switchboard/crm"
)

// callLogSearchPages bounds the pages of GET /v1/callLogs that
// FindCallLog reads, 50 call logs each.
const callLogSearchPages = 10

// activitySearchPages bounds the pages of GET /v1/activities that
// FindCallLog reads, activityPageSize activities each.
const activitySearchPages = 10

// activityPageSize is the page size FindCallLog requests from
// GET /v1/activities, the default of that endpoint.
const activityPageSize = 100

// activityIDPrefix starts the id FindCallLog returns for a call log that
// it found through its activity, followed by the activity id. Pipedrive
// documents no way back from an activity to its call log id, and
// UpdateCallLog only needs the activity.
const activityIDPrefix = "activity:"

// activityDateLayout is the format of the start_date and end_date
// parameters of GET /v1/activities (Pipedrive API v1 reference,
// "Activities").
const activityDateLayout = "2006-01-02"

// pagination is the additional_data of a Pipedrive API v1 list.
type pagination struct {
	Pagination struct {
		More bool `json:"more_items_in_collection"`
	} `json:"pagination"`
}

// FindCallLog returns the call log whose note contains the marker of
// log.CallID. It first reads the call logs of the token's user, because
// GET /v1/callLogs lists no others. It then reads the call activities of
// every user (user_id=0) due from the day before the call's start to the
// day after, because Pipedrive files each call log as an activity of its
// owner, and that search returns an id of the form "activity:{id}".
//
// NOTE: the reference does not say that a call log's activity has the call
// log's note, though both are HTML and UpdateCallLog relies on it too. Each
// search reads at most 10 pages, so a call log beyond them, or one in an
// activity the token's user may not see, is not found and an interrupted
// create is sent again.
func (c *Connector) FindCallLog(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	found, ok, err := c.findOwnCallLog(ctx, log)
	if err != nil || ok {
		return found, ok, err
	}
	return c.findCallActivity(ctx, log)
}

// findOwnCallLog reads the call logs of the token's user, 50 per page.
func (c *Connector) findOwnCallLog(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	for page := range callLogSearchPages {
		var body struct {
			Data           []callLogObject `json:"data"`
			AdditionalData pagination      `json:"additional_data"`
		}
		query := url.Values{"start": {strconv.Itoa(page * 50)}, "limit": {"50"}}
		if err := c.get(ctx, "/api/v1/callLogs", query, &body); err != nil {
			return crm.LoggedCall{}, false, fmt.Errorf("searching Pipedrive call logs for %s: %w", log.CallID, err)
		}
		for _, l := range body.Data {
			if crm.HasCallMarker(l.Note, log.CallID) {
				return c.loggedCall(l.ID, log), true, nil
			}
		}
		if !body.AdditionalData.Pagination.More {
			break
		}
	}
	return crm.LoggedCall{}, false, nil
}

// findCallActivity reads the call activities of every user due around the
// call's start, activityPageSize per page.
func (c *Connector) findCallActivity(ctx context.Context, log crm.CallLog) (crm.LoggedCall, bool, error) {
	// The due date of a call log's activity is not documented as UTC or
	// local, so the window spans a day on each side of the start.
	day := log.StartedAt.UTC()
	query := url.Values{
		"user_id":    {"0"},
		"type":       {"call"},
		"start_date": {day.AddDate(0, 0, -1).Format(activityDateLayout)},
		"end_date":   {day.AddDate(0, 0, 1).Format(activityDateLayout)},
		"limit":      {strconv.Itoa(activityPageSize)},
	}

	for page := range activitySearchPages {
		var body struct {
			Data []struct {
				ID   int64  `json:"id"`
				Note string `json:"note"`
			} `json:"data"`
			AdditionalData pagination `json:"additional_data"`
		}
		query.Set("start", strconv.Itoa(page*activityPageSize))
		if err := c.get(ctx, "/api/v1/activities", query, &body); err != nil {
			return crm.LoggedCall{}, false, fmt.Errorf("searching Pipedrive call activities for %s: %w", log.CallID, err)
		}
		for _, activity := range body.Data {
			if crm.HasCallMarker(activity.Note, log.CallID) {
				return c.loggedCall(activityIDPrefix+strconv.FormatInt(activity.ID, 10), log), true, nil
			}
		}
		if !body.AdditionalData.Pagination.More {
			break
		}
	}
	return crm.LoggedCall{}, false, nil
}
