package crmsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/store"
)

// MaxRunErrors is how many record failures a run keeps with their reason;
// the failed count includes the rest.
const MaxRunErrors = 20

// Modes of a run, in crm_sync_runs.mode.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// ErrRunFailed is wrapped by the error of a run that ended for good:
// retrying does not help until an admin changes the connection.
var ErrRunFailed = errors.New("CRM sync run failed")

// ErrRunInterrupted is wrapped by the error of a run that stopped on an
// error that waiting may cure, such as an unreachable CRM. The run is
// stored as failed, and the run due at next_run_at resumes it.
var ErrRunInterrupted = errors.New("CRM sync run interrupted")

// saveTimeout bounds the writes that record how a run stopped, which run
// even when the run's own context is cancelled.
const saveTimeout = 10 * time.Second

// Connections reads CRM connections and opens their connectors;
// *crmconn.Service implements it.
type Connections interface {
	Get(ctx context.Context, workspaceID, id string) (crmconn.Connection, error)
	Open(ctx context.Context, workspaceID, id string) (crmconn.Connection, crm.Connector, error)
}

// Config holds what an Engine needs.
type Config struct {
	Store       *store.Store
	Directory   *directory.Service
	Connections Connections
	// Log receives a line per run and per failure; a no-op logger when nil.
	Log *zap.Logger
	// Now is the clock of next_run_at; time.Now when nil.
	Now func() time.Time
}

// Engine runs the contact sync of CRM connections.
type Engine struct {
	store     *store.Store
	directory *directory.Service
	conns     Connections
	log       *zap.Logger
	now       func() time.Time
}

// NewEngine returns an engine with cfg.
func NewEngine(cfg Config) *Engine {
	e := &Engine{store: cfg.Store, directory: cfg.Directory, conns: cfg.Connections, log: cfg.Log, now: cfg.Now}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Run is one sync run and its counts.
type Run struct {
	ID           string
	ConnectionID string
	WorkspaceID  string
	// Mode is ModeFull or ModeIncremental.
	Mode string
	// State is store.CRMSyncRunning, store.CRMSyncSucceeded or
	// store.CRMSyncFailed.
	State      string
	StartedAt  time.Time
	FinishedAt *time.Time
	Created    int
	Updated    int
	// Unchanged counts records equal to their contact. RunOnce counts it;
	// runs read back from the history have 0, because crm_sync_runs has no
	// column for it.
	Unchanged int
	Deleted   int
	Failed    int
	// Errors are the first MaxRunErrors record failures, each naming the
	// record, after the error that stopped the run, if any.
	Errors []string
}

// RunOnce syncs the connection id of workspaceID: it resumes the run in
// progress, or starts a full or incremental run, and reads pages until the
// CRM has no more changes or an error stops it. It returns the run with
// its counts so far. An error wrapping ErrRunFailed ended the run for good.
// After an error wrapping ErrRunInterrupted, the run is stored as failed,
// and the next call resumes it. After a *crm.RateLimitedError, the run
// stays running, and the next call resumes it too. A connection that does not exist gives store.ErrNotFound.
// Two calls must not run at once for one connection: the crm_sync job,
// unique per connection, keeps them apart.
func (e *Engine) RunOnce(ctx context.Context, workspaceID, id string) (Run, error) {
	r, err := e.start(ctx, workspaceID, id)
	if err != nil {
		return Run{}, err
	}

	err = r.sync(ctx)
	return e.end(ctx, r, err)
}

// end records how the run stopped and returns it, with err classified as
// the package doc describes.
func (e *Engine) end(ctx context.Context, r *runner, err error) (Run, error) {
	if err == nil {
		r.logDone()
		return r.result(), nil
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	var limited *crm.RateLimitedError
	switch {
	case isTerminal(err):
		err = terminal(err)
		if saveErr := r.fail(ctx, err); saveErr != nil {
			return r.result(), errors.Join(err, saveErr)
		}
	case errors.As(err, &limited):
		if saveErr := r.snooze(ctx, err, limited.RetryAfter); saveErr != nil {
			return r.result(), errors.Join(err, saveErr)
		}
	default:
		if saveErr := r.interrupt(ctx, err, r.interval()); saveErr != nil {
			return r.result(), errors.Join(err, saveErr)
		}
		err = fmt.Errorf("%w: %w", ErrRunInterrupted, err)
	}
	return r.result(), err
}

// isTerminal reports whether err ends a run for good.
func isTerminal(err error) bool {
	return errors.Is(err, ErrRunFailed) || errors.Is(err, crm.ErrUnauthorized) ||
		errors.Is(err, crmconn.ErrNotAuthorized) || errors.Is(err, store.ErrNotFound)
}

// terminal returns err wrapping ErrRunFailed.
func terminal(err error) error {
	if errors.Is(err, ErrRunFailed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrRunFailed, err)
}

// lastError is the last_error a stopped run leaves: the cause without the
// ErrRunFailed prefix, and what to do about rejected credentials.
func lastError(err error) string {
	text, _ := strings.CutPrefix(err.Error(), ErrRunFailed.Error()+": ")
	switch {
	case errors.Is(err, crm.ErrUnauthorized):
		text += "; update the connection's token or authorize it again, then request a sync"
	case errors.Is(err, crmconn.ErrNotAuthorized):
		text += "; then request a sync"
	}
	return text
}
