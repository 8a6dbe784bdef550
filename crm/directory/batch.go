package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// MaxBatchSize is the largest number of contacts one batch upsert takes.
const MaxBatchSize = 1000

// StatusError is the status of a batch item that was not written. The
// other statuses are those of store.UpsertStatus.
const StatusError = "error"

// BatchReport is the outcome of UpsertBatch: one result per item, in input
// order, and the count of each status.
type BatchReport struct {
	Results   []BatchItemResult `json:"results"`
	Created   int               `json:"created"`
	Updated   int               `json:"updated"`
	Unchanged int               `json:"unchanged"`
	Failed    int               `json:"failed"`
}

// BatchItemResult is the outcome for one batch item. ID is set unless the
// item failed; Error is set only when it failed.
type BatchItemResult struct {
	Index      int         `json:"index"`
	ExternalID *string     `json:"external_id"`
	Status     string      `json:"status"`
	ID         string      `json:"id,omitempty"`
	Error      *BatchError `json:"error,omitempty"`
}

// BatchError is the reason one batch item was not written.
type BatchError struct {
	Title         string                  `json:"title"`
	InvalidParams []validation.FieldError `json:"invalid_params"`
}

// UpsertBatch writes items, raw JSON contact documents, into the phonebook
// keyed by external_id, with the semantics of ReplaceContact for contacts
// that exist. Every item needs an external_id. An invalid item, or one
// repeating the external_id of an earlier item, is reported in its result
// and does not stop the others. The valid items are written in one
// transaction, and a batch equal to what is stored leaves every updated_at
// as it is. The items must number 1 to MaxBatchSize.
func (s *Service) UpsertBatch(ctx context.Context, workspaceID, phonebookID string, items []json.RawMessage) (BatchReport, error) {
	return s.upsertBatch(ctx, workspaceID, phonebookID, items, false)
}

// UpsertRecords is UpsertBatch for records of a system that stores every
// value as text, such as a CRM: the extra_data text of number, integer and
// boolean custom fields is converted to that type first ("42" to 42). A
// record whose value still breaks a custom field fails alone, with the
// field named in its result.
func (s *Service) UpsertRecords(ctx context.Context, workspaceID, phonebookID string, items []json.RawMessage) (BatchReport, error) {
	return s.upsertBatch(ctx, workspaceID, phonebookID, items, true)
}

func (s *Service) upsertBatch(ctx context.Context, workspaceID, phonebookID string, items []json.RawMessage, coerceText bool) (BatchReport, error) {
	if len(items) == 0 || len(items) > MaxBatchSize {
		return BatchReport{}, validation.New("contacts", "has %d items; send 1 to %d", len(items), MaxBatchSize)
	}
	rules, err := s.rules(ctx, workspaceID)
	if err != nil {
		return BatchReport{}, err
	}
	rules.coerceText = coerceText
	if _, err := s.store.GetPhonebook(ctx, workspaceID, phonebookID); err != nil {
		return BatchReport{}, err
	}

	report := BatchReport{Results: make([]BatchItemResult, len(items))}
	var valid []store.Contact
	var validIndex []int
	firstIndex := map[string]int{}
	for i, raw := range items {
		c, externalID, err := batchItem(raw, rules, phonebookID, firstIndex, i)
		report.Results[i] = BatchItemResult{Index: i, ExternalID: externalID}
		if err != nil {
			report.fail(i, err)
			continue
		}
		valid = append(valid, c)
		validIndex = append(validIndex, i)
	}

	if len(valid) > 0 {
		written, err := s.upsert(ctx, workspaceID, phonebookID, valid)
		if err != nil {
			return BatchReport{}, err
		}
		for k, r := range written {
			report.succeed(validIndex[k], r)
		}
	}
	return report, nil
}

// upsert writes the contacts and records a contact.created or
// contact.updated event for each one created or changed, in one
// transaction. An event reads its contact back only when some subscription
// receives it.
func (s *Service) upsert(ctx context.Context, workspaceID, phonebookID string, contacts []store.Contact) ([]store.UpsertResult, error) {
	var written []store.UpsertResult
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if written, err = q.UpsertContacts(ctx, workspaceID, phonebookID, contacts); err != nil {
			return err
		}
		for _, r := range written {
			t := webhooks.ContactCreated
			switch r.Status {
			case store.UpsertUnchanged:
				continue
			case store.UpsertUpdated:
				t = webhooks.ContactUpdated
			}
			load := webhooks.Load(func() (any, error) { return q.GetContact(ctx, workspaceID, r.ID) })
			if err := s.emit(ctx, q, workspaceID, t, load); err != nil {
				return err
			}
		}
		return nil
	})
	return written, err
}

// batchItem decodes and checks item i. It returns the item's external_id
// even when the item is invalid, for the report. firstIndex maps each
// external_id seen so far to its first item, and gains item i's, so a
// repeat is caught even after an invalid first item.
func batchItem(raw json.RawMessage, rules contactRules, phonebookID string, firstIndex map[string]int, i int) (store.Contact, *string, error) {
	externalID := externalIDOf(raw)
	var v validation.Error
	switch {
	case externalID == nil:
		v.Add("external_id", "is missing: batch items are matched to stored contacts by external_id")
	case hasIndex(firstIndex, *externalID):
		v.Add("external_id", "repeats the external_id of item %d; each may appear once per batch", firstIndex[*externalID])
	default:
		firstIndex[*externalID] = i
	}

	var c store.Contact
	in, err := decodeContactInput(raw)
	if err == nil {
		c, err = normalizeContact(in, rules, phonebookID)
	}
	var verr *validation.Error
	if errors.As(err, &verr) {
		v.Fields = append(verr.Fields, v.Fields...)
	}
	return c, externalID, v.Err()
}

// externalIDOf returns the trimmed external_id of a batch item, or nil
// when it has none or it is not a string.
func externalIDOf(raw json.RawMessage) *string {
	var probe struct {
		ExternalID any `json:"external_id"`
	}
	json.Unmarshal(raw, &probe)
	id, ok := probe.ExternalID.(string)
	id = strings.TrimSpace(id)
	if !ok || id == "" {
		return nil
	}
	return &id
}

func hasIndex(m map[string]int, key string) bool {
	_, ok := m[key]
	return ok
}

func (r *BatchReport) fail(i int, err error) {
	result := &r.Results[i]
	result.Status = StatusError
	result.Error = &BatchError{Title: "Validation failed"}
	var verr *validation.Error
	if errors.As(err, &verr) {
		result.Error.InvalidParams = verr.Fields
	} else {
		result.Error.InvalidParams = []validation.FieldError{{Field: "contact", Reason: fmt.Sprint(err)}}
	}
	r.Failed++
}

func (r *BatchReport) succeed(i int, written store.UpsertResult) {
	result := &r.Results[i]
	result.ID = written.ID
	result.Status = string(written.Status)
	switch written.Status {
	case store.UpsertCreated:
		r.Created++
	case store.UpsertUpdated:
		r.Updated++
	case store.UpsertUnchanged:
		r.Unchanged++
	}
}
