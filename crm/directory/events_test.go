package directory

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/store"
)

// recordingEmitter records the events a Service emits and, when fail is
// set, fails each one.
type recordingEmitter struct {
	mu     sync.Mutex
	events []emitted
	fail   error
}

type emitted struct {
	workspaceID string
	typ         webhooks.EventType
	// id is the id of the contact or phonebook the event carries.
	id string
	// inTx is true when the event was emitted inside a transaction.
	inTx bool
}

func (e *recordingEmitter) Emit(_ context.Context, q *store.Queries, workspaceID string, t webhooks.EventType, object any) error {
	if load, ok := object.(webhooks.Load); ok {
		var err error
		if object, err = load(); err != nil {
			return err
		}
	}
	id := ""
	switch o := object.(type) {
	case store.Contact:
		id = o.ID
	case store.Phonebook:
		id = o.ID
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, emitted{workspaceID: workspaceID, typ: t, id: id, inTx: q.Tx() != nil})
	return e.fail
}

func (e *recordingEmitter) EmitBatch(ctx context.Context, q *store.Queries, workspaceID string, t webhooks.EventType, load webhooks.LoadBatch) error {
	objects, err := load()
	if err != nil {
		return err
	}
	for _, object := range objects {
		if err := e.Emit(ctx, q, workspaceID, t, object); err != nil {
			return err
		}
	}
	return nil
}

func (e *recordingEmitter) list() []emitted {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]emitted(nil), e.events...)
}

func TestContactEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		events := &recordingEmitter{}
		svc := New(st, WithEvents(events))
		ctx := context.Background()

		created, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann"})
		require.NoError(t, err)
		_, err = svc.PatchContact(ctx, w.ID, created.ID, []byte(`{"first_name":"Ann"}`))
		require.NoError(t, err)
		_, err = svc.PatchContact(ctx, w.ID, created.ID, []byte(`{"company":"Acme"}`))
		require.NoError(t, err)
		require.NoError(t, svc.DeleteContact(ctx, w.ID, created.ID))

		require.Equal(t, []emitted{
			{workspaceID: w.ID, typ: webhooks.ContactCreated, id: created.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactUpdated, id: created.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactDeleted, id: created.ID, inTx: true},
		}, events.list(), "a patch that changes nothing emits nothing")
	})
}

func TestPhonebookEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, _ := setup(t, st)
		events := &recordingEmitter{}
		svc := New(st, WithEvents(events))
		ctx := context.Background()
		name := "Partners"

		pb, err := svc.CreatePhonebook(ctx, w.ID, PhonebookInput{Name: "Suppliers"})
		require.NoError(t, err)
		_, err = svc.UpdatePhonebook(ctx, w.ID, pb.ID, PhonebookPatch{Name: &name})
		require.NoError(t, err)
		require.NoError(t, svc.DeletePhonebook(ctx, w.ID, pb.ID, false))

		require.Equal(t, []emitted{
			{workspaceID: w.ID, typ: webhooks.PhonebookCreated, id: pb.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.PhonebookUpdated, id: pb.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.PhonebookDeleted, id: pb.ID, inTx: true},
		}, events.list())
	})
}

func TestBatchEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		events := &recordingEmitter{}
		svc := New(st, WithEvents(events))
		ctx := context.Background()
		first := []json.RawMessage{
			json.RawMessage(`{"external_id":"a","first_name":"Ann"}`),
			json.RawMessage(`{"external_id":"b","first_name":"Bob"}`),
		}
		second := []json.RawMessage{
			json.RawMessage(`{"external_id":"a","first_name":"Ann"}`),
			json.RawMessage(`{"external_id":"b","first_name":"Robert"}`),
			json.RawMessage(`{"first_name":"no external id"}`),
		}

		created, err := svc.UpsertBatch(ctx, w.ID, pb.ID, first)
		require.NoError(t, err)
		_, err = svc.UpsertBatch(ctx, w.ID, pb.ID, second)
		require.NoError(t, err)

		ann, bob := created.Results[0].ID, created.Results[1].ID
		require.Equal(t, []emitted{
			{workspaceID: w.ID, typ: webhooks.ContactCreated, id: ann, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactCreated, id: bob, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactUpdated, id: bob, inTx: true},
		}, events.list(), "unchanged and invalid items emit nothing")
	})
}

func TestFailedEventRollsBackChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		failure := errors.New("event store unavailable")
		svc := New(st, WithEvents(&recordingEmitter{fail: failure}))
		ctx := context.Background()

		_, createErr := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann"})
		deleteErr := svc.DeletePhonebook(ctx, w.ID, pb.ID, true)

		require.ErrorIs(t, createErr, failure)
		require.ErrorIs(t, deleteErr, failure)
		contacts, _, err := st.ListContacts(ctx, store.ContactQuery{WorkspaceID: w.ID, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, contacts, "the contact was not created without its event")
		_, err = st.GetPhonebook(ctx, w.ID, pb.ID)
		require.NoError(t, err, "the phonebook was not deleted without its event")
	})
}

func TestImportEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		events := &recordingEmitter{}
		svc := New(st, WithEvents(events))
		ctx := context.Background()

		_, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,first_name\na,Ann\nb,Bob\n"))
		require.NoError(t, err)
		created := events.list()
		_, err = svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,first_name\na,Ann\nb,Robert\n,bad,row\n"))
		require.NoError(t, err)

		ann, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "a")
		require.NoError(t, err)
		bob, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "b")
		require.NoError(t, err)
		require.Equal(t, []emitted{
			{workspaceID: w.ID, typ: webhooks.ContactCreated, id: ann.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactCreated, id: bob.ID, inTx: true},
		}, created)
		require.Equal(t, emitted{workspaceID: w.ID, typ: webhooks.ContactUpdated, id: bob.ID, inTx: true}, events.list()[2])
		require.Len(t, events.list(), 3, "unchanged and failed rows emit nothing")
	})
}

func TestForcedPhonebookDeleteEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		events := &recordingEmitter{}
		svc := New(st, WithEvents(events))
		ctx := context.Background()
		ann, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann"})
		require.NoError(t, err)
		bob, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Bob"})
		require.NoError(t, err)

		require.NoError(t, svc.DeletePhonebook(ctx, w.ID, pb.ID, true))

		deleted := events.list()[2:]
		require.ElementsMatch(t, []emitted{
			{workspaceID: w.ID, typ: webhooks.ContactDeleted, id: ann.ID, inTx: true},
			{workspaceID: w.ID, typ: webhooks.ContactDeleted, id: bob.ID, inTx: true},
		}, deleted[:2])
		require.Equal(t, emitted{workspaceID: w.ID, typ: webhooks.PhonebookDeleted, id: pb.ID, inTx: true}, deleted[2])
	})
}

func TestFailedImportEventRollsBackChunk(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		_, w, pb := setup(t, st)
		failure := errors.New("event store unavailable")
		svc := New(st, WithEvents(&recordingEmitter{fail: failure}))
		ctx := context.Background()

		_, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader("external_id,first_name\na,Ann\n"))

		require.ErrorIs(t, err, failure)
		_, err = st.GetContactByExternalID(ctx, w.ID, pb.ID, "a")
		require.ErrorIs(t, err, store.ErrNotFound, "the row was not imported without its event")
	})
}
