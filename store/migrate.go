package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Migrations are numbered SQL files, NNNN_name.sql, applied in order once
// each. A file named NNNN_name.postgres.sql or NNNN_name.sqlite.sql replaces
// the shared file of the same number on that database only.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies every migration not applied yet, each in its own
// transaction. Several instances starting at once are safe: on PostgreSQL
// an advisory lock serialises them, on SQLite the write lock does.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	migrations, err := loadMigrations(s.dialect)
	if err != nil {
		return nil, err
	}

	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()

	if err := s.dialect.lockMigrations(ctx, conn); err != nil {
		return nil, err
	}
	defer s.dialect.unlockMigrations(context.WithoutCancel(ctx), conn)

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}

	var done []int
	if err := conn.SelectContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	isDone := make(map[int]bool, len(done))
	for _, v := range done {
		isDone[v] = true
	}

	for _, m := range migrations {
		if isDone[m.version] {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, fmt.Sprintf("%04d_%s", m.version, m.name))
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, m migration) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		tx.Rollback()
		return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	insert := tx.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`)
	if _, err := tx.ExecContext(ctx, insert, m.version, m.name, now()); err != nil {
		tx.Rollback()
		return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %04d_%s: %w", m.version, m.name, err)
	}
	return nil
}

func loadMigrations(d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}

	byVersion := map[int]migration{}
	specific := map[int]bool{}
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		forDialect := ""
		if ext := path.Ext(base); ext == ".postgres" || ext == ".sqlite" {
			forDialect = strings.TrimPrefix(ext, ".")
			base = strings.TrimSuffix(base, ext)
		}
		if forDialect != "" && forDialect != string(d) {
			continue
		}
		number, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		if specific[version] && forDialect == "" {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		byVersion[version] = migration{version: version, name: name, sql: string(body)}
		specific[version] = forDialect != ""
	}

	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
