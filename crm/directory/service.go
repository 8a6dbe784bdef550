// Package directory validates and normalises phonebooks and contacts before
// they reach the store, for the REST API, CSV import and CRM sync alike.
//
// Every write goes through a Service method, which reads the workspace's
// default region to parse phone numbers written without a country code.
// Field errors are returned as *validation.Error, listing every invalid
// field at once, and store errors (store.ErrNotFound, store.ErrConflict)
// are passed on wrapped.
//
// With WithEvents, creating, updating and deleting a contact or a phonebook
// records a webhook event in the transaction of the change, CSV imports and
// the contacts a forced phonebook delete removes included. A contact is
// "updated" only when a field changed.
//
// Every contact write also checks extra_data against the workspace's
// custom fields (see CreateCustomField), read fresh on each write.
package directory

import (
	"context"

	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// Service is the contact directory of every workspace.
type Service struct {
	store  *store.Store
	events webhooks.Emitter
}

// Option configures a Service.
type Option func(*Service)

// WithEvents makes the Service record contact and phonebook changes with
// events, for webhook subscribers.
func WithEvents(events webhooks.Emitter) Option {
	return func(s *Service) { s.events = events }
}

// New returns the directory over st.
func New(st *store.Store, opts ...Option) *Service {
	s := &Service{store: st}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// emit records an event about object in the transaction of q, when the
// Service has an emitter.
func (s *Service) emit(ctx context.Context, q *store.Queries, workspaceID string, t webhooks.EventType, object any) error {
	if s.events == nil {
		return nil
	}
	return s.events.Emit(ctx, q, workspaceID, t, object)
}

// rules returns what contact writes of the workspace are checked against:
// its default region and custom fields, read fresh so a field applies
// from the moment it is created.
func (s *Service) rules(ctx context.Context, workspaceID string) (contactRules, error) {
	region, err := s.region(ctx, workspaceID)
	if err != nil {
		return contactRules{}, err
	}
	fields, err := s.store.ListCustomFields(ctx, workspaceID)
	if err != nil {
		return contactRules{}, err
	}
	return contactRules{region: region, fields: fields}, nil
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
