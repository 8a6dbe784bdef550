package store_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// newContact returns a contact of d's phonebook with one number; an empty
// externalID leaves ExternalID nil.
func newContact(d directory, externalID, firstName, e164 string) store.Contact {
	c := store.Contact{
		WorkspaceID:  d.ws,
		PhonebookID:  d.pb,
		FirstName:    firstName,
		DisplayName:  firstName,
		Emails:       store.JSONColumn[[]string]{V: []string{firstName + "@example.com"}},
		PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: []store.PhoneNumber{{Label: "main", Number: e164, E164: e164}}},
	}
	if externalID != "" {
		c.ExternalID = &externalID
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestContactCreateGet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := store.Contact{
			WorkspaceID: d.ws,
			PhonebookID: d.pb,
			ExternalID:  ptr("crm-1"),
			FirstName:   "Ada",
			LastName:    "Lovelace",
			DisplayName: "Ada Lovelace",
			Company:     "Analytical Engines",
			Emails:      store.JSONColumn[[]string]{V: []string{"Ada@Example.com"}},
			PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: []store.PhoneNumber{
				{Label: "work", Number: "030 1234567", E164: "+49301234567"},
			}},
			ExtraData: json.RawMessage(`{"tier": "gold", "account": {"z": 1, "a": 2}}`),
		}
		require.NoError(t, s.CreateContact(d.ctx, &c))
		require.Regexp(t, `^ct_[0-9a-f]{32}$`, c.ID)
		require.False(t, c.CreatedAt.IsZero())

		got, err := s.GetContact(d.ctx, d.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "crm-1", *got.ExternalID)
		require.Equal(t, "Ada Lovelace", got.DisplayName)
		require.Equal(t, "Analytical Engines", got.Company)
		require.Equal(t, []string{"Ada@Example.com"}, got.Emails.V)
		require.Equal(t, []store.PhoneNumber{{Label: "work", Number: "030 1234567", E164: "+49301234567"}}, got.PhoneNumbers.V)
		require.Equal(t, `{"account":{"a":2,"z":1},"tier":"gold"}`, string(got.ExtraData))
		require.Equal(t, c.CreatedAt.UnixMilli(), got.CreatedAt.UnixMilli())
		require.Equal(t, c.CreatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())

		byExt, err := s.GetContactByExternalID(d.ctx, d.ws, d.pb, "crm-1")
		require.NoError(t, err)
		require.Equal(t, c.ID, byExt.ID)
	})
}

func TestContactEmptyFieldsStoredAsEmptyJSON(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := store.Contact{WorkspaceID: d.ws, PhonebookID: d.pb, DisplayName: "Nobody", ExternalID: ptr("")}
		require.NoError(t, s.CreateContact(d.ctx, &c))
		require.Nil(t, c.ExternalID, "an empty external_id is stored as none")
		require.Equal(t, []string{}, c.Emails.V)
		require.Equal(t, []store.PhoneNumber{}, c.PhoneNumbers.V)
		require.Equal(t, `{}`, string(c.ExtraData))

		query := `SELECT emails, phone_numbers, extra_data, external_id IS NULL FROM contacts WHERE id = ?`
		if s.Dialect() == store.Postgres {
			query = `SELECT emails, phone_numbers, extra_data, external_id IS NULL FROM contacts WHERE id = $1`
		}
		var emails, phones, extra string
		var noExternalID bool
		require.NoError(t, s.DB().QueryRowContext(d.ctx, query, c.ID).Scan(&emails, &phones, &extra, &noExternalID))
		require.Equal(t, "[]", emails)
		require.Equal(t, "[]", phones)
		require.Equal(t, "{}", extra)
		require.True(t, noExternalID)
	})
}

func TestContactInvalidExtraDataRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		for _, raw := range []string{`[1]`, `"text"`, `{"a":1} {"b":2}`, `{"a":`} {
			c := store.Contact{WorkspaceID: d.ws, PhonebookID: d.pb, ExtraData: json.RawMessage(raw)}
			err := s.CreateContact(d.ctx, &c)
			require.ErrorContains(t, err, "extra_data", raw)
		}
		n, err := s.CountContacts(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestContactDuplicateExternalIDConflicts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		first := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &first))

		second := newContact(d, "crm-1", "Bob", "+4930222")
		err := s.CreateContact(d.ctx, &second)
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), `"crm-1"`)

		third := newContact(d, "crm-2", "Cy", "+4930333")
		require.NoError(t, s.CreateContact(d.ctx, &third))
		third.ExternalID = ptr("crm-1")
		_, err = s.UpdateContact(d.ctx, &third)
		require.ErrorIs(t, err, store.ErrConflict)

		found, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930222", nil)
		require.NoError(t, err)
		require.Empty(t, found, "the rejected contact left no lookup rows")
		n, err := s.CountContacts(d.ctx, d.ws, d.pb)
		require.NoError(t, err)
		require.Equal(t, 2, n)
	})
}

func TestContactSameExternalIDInOtherPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		second := store.Phonebook{WorkspaceID: d.ws, Name: "Suppliers"}
		require.NoError(t, s.CreatePhonebook(d.ctx, &second))

		a := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &a))
		b := newContact(d, "crm-1", "Bob", "+4930222")
		b.PhonebookID = second.ID
		require.NoError(t, s.CreateContact(d.ctx, &b))
	})
}

func TestContactOtherWorkspaceNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &c))

		_, err := s.GetContact(d.ctx, d.otherWS, c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetContactByExternalID(d.ctx, d.otherWS, d.pb, "crm-1")
		require.ErrorIs(t, err, store.ErrNotFound)

		hijack := c
		hijack.WorkspaceID = d.otherWS
		hijack.FirstName = "Mallory"
		_, err = s.UpdateContact(d.ctx, &hijack)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.DeleteContact(d.ctx, d.otherWS, c.ID), store.ErrNotFound)

		intoForeignBook := newContact(d, "crm-2", "Eve", "+4930999")
		intoForeignBook.PhonebookID = d.otherWSBook
		require.ErrorIs(t, s.CreateContact(d.ctx, &intoForeignBook), store.ErrNotFound)

		moved := c
		moved.PhonebookID = d.otherWSBook
		_, err = s.UpdateContact(d.ctx, &moved)
		require.ErrorIs(t, err, store.ErrNotFound)

		_, err = s.UpsertContacts(d.ctx, d.otherWS, d.pb, []store.Contact{newContact(d, "crm-3", "Eve", "+4930999")})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.ImportContacts(d.ctx, d.otherWS, d.pb, []store.Contact{newContact(d, "crm-3", "Eve", "+4930999")})
		require.ErrorIs(t, err, store.ErrNotFound)

		found, err := s.FindContactsByPhone(d.ctx, d.otherWS, "+4930111", nil)
		require.NoError(t, err)
		require.Empty(t, found)
		found, err = s.FindContactsByEmail(d.ctx, d.otherWS, "ada@example.com", nil)
		require.NoError(t, err)
		require.Empty(t, found)
		list, _, err := s.ListContacts(d.ctx, store.ContactQuery{WorkspaceID: d.otherWS, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, list)

		got, err := s.GetContact(d.ctx, d.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Ada", got.FirstName, "the other workspace changed nothing")
		require.Equal(t, d.pb, got.PhonebookID)
	})
}

func TestUpdateContactReplacesFields(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "crm-1", "Ada", "+4930111")
		c.ExtraData = json.RawMessage(`{"tier":"gold"}`)
		require.NoError(t, s.CreateContact(d.ctx, &c))
		created := c.UpdatedAt

		c.FirstName = "Augusta"
		c.Emails.V = []string{"augusta@example.com"}
		c.PhoneNumbers.V = []store.PhoneNumber{{Label: "mobile", Number: "0170 222", E164: "+49170222"}}
		c.ExtraData = nil
		changed, err := s.UpdateContact(d.ctx, &c)
		require.NoError(t, err)
		require.True(t, changed)
		require.True(t, c.UpdatedAt.After(created.Time), "updated_at moves forward")
		require.Equal(t, created.UnixMilli(), c.CreatedAt.UnixMilli())

		got, err := s.GetContact(d.ctx, d.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Augusta", got.FirstName)
		require.Equal(t, `{}`, string(got.ExtraData))
		require.Equal(t, c.UpdatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())

		oldPhone, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", nil)
		require.NoError(t, err)
		require.Empty(t, oldPhone, "the old number no longer finds the contact")
		oldEmail, err := s.FindContactsByEmail(d.ctx, d.ws, "ada@example.com", nil)
		require.NoError(t, err)
		require.Empty(t, oldEmail)
		newPhone, err := s.FindContactsByPhone(d.ctx, d.ws, "+49170222", nil)
		require.NoError(t, err)
		require.Len(t, newPhone, 1)
		require.Equal(t, c.ID, newPhone[0].ID)
	})
}

func TestUpdateContactUnchangedKeepsUpdatedAt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "crm-1", "Ada", "+4930111")
		c.ExtraData = json.RawMessage(`{"b":1,"a":2}`)
		require.NoError(t, s.CreateContact(d.ctx, &c))

		same := c
		same.ExtraData = json.RawMessage(`{ "a": 2, "b": 1 }`)
		same.UpdatedAt = store.UnixMilli{}
		changed, err := s.UpdateContact(d.ctx, &same)
		require.NoError(t, err)
		require.False(t, changed)
		require.Equal(t, c.UpdatedAt.UnixMilli(), same.UpdatedAt.UnixMilli())

		got, err := s.GetContact(d.ctx, d.ws, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.UpdatedAt.UnixMilli(), got.UpdatedAt.UnixMilli())
	})
}

func TestUpdateContactMovesPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		second := store.Phonebook{WorkspaceID: d.ws, Name: "Suppliers"}
		require.NoError(t, s.CreatePhonebook(d.ctx, &second))
		c := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &c))

		c.PhonebookID = second.ID
		changed, err := s.UpdateContact(d.ctx, &c)
		require.NoError(t, err)
		require.True(t, changed)

		inFirst, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", []string{d.pb})
		require.NoError(t, err)
		require.Empty(t, inFirst)
		inSecond, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", []string{second.ID})
		require.NoError(t, err)
		require.Len(t, inSecond, 1)
		byEmail, err := s.FindContactsByEmail(d.ctx, d.ws, "ada@example.com", []string{second.ID})
		require.NoError(t, err)
		require.Len(t, byEmail, 1)
		byExt, err := s.GetContactByExternalID(d.ctx, d.ws, second.ID, "crm-1")
		require.NoError(t, err)
		require.Equal(t, c.ID, byExt.ID)
	})
}

func TestUpdateContactMissing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "crm-1", "Ada", "+4930111")
		c.ID = "ct_missing"
		_, err := s.UpdateContact(d.ctx, &c)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestFindContactsByPhoneAndEmail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		second := store.Phonebook{WorkspaceID: d.ws, Name: "Suppliers"}
		require.NoError(t, s.CreatePhonebook(d.ctx, &second))

		var ids []string
		for i, pb := range []string{d.pb, second.ID, d.pb} {
			c := newContact(d, fmt.Sprintf("crm-%d", i), "Shared", "+4930555")
			c.PhonebookID = pb
			// The same number twice under two labels gives one lookup row.
			c.PhoneNumbers.V = append(c.PhoneNumbers.V, store.PhoneNumber{Label: "fax", Number: "030 555", E164: "+4930555"})
			c.Emails.V = []string{"Shared@Example.com", "shared@example.com"}
			require.NoError(t, s.CreateContact(d.ctx, &c))
			ids = append(ids, c.ID)
		}
		other := newContact(d, "crm-9", "Other", "+4930999")
		require.NoError(t, s.CreateContact(d.ctx, &other))

		tests := []struct {
			name       string
			phonebooks []string
			want       []string
		}{
			{name: "all phonebooks", phonebooks: nil, want: ids},
			{name: "first phonebook", phonebooks: []string{d.pb}, want: []string{ids[0], ids[2]}},
			{name: "second phonebook", phonebooks: []string{second.ID}, want: []string{ids[1]}},
			{name: "both listed", phonebooks: []string{second.ID, d.pb}, want: ids},
			{name: "empty filter", phonebooks: []string{}, want: []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				byPhone, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930555", tt.phonebooks)
				require.NoError(t, err)
				require.Equal(t, tt.want, contactIDs(byPhone))

				byEmail, err := s.FindContactsByEmail(d.ctx, d.ws, "shared@example.com", tt.phonebooks)
				require.NoError(t, err)
				require.Equal(t, tt.want, contactIDs(byEmail))
			})
		}

		mixedCase, err := s.FindContactsByEmail(d.ctx, d.ws, "SHARED@example.COM", nil)
		require.NoError(t, err)
		require.Equal(t, ids, contactIDs(mixedCase))
	})
}

func TestFindContactsByPhoneOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		// One import gives every contact the same created_at, so the id
		// decides the order.
		var items []store.Contact
		for i := range 20 {
			items = append(items, newContact(d, fmt.Sprintf("crm-%02d", i), "Same", "+4930777"))
		}
		_, err := s.ImportContacts(d.ctx, d.ws, d.pb, items)
		require.NoError(t, err)
		later := newContact(d, "crm-later", "Later", "+4930777")
		require.NoError(t, s.CreateContact(d.ctx, &later))

		found, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930777", nil)
		require.NoError(t, err)
		require.Len(t, found, 21)
		for i := 1; i < 20; i++ {
			require.Equal(t, found[0].CreatedAt.UnixMilli(), found[i].CreatedAt.UnixMilli())
			require.Less(t, found[i-1].ID, found[i].ID)
		}
		require.Equal(t, later.ID, found[20].ID, "the contact created last comes last")

		again, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930777", nil)
		require.NoError(t, err)
		require.Equal(t, contactIDs(found), contactIDs(again))
	})
}

func TestDeleteContactWritesTombstone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		c := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &c))
		keep := newContact(d, "crm-2", "Bob", "+4930222")
		require.NoError(t, s.CreateContact(d.ctx, &keep))

		require.NoError(t, s.DeleteContact(d.ctx, d.ws, c.ID))

		_, err := s.GetContact(d.ctx, d.ws, c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		found, err := s.FindContactsByPhone(d.ctx, d.ws, "+4930111", nil)
		require.NoError(t, err)
		require.Empty(t, found)
		require.ErrorIs(t, s.DeleteContact(d.ctx, d.ws, c.ID), store.ErrNotFound)

		tombstones, hasMore, err := s.ListTombstones(d.ctx, d.ws, c.CreatedAt, nil, 10)
		require.NoError(t, err)
		require.False(t, hasMore)
		require.Len(t, tombstones, 1)
		require.Equal(t, c.ID, tombstones[0].ContactID)
		require.Equal(t, d.pb, tombstones[0].PhonebookID)
		require.Equal(t, "crm-1", *tombstones[0].ExternalID)
		require.False(t, tombstones[0].DeletedAt.Before(c.CreatedAt.Time))

		later, _, err := s.ListTombstones(d.ctx, d.ws, store.Millis(tombstones[0].DeletedAt.Add(1e6)), nil, 10)
		require.NoError(t, err)
		require.Empty(t, later, "since is a lower bound")
		other, _, err := s.ListTombstones(d.ctx, d.otherWS, store.UnixMilli{}, nil, 10)
		require.NoError(t, err)
		require.Empty(t, other)

		// A new contact with the same external_id gets a new id.
		again := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &again))
		require.NotEqual(t, c.ID, again.ID)
	})
}

func TestListTombstonesPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		var items []store.Contact
		for i := range 25 {
			items = append(items, newContact(d, fmt.Sprintf("crm-%02d", i), "Gone", "+4930111"))
		}
		_, err := s.ImportContacts(d.ctx, d.ws, d.pb, items)
		require.NoError(t, err)
		require.NoError(t, s.DeletePhonebook(d.ctx, d.ws, d.pb, true))

		seen := map[string]bool{}
		var after *store.Keyset
		for {
			page, hasMore, err := s.ListTombstones(d.ctx, d.ws, store.UnixMilli{}, after, 10)
			require.NoError(t, err)
			for _, ts := range page {
				require.False(t, seen[ts.ContactID], "tombstone %s listed twice", ts.ContactID)
				seen[ts.ContactID] = true
			}
			if !hasMore {
				break
			}
			last := page[len(page)-1]
			after = &store.Keyset{At: last.DeletedAt, ID: last.ContactID}
		}
		require.Len(t, seen, 25)
	})
}

func contactIDs(contacts []store.Contact) []string {
	ids := make([]string, 0, len(contacts))
	for _, c := range contacts {
		ids = append(ids, c.ID)
	}
	return ids
}

func BenchmarkFindContactsByPhone(b *testing.B) {
	for _, dialect := range testdb.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			s := testdb.Open(b, dialect)
			d := setupDirectory(b, s)
			const contacts = 2000
			items := make([]store.Contact, contacts)
			for i := range items {
				items[i] = newContact(d, fmt.Sprintf("crm-%d", i), "Bench", fmt.Sprintf("+4930%07d", i))
			}
			_, err := s.ImportContacts(d.ctx, d.ws, d.pb, items)
			require.NoError(b, err)

			i := 0
			for b.Loop() {
				found, err := s.FindContactsByPhone(d.ctx, d.ws, fmt.Sprintf("+4930%07d", i%contacts), nil)
				if err != nil || len(found) != 1 {
					b.Fatalf("lookup %d: %d contacts, error %v", i, len(found), err)
				}
				i++
			}
		})
	}
}
