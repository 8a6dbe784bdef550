package store_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestUpsertContactsStatuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		keep := newContact(d, "crm-keep", "Keep", "+4930111")
		keep.ExtraData = json.RawMessage(`{"b":1,"a":[1,2]}`)
		change := newContact(d, "crm-change", "Change", "+4930222")
		first, err := s.UpsertContacts(d.ctx, d.ws, d.pb, []store.Contact{keep, change})
		require.NoError(t, err)
		require.Equal(t, []store.UpsertStatus{store.UpsertCreated, store.UpsertCreated}, statuses(first))
		before, err := s.GetContact(d.ctx, d.ws, first[0].ID)
		require.NoError(t, err)
		changeBefore, err := s.GetContact(d.ctx, d.ws, first[1].ID)
		require.NoError(t, err)

		keep.ExtraData = json.RawMessage(`{"a":[1,2],"b":1}`)
		change.Company = "New Company"
		change.PhoneNumbers.V = []store.PhoneNumber{{Label: "main", Number: "+4930333", E164: "+4930333"}}
		added := newContact(d, "crm-new", "New", "+4930444")
		second, err := s.UpsertContacts(d.ctx, d.ws, d.pb, []store.Contact{added, change, keep})
		require.NoError(t, err)
		require.Equal(t, []store.UpsertStatus{store.UpsertCreated, store.UpsertUpdated, store.UpsertUnchanged}, statuses(second))
		require.Equal(t, first[1].ID, second[1].ID)
		require.Equal(t, first[0].ID, second[2].ID)

		after, err := s.GetContact(d.ctx, d.ws, first[0].ID)
		require.NoError(t, err)
		require.Equal(t, before.UpdatedAt.UnixMilli(), after.UpdatedAt.UnixMilli(), "unchanged keeps updated_at")
		changed, err := s.GetContact(d.ctx, d.ws, first[1].ID)
		require.NoError(t, err)
		require.Equal(t, "New Company", changed.Company)
		require.True(t, changed.UpdatedAt.After(changeBefore.UpdatedAt.Time), "updated moves updated_at forward")
		require.Equal(t, changeBefore.CreatedAt.UnixMilli(), changed.CreatedAt.UnixMilli())

		oldNumber, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930222", nil)
		require.NoError(t, err)
		require.Empty(t, oldNumber)
		newNumber, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930333", nil)
		require.NoError(t, err)
		require.Equal(t, []string{first[1].ID}, contactIDs(newNumber))
		addedByEmail, err := s.FindContactsByEmail(d.ctx, d.ws, "new@example.com", nil)
		require.NoError(t, err)
		require.Equal(t, []string{second[0].ID}, contactIDs(addedByEmail))
		search, _, err := s.ListContacts(d.ctx, store.ContactQuery{WorkspaceID: d.ws, Search: "new company", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []string{first[1].ID}, contactIDs(search), "search_text follows the update")

		again, err := s.UpsertContacts(d.ctx, d.ws, d.pb, []store.Contact{added, change, keep})
		require.NoError(t, err)
		require.Equal(t, []store.UpsertStatus{store.UpsertUnchanged, store.UpsertUnchanged, store.UpsertUnchanged}, statuses(again),
			"the same batch twice changes nothing")
	})
}

func TestUpsertContactsRejectsBadItems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		tests := []struct {
			name  string
			items []store.Contact
			want  string
		}{
			{name: "missing external_id", items: []store.Contact{newContact(d, "", "Ada", "+4930111")}, want: "item 0 has no external_id"},
			{
				name:  "repeated external_id",
				items: []store.Contact{newContact(d, "crm-1", "Ada", "+4930111"), newContact(d, "crm-1", "Bob", "+4930222")},
				want:  `items 0 and 1 have the same external_id "crm-1"`,
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.UpsertContacts(d.ctx, d.ws, d.pb, tt.items)
				require.ErrorContains(t, err, tt.want)
			})
		}
		n, err := s.CountContacts(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Zero(t, n, "a rejected batch writes nothing")
	})
}

func TestUpsertContactsThousandItems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		items := make([]store.Contact, 1000)
		for i := range items {
			items[i] = newContact(d, fmt.Sprintf("crm-%04d", i), fmt.Sprintf("P%d", i), fmt.Sprintf("+4930%07d", i))
		}
		first, err := s.UpsertContacts(d.ctx, d.ws, d.pb, items)
		require.NoError(t, err)
		require.Len(t, first, 1000)

		for i := 0; i < 1000; i += 2 {
			items[i].LastName = "Changed"
		}
		second, err := s.UpsertContacts(d.ctx, d.ws, d.pb, items)
		require.NoError(t, err)
		for i, r := range second {
			require.Equal(t, first[i].ID, r.ID)
			if i%2 == 0 {
				require.Equal(t, store.UpsertUpdated, r.Status, i)
			} else {
				require.Equal(t, store.UpsertUnchanged, r.Status, i)
			}
		}
		n, err := s.CountContacts(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, 1000, n)
	})
}

func TestImportContactsCountsAndLookups(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		row := func(i int, lastName string) store.Contact {
			c := newContact(d, fmt.Sprintf("crm-%05d", i), fmt.Sprintf("Person%d", i), fmt.Sprintf("+4930%07d", i))
			c.LastName = lastName
			return c
		}

		// 4,000 contacts exist before the import.
		existing := make([]store.Contact, 4000)
		for i := range existing {
			existing[i] = row(i, "Before")
		}
		counts, err := s.ImportContacts(d.ctx, d.ws, d.pb, existing)
		require.NoError(t, err)
		require.Equal(t, store.ImportCounts{Created: 4000}, counts)

		// 10,000 rows: 0-1,999 as they are, 2,000-3,999 changed,
		// 4,000-9,899 new, and 100 rows without external_id.
		rows := make([]store.Contact, 10000)
		for i := range rows {
			switch {
			case i < 2000:
				rows[i] = row(i, "Before")
			case i < 9900:
				rows[i] = row(i, "After")
			default:
				rows[i] = row(i, "NoID")
				rows[i].ExternalID = nil
			}
		}
		rows[2500].PhoneNumbers.V = []store.PhoneNumber{{Label: "mobile", Number: "0170 99", E164: "+4917099"}}

		var total store.ImportCounts
		for start := 0; start < len(rows); start += store.ImportChunkSize {
			chunk, err := s.ImportContacts(d.ctx, d.ws, d.pb, rows[start:min(start+store.ImportChunkSize, len(rows))])
			require.NoError(t, err)
			total.Created += chunk.Created
			total.Updated += chunk.Updated
			total.Unchanged += chunk.Unchanged
		}
		require.Equal(t, store.ImportCounts{Created: 6000, Updated: 2000, Unchanged: 2000}, total)

		n, err := s.CountContacts(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, 10000, n)

		lookups := []struct {
			name     string
			phone    string
			lastName string
		}{
			{name: "unchanged", phone: "+49300000010", lastName: "Before"},
			{name: "updated", phone: "+49300003000", lastName: "After"},
			{name: "created", phone: "+49300008000", lastName: "After"},
			{name: "without external_id", phone: "+49300009950", lastName: "NoID"},
			{name: "new number", phone: "+4917099", lastName: "After"},
		}
		for _, l := range lookups {
			t.Run(l.name, func(t *testing.T) {
				found, err := s.FindContactsByPhone(d.ctx, d.ws, l.phone, []string{d.pb})
				require.NoError(t, err)
				require.Len(t, found, 1)
				require.Equal(t, l.lastName, found[0].LastName)
			})
		}
		replacedNumber, err := s.FindContactsByPhone(d.ctx, d.ws, "+49300002500", nil)
		require.NoError(t, err)
		require.Empty(t, replacedNumber, "the replaced number finds nothing")
		byEmail, err := s.FindContactsByEmail(d.ctx, d.ws, "person3000@example.com", nil)
		require.NoError(t, err)
		require.Len(t, byEmail, 1)
		require.Equal(t, "After", byEmail[0].LastName)
		searched, _, err := s.ListContacts(d.ctx, store.ContactQuery{WorkspaceID: d.ws, Search: "+49300009950", Limit: 10})
		require.NoError(t, err)
		require.Len(t, searched, 1)
	})
}

func TestImportContactsTwoChunksInOneTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		err := s.InTx(d.ctx, func(q *store.Queries) error {
			for _, ext := range []string{"crm-1", "crm-2"} {
				counts, err := q.ImportContacts(d.ctx, d.ws, d.pb, []store.Contact{newContact(d, ext, ext, "+4930111")})
				if err != nil {
					return err
				}
				require.Equal(t, store.ImportCounts{Created: 1}, counts)
			}
			return nil
		})
		require.NoError(t, err)

		found, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", nil)
		require.NoError(t, err)
		require.Len(t, found, 2)
	})
}

func statuses(results []store.UpsertResult) []store.UpsertStatus {
	out := make([]store.UpsertStatus, len(results))
	for i, r := range results {
		out[i] = r.Status
	}
	return out
}

func TestImportContactsOutsideTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		_, err := s.Queries.ImportContacts(d.ctx, d.ws, d.pb, []store.Contact{newContact(d, "crm-1", "Ada", "+4930111")})
		if s.Dialect() == store.Postgres {
			require.ErrorContains(t, err, "COPY needs a transaction")
			return
		}
		require.NoError(t, err, "SQLite writes without COPY, so no transaction is required")
	})
}
