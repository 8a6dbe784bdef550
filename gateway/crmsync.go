package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/crmsync"
)

// defaultSyncRunsLimit is the number of runs GET .../sync/runs returns
// without a limit parameter.
const defaultSyncRunsLimit = 20

// crmSyncView is the contact sync state of a CRM connection.
type crmSyncView struct {
	ConnectionID        string          `json:"connection_id"`
	SyncEnabled         bool            `json:"sync_enabled"`
	SyncIntervalSeconds int             `json:"sync_interval_seconds"`
	PhonebookID         *string         `json:"phonebook_id"`
	State               string          `json:"state"`
	Checkpoint          *string         `json:"checkpoint"`
	NextRunAt           *string         `json:"next_run_at"`
	LastError           string          `json:"last_error"`
	LastRun             *crmSyncRunView `json:"last_run"`
}

// crmSyncRunView is one run of a contact sync.
type crmSyncRunView struct {
	ID         string   `json:"id"`
	Mode       string   `json:"mode"`
	State      string   `json:"state"`
	StartedAt  string   `json:"started_at"`
	FinishedAt *string  `json:"finished_at"`
	Created    int      `json:"created"`
	Updated    int      `json:"updated"`
	Deleted    int      `json:"deleted"`
	Failed     int      `json:"failed"`
	Errors     []string `json:"errors"`
}

func viewCRMSync(s crmsync.Status) crmSyncView {
	v := crmSyncView{
		ConnectionID: s.ConnectionID, SyncEnabled: s.SyncEnabled, SyncIntervalSeconds: s.SyncIntervalSeconds,
		State: s.State, LastError: s.LastError, NextRunAt: optionalTime(s.NextRunAt),
	}
	if s.PhonebookID != "" {
		v.PhonebookID = &s.PhonebookID
	}
	if !s.Checkpoint.IsZero() {
		v.Checkpoint = optionalTime(&s.Checkpoint)
	}
	if s.LastRun != nil {
		run := viewCRMSyncRun(*s.LastRun)
		v.LastRun = &run
	}
	return v
}

func viewCRMSyncRun(r crmsync.Run) crmSyncRunView {
	v := crmSyncRunView{
		ID: r.ID, Mode: r.Mode, State: r.State, StartedAt: formatTime(r.StartedAt), FinishedAt: optionalTime(r.FinishedAt),
		Created: r.Created, Updated: r.Updated, Deleted: r.Deleted, Failed: r.Failed, Errors: r.Errors,
	}
	if v.Errors == nil {
		v.Errors = []string{}
	}
	return v
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	formatted := formatTime(*t)
	return &formatted
}

// crmSyncService returns the sync service, or one without a job queue
// that serves the state and history when Deps has none.
func (s *Server) crmSyncService() *crmsync.Service {
	if s.crmSync != nil {
		return s.crmSync
	}
	return crmsync.NewService(s.store, nil)
}

// requestCRMSync enqueues a sync run of the connection now. A run already
// queued or running is not doubled.
func (s *Server) requestCRMSync(c echo.Context) error {
	p := principalOf(c)

	status, err := s.crmSyncService().Request(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if errors.Is(err, crmsync.ErrNoQueue) {
		return newProblem(probUnavailable, "CRM sync runs are not configured on this gateway.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, viewCRMSync(status))
}

func (s *Server) getCRMSync(c echo.Context) error {
	p := principalOf(c)

	status, err := s.crmSyncService().Status(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCRMSync(status))
}

// listCRMSyncRuns lists the latest runs first, in one page of at most
// crmsync.MaxRunsLimit.
func (s *Server) listCRMSyncRuns(c echo.Context) error {
	p := principalOf(c)
	limit, err := parseSyncRunsLimit(c.QueryParam("limit"))
	if err != nil {
		return err
	}

	runs, err := s.crmSyncService().Runs(c.Request().Context(), p.WorkspaceID, c.Param("id"), limit)
	if err != nil {
		return err
	}

	views := make([]crmSyncRunView, len(runs))
	for i, r := range runs {
		views[i] = viewCRMSyncRun(r)
	}
	return c.JSON(http.StatusOK, listResponse[crmSyncRunView]{Data: views})
}

func parseSyncRunsLimit(value string) (int, error) {
	if value == "" {
		return defaultSyncRunsLimit, nil
	}
	limit, err := strconv.Atoi(value)
	if err != nil || limit < 1 || limit > crmsync.MaxRunsLimit {
		return 0, queryProblem("limit", "must be a whole number from 1 to %d", crmsync.MaxRunsLimit)
	}
	return limit, nil
}
