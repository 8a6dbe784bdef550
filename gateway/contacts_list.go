package gateway

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/store"
)

// maxSearchLength caps the q parameter, in characters.
const maxSearchLength = 200

// contactListFilters are the parameters that select and order a contact
// listing. A cursor carries them, and a request with a cursor may repeat
// them only unchanged.
var contactListFilters = []string{"phonebook_id", "q", "created_since", "updated_since", "sort", "order"}

// listContacts pages through contacts with keyset paging on (sort field,
// id). The first page fixes a snapshot bound one millisecond in the past,
// and every page lists only contacts whose sort field is at most the
// bound. Contacts written while a client pages are therefore neither
// repeated nor make others skip, and the next incremental run picks them
// up.
func (s *Server) listContacts(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	query, pc, err := s.contactListing(c, p.WorkspaceID)
	if err != nil {
		return err
	}
	includes, err := parseInclude(c, includePhonebook)
	if err != nil {
		return err
	}

	contacts, hasMore, err := s.directory.ListContacts(ctx, query)
	if err != nil {
		return err
	}

	views, err := s.viewContactsWith(ctx, p.WorkspaceID, contacts, includes)
	if err != nil {
		return err
	}
	resp := listResponse[contactDetailView]{Data: views, HasMore: hasMore}
	if hasMore {
		last := contacts[len(contacts)-1]
		at := last.CreatedAt
		if query.SortBy == "updated_at" {
			at = last.UpdatedAt
		}
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/contacts", pc, at, last.ID, query.Limit)
		resp.NextURL = withInclude(c, resp.NextURL)
	}
	return c.JSON(http.StatusOK, resp)
}

// contactListing reads the listing parameters, or the cursor and the
// parameters sent with it, into a store query and the cursor state of the
// listing.
func (s *Server) contactListing(c echo.Context, workspaceID string) (store.ContactQuery, pageCursor, error) {
	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return store.ContactQuery{}, pageCursor{}, err
	}
	params, err := contactListParams(c)
	if err != nil {
		return store.ContactQuery{}, pageCursor{}, err
	}

	pc := pageCursor{List: cursorContacts, WorkspaceID: workspaceID}
	query := store.ContactQuery{WorkspaceID: workspaceID, Limit: limit}
	if raw := c.QueryParam("cursor"); raw != "" {
		pc, err = s.decodeCursor(raw, cursorContacts, workspaceID)
		if err != nil {
			return store.ContactQuery{}, pageCursor{}, err
		}
		if err := sameFilters(params, pc.Filters); err != nil {
			return store.ContactQuery{}, pageCursor{}, err
		}
		query.After = pc.after()
	} else {
		pc.Filters = withOrderDefaults(params)
		pc.Until = time.Now().Add(-time.Millisecond).UnixMilli()
	}

	applyContactFilters(&query, pc)
	return query, pc, nil
}

// contactListParams returns the filter and order parameters present in the
// request, checked and normalised: times as Unix milliseconds.
func contactListParams(c echo.Context) (map[string]string, error) {
	params := map[string]string{}
	for _, name := range contactListFilters {
		if value := c.QueryParam(name); value != "" {
			params[name] = value
		}
	}

	for _, name := range []string{"created_since", "updated_since"} {
		if value, ok := params[name]; ok {
			t, err := parseTime(value)
			if err != nil {
				return nil, queryProblem(name, "%v", err)
			}
			params[name] = strconv.FormatInt(t.UnixMilli(), 10)
		}
	}
	if sort, ok := params["sort"]; ok && sort != "created_at" && sort != "updated_at" {
		return nil, queryProblem("sort", "must be created_at or updated_at, not %q", sort)
	}
	if order, ok := params["order"]; ok && order != "asc" && order != "desc" {
		return nil, queryProblem("order", "must be asc or desc, not %q", order)
	}
	if q := params["q"]; utf8.RuneCountInString(q) > maxSearchLength {
		return nil, queryProblem("q", "is %d characters long; the limit is %d", utf8.RuneCountInString(q), maxSearchLength)
	}
	return params, nil
}

// sameFilters checks that every parameter sent with a cursor equals the
// one the cursor was made with.
func sameFilters(sent, fromCursor map[string]string) error {
	for name, value := range sent {
		if fromCursor[name] != value {
			return queryProblem(name, "differs from the value the cursor was made with; leave it out when you pass a cursor, or start a new listing without one")
		}
	}
	return nil
}

// withOrderDefaults adds the sort and order a first page uses when the
// request names none, so a cursor records them and later pages may repeat
// them. Without an explicit sort, a listing with updated_since sorts by
// updated_at, so an incremental sync reads changes in order.
func withOrderDefaults(params map[string]string) map[string]string {
	if params["sort"] == "" {
		params["sort"] = "created_at"
		if params["updated_since"] != "" {
			params["sort"] = "updated_at"
		}
	}
	if params["order"] == "" {
		params["order"] = "asc"
	}
	return params
}

// applyContactFilters sets the filters, sort and snapshot bound of pc on
// query.
func applyContactFilters(query *store.ContactQuery, pc pageCursor) {
	f := pc.Filters
	query.PhonebookID = f["phonebook_id"]
	query.Search = f["q"]
	query.CreatedSince = millisParam(f["created_since"])
	query.UpdatedSince = millisParam(f["updated_since"])
	query.SortBy = f["sort"]
	query.Desc = f["order"] == "desc"
	query.Until = pc.until()
}

// millisParam returns the time of a normalised time parameter, or nil when
// it is absent.
func millisParam(value string) *store.UnixMilli {
	if value == "" {
		return nil
	}
	ms, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return nil
	}
	t := store.Millis(time.UnixMilli(ms))
	return &t
}

// tombstoneView is a deleted contact as the API shows it.
type tombstoneView struct {
	ID          string  `json:"id"`
	PhonebookID string  `json:"phonebook_id"`
	ExternalID  *string `json:"external_id"`
	DeletedAt   string  `json:"deleted_at"`
}

// listDeletedContacts pages through the tombstones of deleted contacts,
// oldest deletion first, so sync clients can delete their copies.
func (s *Server) listDeletedContacts(c echo.Context) error {
	p := principalOf(c)

	since, pc, limit, err := s.deletedListing(c, p.WorkspaceID)
	if err != nil {
		return err
	}

	tombstones, hasMore, err := s.directory.ListDeletedContacts(c.Request().Context(), p.WorkspaceID, since, pc.after(), limit)
	if err != nil {
		return err
	}

	views := make([]tombstoneView, len(tombstones))
	for i, t := range tombstones {
		views[i] = tombstoneView{ID: t.ContactID, PhonebookID: t.PhonebookID, ExternalID: t.ExternalID, DeletedAt: formatTime(t.DeletedAt.Time)}
	}
	resp := listResponse[tombstoneView]{Data: views, HasMore: hasMore}
	if hasMore {
		last := tombstones[len(tombstones)-1]
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/contacts/deleted", pc, last.DeletedAt, last.ContactID, limit)
	}
	return c.JSON(http.StatusOK, resp)
}

// deletedListing reads since, limit and cursor of a tombstone listing.
// Without since, every tombstone is listed.
func (s *Server) deletedListing(c echo.Context, workspaceID string) (time.Time, pageCursor, int, error) {
	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return time.Time{}, pageCursor{}, 0, err
	}
	params := map[string]string{}
	if value := c.QueryParam("since"); value != "" {
		t, err := parseTime(value)
		if err != nil {
			return time.Time{}, pageCursor{}, 0, queryProblem("since", "%v", err)
		}
		params["since"] = strconv.FormatInt(t.UnixMilli(), 10)
	}

	pc := pageCursor{List: cursorDeleted, WorkspaceID: workspaceID, Filters: params}
	if raw := c.QueryParam("cursor"); raw != "" {
		pc, err = s.decodeCursor(raw, cursorDeleted, workspaceID)
		if err != nil {
			return time.Time{}, pageCursor{}, 0, err
		}
		if err := sameFilters(params, pc.Filters); err != nil {
			return time.Time{}, pageCursor{}, 0, err
		}
	}

	since := time.UnixMilli(0)
	if t := millisParam(pc.Filters["since"]); t != nil {
		since = t.Time
	}
	return since, pc, limit, nil
}
