package calllog

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Logged is the object of a call.logged webhook event: the call and the
// log that got its CRM id.
type Logged struct {
	Call store.Call
	Log  store.CallLog
}

// Statuses lists the statuses of a call log, for filters.
var Statuses = []string{store.CallLogPending, store.CallLogLogged, store.CallLogFailed, store.CallLogSkipped}

// Get returns the call log id of workspaceID.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (store.CallLog, error) {
	return s.store.GetCallLog(ctx, workspaceID, id)
}

// List returns one page of the call logs q selects. A q.ConnectionID
// that names no CRM connection of the workspace returns an error wrapping
// store.ErrNotFound.
func (s *Service) List(ctx context.Context, q store.CallLogQuery) ([]store.CallLog, bool, error) {
	if q.ConnectionID != "" {
		if _, err := s.store.GetCRMConnection(ctx, q.WorkspaceID, q.ConnectionID); err != nil {
			return nil, false, err
		}
	}
	return s.store.ListCallLogs(ctx, q)
}

// LogsOfCalls returns the logs of the calls callIDs by call id.
func (s *Service) LogsOfCalls(ctx context.Context, workspaceID string, callIDs []string) (map[string][]store.CallLog, error) {
	logs, err := s.store.ListCallLogsOfCalls(ctx, workspaceID, callIDs)
	if err != nil {
		return nil, err
	}
	byCall := make(map[string][]store.CallLog, len(callIDs))
	for _, l := range logs {
		byCall[l.CallID] = append(byCall[l.CallID], l)
	}
	return byCall, nil
}

// Retry writes the call of the log id to its CRM again now, with a fresh
// count of attempts: a create when the CRM has no entry yet, an update
// otherwise. It works on logs of every status, so a skipped log is
// logged after all.
func (s *Service) Retry(ctx context.Context, workspaceID, id string) (store.CallLog, error) {
	var l store.CallLog
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if l, err = q.RetryCallLog(ctx, workspaceID, id); err != nil {
			return err
		}
		return s.enqueueDrain(ctx, q, workspaceID, l.ConnectionID, 0)
	})
	return l, err
}

// RetryFailed retries every failed log of workspaceID, of the CRM
// connection connectionID only unless it is empty, and returns how many.
// A connectionID that names no CRM connection of the workspace returns an
// error wrapping store.ErrNotFound.
func (s *Service) RetryFailed(ctx context.Context, workspaceID, connectionID string) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if connectionID != "" {
			if _, err := q.GetCRMConnection(ctx, workspaceID, connectionID); err != nil {
				return err
			}
		}
		conns, count, err := q.RetryFailedCallLogs(ctx, workspaceID, connectionID)
		if err != nil {
			return err
		}
		n = count
		for _, c := range conns {
			if err := s.enqueueDrain(ctx, q, c.WorkspaceID, c.ConnectionID, 0); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Skip marks the log id skipped, so its call is never written to the
// CRM. A log whose call is in the CRM already returns an error wrapping
// store.ErrConflict.
func (s *Service) Skip(ctx context.Context, workspaceID, id string) (store.CallLog, error) {
	return s.store.SkipCallLog(ctx, workspaceID, id)
}

// SetNotes replaces the notes of the call callID and, for a call that
// has ended, revises its CRM logs so the entries show them. Notes longer
// than MaxNotesLength characters or not UTF-8 are rejected with a
// *validation.Error.
func (s *Service) SetNotes(ctx context.Context, workspaceID, callID, notes string) (store.Call, error) {
	if !utf8.ValidString(notes) {
		return store.Call{}, validation.New("notes", "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(notes); n > MaxNotesLength {
		return store.Call{}, validation.New("notes", "is %d characters long; the limit is %d characters", n, MaxNotesLength)
	}

	var call store.Call
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		before, err := q.GetCall(ctx, workspaceID, callID)
		if err != nil {
			return err
		}
		if call, err = q.SetCallNotes(ctx, workspaceID, callID, notes); err != nil {
			return err
		}
		if before.Notes == call.Notes || !telephony.Status(call.Status).Final() {
			return nil
		}
		return s.reviseLogs(ctx, q, call)
	})
	if err != nil {
		return store.Call{}, fmt.Errorf("set notes of call %s: %w", callID, err)
	}
	return call, nil
}
