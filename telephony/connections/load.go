package connections

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// maxCached bounds the connections Load keeps in memory. A full cache is
// emptied rather than evicted entry by entry: a deployment with more
// connections than this compiles rules more often, nothing else.
const maxCached = 1000

// revalidateAfter is how long Load serves a cached connection without
// reading the database, and so the staleness bound of the webhook path. An
// edit of a connection or of its workspace, made through this process or
// another one, reaches calls within this time. Reading both rows on every
// webhook took 17% of the webhook path's CPU in docs/benchmarks.md.
//
// Create and Update of this Service replace the cached copy at once; only
// edits made through another instance or directly in the database wait.
const revalidateAfter = time.Second

// clock returns the current time for revalidateAfter. Tests replace it.
var clock = time.Now

// Connection is a connection ready for the webhook path: its settings with
// decrypted credentials, its compiled rules and its workspace's region and
// time zone.
type Connection struct {
	Settings
	// Ruleset is the compiled RoutingRules. It is empty when they no
	// longer compile, and then every call takes the default route.
	// RulesError is the compile error in that case.
	Ruleset    *routing.Ruleset
	RulesError error
	// Region is the workspace's default region, for numbers without a
	// country code.
	Region string
	// Location is the workspace's time zone, for time-of-day rules. An
	// unknown zone name gives UTC.
	Location *time.Location
	// Stale is true when the database could not be read and Load returned
	// the copy it read last.
	Stale bool
}

// Deadline returns the time budget of a routing decision.
func (c Connection) Deadline() time.Duration {
	return time.Duration(c.DeadlineMillis) * time.Millisecond
}

// LookupPhonebookIDs returns the phonebooks to search for the caller in
// the form store.Queries.FindContactsByPhone takes: nil, which searches
// every phonebook of the workspace, when the connection lists none.
func (c Connection) LookupPhonebookIDs() []string {
	if len(c.PhonebookIDs) == 0 {
		return nil
	}
	return c.PhonebookIDs
}

type cachedConnection struct {
	conn Connection
	// Versions of the rows the entry was built from.
	connectionUpdatedAt int64
	workspaceUpdatedAt  int64
	// checkedAt is when those versions were last read.
	checkedAt time.Time
}

// Load returns the connection id of any workspace, for a webhook whose URL
// names it. A copy read from the database less than revalidateAfter ago is
// returned as it is. Otherwise Load reads the connection and its workspace,
// and reuses the decrypted credentials and compiled rules while neither
// row changed. When the database fails with an error other than not found,
// Load returns the copy it built last, marked Stale, so a call can still
// take the connection's default route. Without a copy it returns the
// error.
func (svc *Service) Load(ctx context.Context, id string) (Connection, error) {
	cached, ok := svc.cached(id)
	checkedAt := clock()
	if ok && checkedAt.Sub(cached.checkedAt) < revalidateAfter {
		return cached.conn, nil
	}

	rec, err := svc.store.GetTelephonyConnectionByID(ctx, id)
	if err != nil {
		return svc.fallback(id, err)
	}
	w, err := svc.store.GetWorkspace(ctx, rec.WorkspaceID)
	if err != nil {
		return svc.fallback(id, err)
	}

	key := cachedConnection{connectionUpdatedAt: rec.UpdatedAt.UnixMilli(), workspaceUpdatedAt: w.UpdatedAt.UnixMilli(), checkedAt: checkedAt}
	if ok && cached.connectionUpdatedAt == key.connectionUpdatedAt && cached.workspaceUpdatedAt == key.workspaceUpdatedAt {
		key.conn = cached.conn
		svc.remember(id, key)
		return cached.conn, nil
	}

	s, err := svc.settings(rec)
	if err != nil {
		return Connection{}, err
	}
	conn := Connection{Settings: s, Region: w.DefaultRegion, Location: location(w.TimeZone)}
	conn.Ruleset, conn.RulesError = routing.Compile(s.RoutingRules, w.DefaultRegion)

	key.conn = conn
	svc.remember(id, key)
	return conn, nil
}

// fallback returns the cached copy of connection id when err is a database
// failure, and err otherwise.
func (svc *Service) fallback(id string, err error) (Connection, error) {
	if errors.Is(err, store.ErrNotFound) {
		svc.forget(id)
		return Connection{}, err
	}
	cached, ok := svc.cached(id)
	if !ok {
		return Connection{}, err
	}
	conn := cached.conn
	conn.Stale = true
	return conn, nil
}

func (svc *Service) cached(id string) (cachedConnection, bool) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	c, ok := svc.cache[id]
	return c, ok
}

func (svc *Service) remember(id string, c cachedConnection) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if len(svc.cache) >= maxCached {
		clear(svc.cache)
	}
	svc.cache[id] = c
}

func (svc *Service) forget(id string) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	delete(svc.cache, id)
}

// location returns the time zone name, or UTC when it is unknown.
func location(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Warm loads up to the cache's size of the most recently updated enabled
// connections, so that calls on them get their default route even when the
// database fails before their first webhook. It returns how many loaded.
func (svc *Service) Warm(ctx context.Context) (int, error) {
	ids, err := svc.store.ListRecentTelephonyConnectionIDs(ctx, maxCached)
	if err != nil {
		return 0, err
	}
	loaded := 0
	for _, id := range ids {
		if _, err := svc.Load(ctx, id); err != nil {
			return loaded, err
		}
		loaded++
	}
	return loaded, nil
}
