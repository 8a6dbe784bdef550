// Package directory validates and normalises phonebooks and contacts before
// they reach the store, for the REST API, CSV import and CRM sync alike.
//
// Every write goes through a Service method, which reads the workspace's
// default region to parse phone numbers written without a country code.
// Field errors are returned as *validation.Error, listing every invalid
// field at once, and store errors (store.ErrNotFound, store.ErrConflict)
// are passed on wrapped.
package directory

import (
	"context"

	"github.com/switchboard-oss/switchboard/store"
)

// Service is the contact directory of every workspace.
type Service struct {
	store *store.Store
}

// New returns the directory over st.
func New(st *store.Store) *Service {
	return &Service{store: st}
}

// region returns the default region of the workspace, used to parse phone
// numbers written without a country code.
func (s *Service) region(ctx context.Context, workspaceID string) (string, error) {
	w, err := s.store.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return "", err
	}
	return w.DefaultRegion, nil
}
