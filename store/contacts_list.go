package store

import (
	"context"
	"fmt"
	"strings"
)

// ContactQuery selects one page of a workspace's contacts for ListContacts.
type ContactQuery struct {
	WorkspaceID string
	// PhonebookID limits the list to one phonebook; empty lists all.
	PhonebookID string
	// Search is a case-insensitive substring of a name, the company, an
	// email or a number (as given or in E.164); % and _ match literally.
	Search string
	// CreatedSince and UpdatedSince keep contacts created or updated at or
	// after the time.
	CreatedSince *UnixMilli
	UpdatedSince *UnixMilli
	// SortBy is "created_at" (the default when empty) or "updated_at".
	SortBy string
	// Desc sorts newest first.
	Desc bool
	// Until is the snapshot bound of a listing, fixed when its first page
	// is read: only contacts whose sort field is at most Until are listed,
	// in either order. A contact updated while the pages are read then
	// moves past the bound instead of showing up twice or pushing others
	// off a page.
	Until *UnixMilli
	// After is the key of the last row of the previous page; nil starts at
	// the first page.
	After *Keyset
	// Limit is the page size, at least 1.
	Limit int
}

// contactSortColumns whitelists the sort fields, so no text of a request
// ever reaches the SQL.
var contactSortColumns = map[string]string{
	"":           "created_at",
	"created_at": "created_at",
	"updated_at": "updated_at",
}

// ListContacts returns one page of contacts ordered by (sort field, id),
// and whether more rows follow it.
func (q *Queries) ListContacts(ctx context.Context, cq ContactQuery) ([]Contact, bool, error) {
	column, ok := contactSortColumns[cq.SortBy]
	if !ok {
		return nil, false, fmt.Errorf("list contacts: sort field %q is invalid: use created_at or updated_at", cq.SortBy)
	}
	if cq.Limit < 1 {
		return nil, false, fmt.Errorf("list contacts: limit is %d, it must be at least 1", cq.Limit)
	}

	cq = tightenSince(cq, column)
	where, args := contactFilters(cq, column)
	clauses, args := pageQuery(where, args, column, cq.After, cq.Desc, cq.Limit)
	query := `SELECT ` + contactColumns + ` FROM contacts` + clauses

	contacts, err := q.selectContacts(ctx, "list contacts", query, args...)
	if err != nil {
		return nil, false, err
	}
	contacts, hasMore := splitPage(contacts, cq.Limit)
	return contacts, hasMore, nil
}

// contactFilters returns the conditions of cq other than the page key, and
// their arguments. column is the whitelisted sort column.
func contactFilters(cq ContactQuery, column string) ([]string, []any) {
	where := []string{`workspace_id = ?`}
	args := []any{cq.WorkspaceID}
	if cq.PhonebookID != "" {
		where = append(where, `phonebook_id = ?`)
		args = append(args, cq.PhonebookID)
	}
	if cq.Search != "" {
		where = append(where, `search_text LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(strings.ToLower(cq.Search))+"%")
	}
	if cq.CreatedSince != nil {
		where = append(where, `created_at >= ?`)
		args = append(args, *cq.CreatedSince)
	}
	if cq.UpdatedSince != nil {
		where = append(where, `updated_at >= ?`)
		args = append(args, *cq.UpdatedSince)
	}
	if cq.Until != nil {
		where = append(where, column+` <= ?`)
		args = append(args, *cq.Until)
	}
	return where, args
}

// tightenSince raises the *_since filter on the sort field to the key of
// an ascending page when the key is later. The rows are the same; SQLite
// otherwise ranges its index on the looser of the two bounds and reads
// every row between them on each page.
func tightenSince(cq ContactQuery, column string) ContactQuery {
	if cq.After == nil || cq.Desc {
		return cq
	}
	at := cq.After.At
	switch {
	case column == "updated_at" && cq.UpdatedSince != nil && cq.UpdatedSince.Before(at.Time):
		cq.UpdatedSince = &at
	case column == "created_at" && cq.CreatedSince != nil && cq.CreatedSince.Before(at.Time):
		cq.CreatedSince = &at
	}
	return cq
}
