package store

import (
	"context"
	"fmt"
)

// Notify sends payload to every session listening on channel with
// pg_notify. PostgreSQL delivers it when the surrounding transaction
// commits, at once outside one. The payload must be shorter than 8000
// bytes. It is an error on SQLite, which has no notifications.
func (q *Queries) Notify(ctx context.Context, channel, payload string) error {
	if q.dialect != Postgres {
		return fmt.Errorf("notify on channel %s: %s has no LISTEN/NOTIFY", channel, q.dialect)
	}
	if _, err := q.exec(ctx, `SELECT pg_notify(?, ?)`, channel, payload); err != nil {
		return fmt.Errorf("notify on channel %s: %w", channel, err)
	}
	return nil
}

// CurrentSchema returns the schema that unqualified table names resolve
// to on PostgreSQL, the first existing schema of search_path, and "" on
// SQLite.
func (q *Queries) CurrentSchema(ctx context.Context) (string, error) {
	if q.dialect != Postgres {
		return "", nil
	}
	var schema string
	if err := q.get(ctx, &schema, `SELECT current_schema()`); err != nil {
		return "", fmt.Errorf("read current schema: %w", err)
	}
	return schema, nil
}
