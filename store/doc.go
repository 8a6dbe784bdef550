// Package store holds every SQL statement of Switchboard, its migrations and
// the two databases it runs on: PostgreSQL (lib/pq) for production and
// several instances, and an embedded SQLite file (modernc.org/sqlite, no cgo)
// as the zero-setup default.
//
// Queries are written once with `?` placeholders and rebound for the driver.
// Where the databases differ, the difference lives in dialect.go behind a
// few named functions. Every method filters by workspace: a caller can never
// read another workspace's rows by id. Lookups that find nothing return an
// error wrapping ErrNotFound.
package store
