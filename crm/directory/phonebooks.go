package directory

import (
	"context"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// Limits of phonebook fields, in Unicode code points.
const (
	MaxPhonebookNameLength   = 200
	MaxDescriptionLength     = 2000
	MaxPhonebookSourceLength = 50
)

// DefaultPhonebookSource is the source of a phonebook created without one.
const DefaultPhonebookSource = "api"

// PhonebookInput is a new phonebook as a client writes it.
type PhonebookInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Source names where the contacts come from, such as "hubspot" or
	// "csv"; empty means DefaultPhonebookSource.
	Source string `json:"source"`
}

// PhonebookPatch holds the phonebook fields an update changes; nil fields
// keep their value.
type PhonebookPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Source      *string `json:"source"`
}

// CreatePhonebook validates in and inserts it.
func (s *Service) CreatePhonebook(ctx context.Context, workspaceID string, in PhonebookInput) (store.Phonebook, error) {
	p := store.Phonebook{WorkspaceID: workspaceID}
	if err := applyPhonebook(&p, PhonebookPatch{Name: &in.Name, Description: &in.Description, Source: &in.Source}); err != nil {
		return store.Phonebook{}, err
	}
	if p.Source == "" {
		p.Source = DefaultPhonebookSource
	}

	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.CreatePhonebook(ctx, &p); err != nil {
			return err
		}
		return s.emit(ctx, q, workspaceID, webhooks.PhonebookCreated, p)
	})
	if err != nil {
		return store.Phonebook{}, err
	}
	return p, nil
}

// GetPhonebook returns the phonebook id of the workspace.
func (s *Service) GetPhonebook(ctx context.Context, workspaceID, id string) (store.Phonebook, error) {
	return s.store.GetPhonebook(ctx, workspaceID, id)
}

// ListPhonebooks returns one page of the workspace's phonebooks, oldest
// first, starting after the key after, and whether more follow.
func (s *Service) ListPhonebooks(ctx context.Context, workspaceID string, after *store.Keyset, limit int) ([]store.Phonebook, bool, error) {
	return s.store.ListPhonebooks(ctx, workspaceID, after, limit)
}

// UpdatePhonebook applies patch to the phonebook and stores it.
func (s *Service) UpdatePhonebook(ctx context.Context, workspaceID, id string, patch PhonebookPatch) (store.Phonebook, error) {
	var p store.Phonebook
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.GetPhonebook(ctx, workspaceID, id); err != nil {
			return err
		}
		if err := applyPhonebook(&p, patch); err != nil {
			return err
		}
		if err := q.UpdatePhonebook(ctx, &p); err != nil {
			return err
		}
		return s.emit(ctx, q, workspaceID, webhooks.PhonebookUpdated, p)
	})
	if err != nil {
		return store.Phonebook{}, err
	}
	return p, nil
}

// DeletePhonebook deletes the phonebook. Deleting one that still has
// contacts is an error wrapping store.ErrConflict unless force is true.
// With force, its contacts are deleted with it and each leaves a
// tombstone and a contact.deleted event, recorded before phonebook.deleted
// in the same transaction.
func (s *Service) DeletePhonebook(ctx context.Context, workspaceID, id string, force bool) error {
	return s.store.InTx(ctx, func(q *store.Queries) error {
		deleted, err := q.GetPhonebook(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		if force && s.events != nil {
			if err := s.emitPhonebookContactsDeleted(ctx, q, workspaceID, id); err != nil {
				return err
			}
		}
		if err := q.DeletePhonebook(ctx, workspaceID, id, force); err != nil {
			return err
		}
		return s.emit(ctx, q, workspaceID, webhooks.PhonebookDeleted, deleted)
	})
}

// emitPhonebookContactsDeleted records a contact.deleted event for every
// contact of the phonebook, after locking the phonebook so no contact is
// added between the read and the delete.
//
// NOTE: when some subscription receives contact.deleted, the phonebook's
// contacts are read into memory at once, so a forced delete of a phonebook
// of millions of contacts needs memory in proportion.
func (s *Service) emitPhonebookContactsDeleted(ctx context.Context, q *store.Queries, workspaceID, id string) error {
	if err := q.LockPhonebook(ctx, workspaceID, id); err != nil {
		return err
	}
	load := func() ([]any, error) {
		contacts, err := q.ListPhonebookContacts(ctx, workspaceID, id)
		if err != nil {
			return nil, err
		}
		objects := make([]any, len(contacts))
		for i, c := range contacts {
			objects[i] = c
		}
		return objects, nil
	}
	return s.events.EmitBatch(ctx, q, workspaceID, webhooks.ContactDeleted, load)
}

func applyPhonebook(p *store.Phonebook, patch PhonebookPatch) error {
	var v validation.Error
	if patch.Name != nil {
		p.Name = checkText(&v, "name", *patch.Name, MaxPhonebookNameLength)
		if p.Name == "" {
			v.Add("name", "is missing: give the phonebook a name")
		}
	}
	if patch.Description != nil {
		p.Description = checkDescription(&v, *patch.Description)
	}
	if patch.Source != nil {
		p.Source = checkText(&v, "source", *patch.Source, MaxPhonebookSourceLength)
	}
	return v.Err()
}

// checkDescription is checkText for the description, which may also hold
// line breaks and tabs.
func checkDescription(v *validation.Error, value string) string {
	value = strings.TrimSpace(value)
	flat := strings.NewReplacer("\r", " ", "\n", " ", "\t", " ").Replace(value)
	checkText(v, "description", flat, MaxDescriptionLength)
	return value
}
