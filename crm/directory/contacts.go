package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// CreateContact validates in and inserts it into the phonebook
// in.PhonebookID. An external_id already used in that phonebook is an error
// wrapping store.ErrConflict.
func (s *Service) CreateContact(ctx context.Context, workspaceID string, in ContactInput) (store.Contact, error) {
	rules, err := s.rules(ctx, workspaceID)
	if err != nil {
		return store.Contact{}, err
	}

	c, err := normalizeContact(in, rules, "")
	if err != nil {
		return store.Contact{}, err
	}
	c.WorkspaceID = workspaceID
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.CreateContact(ctx, &c); err != nil {
			return err
		}
		return s.emit(ctx, q, workspaceID, webhooks.ContactCreated, c)
	})
	if err != nil {
		return store.Contact{}, err
	}
	return c, nil
}

// GetContact returns the contact id of the workspace.
func (s *Service) GetContact(ctx context.Context, workspaceID, id string) (store.Contact, error) {
	return s.store.GetContact(ctx, workspaceID, id)
}

// GetContactByExternalID returns the contact of the phonebook whose
// external_id is externalID.
func (s *Service) GetContactByExternalID(ctx context.Context, workspaceID, phonebookID, externalID string) (store.Contact, error) {
	return s.store.GetContactByExternalID(ctx, workspaceID, phonebookID, externalID)
}

// ReplaceContact sets every writable field of the contact to in's, clearing
// the fields in leaves empty. A replace that changes nothing keeps
// updated_at.
func (s *Service) ReplaceContact(ctx context.Context, workspaceID, id string, in ContactInput) (store.Contact, error) {
	return s.updateContact(ctx, workspaceID, id, func(store.Contact) (ContactInput, error) { return in, nil })
}

// PatchContact applies the JSON Merge Patch (RFC 7396) patch to the
// contact's writable fields, extra_data included, so a null member clears a
// field or removes an extra_data key. The patched document is then checked
// like a replace, and unknown fields and fields of the wrong type are
// validation errors.
func (s *Service) PatchContact(ctx context.Context, workspaceID, id string, patch []byte) (store.Contact, error) {
	if _, isObject := decodeObjectOrNil(patch); !isObject {
		return store.Contact{}, validation.New("contact", "the merge patch must be a JSON object")
	}

	return s.updateContact(ctx, workspaceID, id, func(current store.Contact) (ContactInput, error) {
		doc, err := json.Marshal(inputOf(current))
		if err != nil {
			return ContactInput{}, fmt.Errorf("encode contact %s: %w", id, err)
		}
		merged, err := MergePatch(doc, patch)
		if err != nil {
			return ContactInput{}, validation.New("contact", "the merge patch cannot be applied: %v", err)
		}
		return decodeContactInput(merged)
	})
}

// updateContact reads the contact, builds its new fields with next and
// writes them, all in one transaction.
//
// NOTE: on PostgreSQL the first read takes no row lock (the store locks
// only inside UpdateContact), so two concurrent patches of different
// fields can lose one of the changes. SQLite runs write transactions one
// at a time, so it is not affected.
func (s *Service) updateContact(ctx context.Context, workspaceID, id string, next func(store.Contact) (ContactInput, error)) (store.Contact, error) {
	rules, err := s.rules(ctx, workspaceID)
	if err != nil {
		return store.Contact{}, err
	}

	var updated store.Contact
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		current, err := q.GetContact(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		in, err := next(current)
		if err != nil {
			return err
		}
		c, err := normalizeContact(in, rules, current.PhonebookID)
		if err != nil {
			return err
		}

		c.ID, c.WorkspaceID = id, workspaceID
		changed, err := q.UpdateContact(ctx, &c)
		if err != nil {
			return err
		}
		updated = c
		if !changed {
			return nil
		}
		return s.emit(ctx, q, workspaceID, webhooks.ContactUpdated, c)
	})
	return updated, err
}

// DeleteContact deletes the contact and leaves a tombstone for sync
// clients. The contact.deleted event carries the contact as it was.
func (s *Service) DeleteContact(ctx context.Context, workspaceID, id string) error {
	return s.store.InTx(ctx, func(q *store.Queries) error {
		deleted, err := q.GetContact(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		if err := q.DeleteContact(ctx, workspaceID, id); err != nil {
			return err
		}
		return s.emit(ctx, q, workspaceID, webhooks.ContactDeleted, deleted)
	})
}

// ListContacts returns one page of contacts and whether more follow. The
// caller sets the workspace, filters, sort, snapshot bound and page key.
func (s *Service) ListContacts(ctx context.Context, q store.ContactQuery) ([]store.Contact, bool, error) {
	return s.store.ListContacts(ctx, q)
}

// ListDeletedContacts returns one page of tombstones of contacts deleted at
// or after since, and whether more follow.
func (s *Service) ListDeletedContacts(ctx context.Context, workspaceID string, since time.Time, after *store.Keyset, limit int) ([]store.Tombstone, bool, error) {
	return s.store.ListTombstones(ctx, workspaceID, store.Millis(since), after, limit)
}

// LookupQuery finds contacts by exactly one of Phone, Email and
// ExternalID. PhonebookID limits the search to one phonebook, and is
// required with ExternalID.
type LookupQuery struct {
	Phone       string
	Email       string
	ExternalID  string
	PhonebookID string
}

// LookupContacts returns the contacts matching q, oldest first (by
// created_at, then id). Call routing picks the first when several contacts
// share a number, so the order is part of the contract. Phone numbers match
// on their E.164 form, read in the workspace's default region; emails
// match without regard to case. Invalid queries are validation errors
// naming the query parameter.
func (s *Service) LookupContacts(ctx context.Context, workspaceID string, q LookupQuery) ([]store.Contact, error) {
	if err := checkLookup(q); err != nil {
		return nil, err
	}
	var phonebooks []string
	if q.PhonebookID != "" {
		phonebooks = []string{q.PhonebookID}
	}

	switch {
	case q.Phone != "":
		return s.lookupPhone(ctx, workspaceID, q.Phone, phonebooks)
	case q.Email != "":
		return s.store.FindContactsByEmail(ctx, workspaceID, strings.ToLower(strings.TrimSpace(q.Email)), phonebooks)
	}

	c, err := s.store.GetContactByExternalID(ctx, workspaceID, q.PhonebookID, q.ExternalID)
	if errors.Is(err, store.ErrNotFound) {
		return []store.Contact{}, nil
	}
	if err != nil {
		return nil, err
	}
	return []store.Contact{c}, nil
}

func checkLookup(q LookupQuery) error {
	keyCount := 0
	for _, value := range []string{q.Phone, q.Email, q.ExternalID} {
		if strings.TrimSpace(value) != "" {
			keyCount++
		}
	}

	var v validation.Error
	if keyCount != 1 {
		v.Add("phone", "send exactly one of phone, email and external_id")
	}
	if q.ExternalID != "" && q.PhonebookID == "" {
		v.Add("phonebook_id", "is required with external_id, which is unique only within a phonebook")
	}
	return v.Err()
}

func (s *Service) lookupPhone(ctx context.Context, workspaceID, raw string, phonebooks []string) ([]store.Contact, error) {
	region, err := s.region(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	e164, err := phone.MatchKey(raw, region)
	if err != nil {
		return nil, validation.New("phone", "%s", err.Error())
	}
	return s.store.FindContactsByPhone(ctx, workspaceID, e164, phonebooks)
}
