package store

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
func (k Keyset) condition(field, idColumn string, desc bool) (string, []any) {
	op := ">"
	if desc {
		op = "<"
	}
	cond := `(` + field + ` ` + op + ` ? OR (` + field + ` = ? AND ` + idColumn + ` ` + op + ` ?))`
	return cond, []any{k.At, k.At, k.ID}
}

// splitPage trims a result fetched with limit+1 rows to limit rows and
// reports whether the extra row was there.
func splitPage[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}
