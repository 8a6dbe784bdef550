package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// directory is a workspace with one phonebook, and a second workspace
// with its own phonebook to check isolation against.
type directory struct {
	ctx         context.Context
	s           *store.Store
	ws          string
	pb          string
	otherWS     string
	otherWSBook string
}

func setupDirectory(t testing.TB, s *store.Store) directory {
	t.Helper()
	ctx := context.Background()
	d := directory{ctx: ctx, s: s}

	w := store.Workspace{Name: "Acme"}
	require.NoError(t, s.CreateWorkspace(ctx, &w))
	d.ws = w.ID
	pb := store.Phonebook{WorkspaceID: w.ID, Name: "Customers", Source: "api"}
	require.NoError(t, s.CreatePhonebook(ctx, &pb))
	d.pb = pb.ID

	other := store.Workspace{Name: "Other"}
	require.NoError(t, s.CreateWorkspace(ctx, &other))
	d.otherWS = other.ID
	otherPB := store.Phonebook{WorkspaceID: other.ID, Name: "Other customers"}
	require.NoError(t, s.CreatePhonebook(ctx, &otherPB))
	d.otherWSBook = otherPB.ID
	return d
}

func TestPhonebookCreateGetUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)

		got, err := s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, "Customers", got.Name)
		require.Equal(t, "api", got.Source)
		require.Equal(t, got.CreatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())

		got.Name = "Clients"
		got.Description = "From the CRM"
		got.Source = "hubspot"
		require.NoError(t, s.UpdatePhonebook(d.ctx, &got))
		again, err := s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, "Clients", again.Name)
		require.Equal(t, "From the CRM", again.Description)
		require.Equal(t, "hubspot", again.Source)
		require.Equal(t, got.CreatedAt.UnixMilli(), again.CreatedAt.UnixMilli())
	})
}

func TestPhonebookOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)

		_, err := s.GetPhonebook(d.ctx, d.otherWS, d.pb)
		require.ErrorIs(t, err, store.ErrNotFound)

		p := store.Phonebook{ID: d.pb, WorkspaceID: d.otherWS, Name: "Taken over"}
		require.ErrorIs(t, s.UpdatePhonebook(d.ctx, &p), store.ErrNotFound)
		require.ErrorIs(t, s.DeletePhonebook(d.ctx, d.otherWS, d.pb, true), store.ErrNotFound)

		got, err := s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, "Customers", got.Name, "the other workspace changed nothing")

		list, _, err := s.ListPhonebooks(d.ctx, d.otherWS, nil, 10)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, d.otherWSBook, list[0].ID)
	})
}

func TestListPhonebooksPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		want := []string{d.pb}
		for _, name := range []string{"b", "c", "d", "e"} {
			p := store.Phonebook{WorkspaceID: d.ws, Name: name}
			require.NoError(t, s.CreatePhonebook(d.ctx, &p))
			want = append(want, p.ID)
		}

		var got []string
		var after *store.Keyset
		pages := 0
		for {
			page, hasMore, err := s.ListPhonebooks(d.ctx, d.ws, after, 2)
			require.NoError(t, err)
			pages++
			for _, p := range page {
				got = append(got, p.ID)
			}
			if !hasMore {
				break
			}
			last := page[len(page)-1]
			after = &store.Keyset{At: last.CreatedAt, ID: last.ID}
		}
		require.Equal(t, want, got)
		require.Equal(t, 3, pages)

		_, _, err := s.ListPhonebooks(d.ctx, d.ws, nil, 0)
		require.Error(t, err)
	})
}

func TestDeletePhonebookWithContactsConflicts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "ext-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &c))

		err := s.DeletePhonebook(d.ctx, d.ws, d.pb, false)
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), "1 contacts")
		require.Contains(t, err.Error(), "force=true")

		_, err = s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.NoError(t, err, "the phonebook is kept")
		_, err = s.GetContact(d.ctx, d.ws, c.ID)
		require.NoError(t, err, "the contact is kept")
		tombstones, _, err := s.ListTombstones(d.ctx, d.ws, store.UnixMilli{}, nil, 10)
		require.NoError(t, err)
		require.Empty(t, tombstones)
	})
}

func TestDeletePhonebookForcedWritesTombstones(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		a := newContact(d, "ext-a", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &a))
		b := newContact(d, "", "Bob", "+4930222")
		require.NoError(t, s.CreateContact(d.ctx, &b))

		require.NoError(t, s.DeletePhonebook(d.ctx, d.ws, d.pb, true))

		_, err := s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetContact(d.ctx, d.ws, a.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		found, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", nil)
		require.NoError(t, err)
		require.Empty(t, found, "lookup rows go with the contacts")

		tombstones, hasMore, err := s.ListTombstones(d.ctx, d.ws, store.UnixMilli{}, nil, 10)
		require.NoError(t, err)
		require.False(t, hasMore)
		byID := map[string]store.Tombstone{}
		for _, ts := range tombstones {
			byID[ts.ContactID] = ts
		}
		require.Len(t, byID, 2)
		require.Equal(t, d.pb, byID[a.ID].PhonebookID)
		require.Equal(t, "ext-a", *byID[a.ID].ExternalID)
		require.Nil(t, byID[b.ID].ExternalID)
	})
}

func TestDeleteEmptyPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)

		require.NoError(t, s.DeletePhonebook(d.ctx, d.ws, d.pb, false))

		_, err := s.GetPhonebook(d.ctx, d.ws, d.pb)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.DeletePhonebook(d.ctx, d.ws, d.pb, false), store.ErrNotFound)
	})
}
