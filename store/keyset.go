package store

import "strings"

// Keyset is the sort key of the last row of a page: the next page starts
// right after it. At is the sort field's value and ID breaks ties, so rows
// sharing a timestamp are neither repeated nor skipped.
type Keyset struct {
	At UnixMilli
	ID string
}

// condition returns the SQL condition selecting the rows after k in the
// order (field, idColumn), descending when desc is true, and its arguments.
// It is written without row-value comparison so both databases use it
// alike. field and idColumn must be column names from the caller's code,
// never user input.
//
// The leading `field >= ?` (or `<=`) repeats the key's time as a plain
// range bound, because neither database turns the OR into an index bound:
// without it every page scanned the index from the start of the listing.
func (k Keyset) condition(field, idColumn string, desc bool) (string, []any) {
	op, bound := ">", ">="
	if desc {
		op, bound = "<", "<="
	}
	cond := `(` + field + ` ` + bound + ` ? AND (` + field + ` ` + op + ` ? OR (` + field + ` = ? AND ` + idColumn + ` ` + op + ` ?)))`
	return cond, []any{k.At, k.At, k.At, k.ID}
}

// splitPage trims a result fetched with limit+1 rows to limit rows and
// reports whether the extra row was there.
func splitPage[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// pageQuery completes a keyset-paged SELECT: it adds the condition for the
// rows after `after` to where, and returns the WHERE, ORDER BY and LIMIT
// clauses with their arguments. It asks for limit+1 rows, so splitPage can
// tell whether more follow. column must come from the caller's code.
func pageQuery(where []string, args []any, column string, after *Keyset, desc bool, limit int) (string, []any) {
	if after != nil {
		cond, keyArgs := after.condition(column, "id", desc)
		where = append(where, cond)
		args = append(args, keyArgs...)
	}
	order := column + `, id`
	if desc {
		order = column + ` DESC, id DESC`
	}
	clauses := ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ?`
	return clauses, append(args, limit+1)
}
