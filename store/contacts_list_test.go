package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// importSameInstant imports n contacts in one transaction, so they share
// created_at and updated_at, and returns their ids and that instant.
func importSameInstant(t *testing.T, d directory, n int) ([]string, store.UnixMilli) {
	t.Helper()
	items := make([]store.Contact, n)
	for i := range items {
		items[i] = newContact(d, fmt.Sprintf("crm-%04d", i), fmt.Sprintf("Person %d", i), fmt.Sprintf("+4930%07d", i))
	}
	counts, err := d.s.ImportContacts(d.ctx, d.ws, d.pb, items)
	require.NoError(t, err)
	require.Equal(t, n, counts.Created)

	all, err := d.s.FindContactsByEmail(d.ctx, d.ws, "person 0@example.com", nil)
	require.NoError(t, err)
	require.Len(t, all, 1)
	instant := all[0].CreatedAt

	var ids []string
	var after *store.Keyset
	for {
		page, hasMore, err := d.s.ListContacts(d.ctx, store.ContactQuery{WorkspaceID: d.ws, After: after, Limit: 1000})
		require.NoError(t, err)
		for _, c := range page {
			require.Equal(t, instant.UnixMilli(), c.CreatedAt.UnixMilli(), "one import gives one created_at")
			ids = append(ids, c.ID)
		}
		if !hasMore {
			break
		}
		after = keyOf(page[len(page)-1], "created_at")
	}
	require.Len(t, ids, n)
	return ids, instant
}

func keyOf(c store.Contact, sortBy string) *store.Keyset {
	if sortBy == "updated_at" {
		return &store.Keyset{At: c.UpdatedAt, ID: c.ID}
	}
	return &store.Keyset{At: c.CreatedAt, ID: c.ID}
}

// listAll reads every page of cq, calling between(page number, page)
// after each page but the last, and returns the ids in the order listed.
func listAll(t *testing.T, d directory, cq store.ContactQuery, between func(int, []store.Contact)) []string {
	t.Helper()
	var ids []string
	for pageNumber := 1; ; pageNumber++ {
		page, hasMore, err := d.s.ListContacts(d.ctx, cq)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), cq.Limit)
		for _, c := range page {
			ids = append(ids, c.ID)
		}
		if !hasMore {
			return ids
		}
		require.Less(t, pageNumber, 1000, "paging does not end")
		require.Len(t, page, cq.Limit, "a page before the last is full")
		if between != nil {
			between(pageNumber, page)
		}
		cq.After = keyOf(page[len(page)-1], cq.SortBy)
	}
}

var pagingOrders = []struct {
	name   string
	sortBy string
	desc   bool
}{
	{name: "created_at asc", sortBy: "created_at"},
	{name: "created_at desc", sortBy: "created_at", desc: true},
	{name: "updated_at asc", sortBy: "updated_at"},
	{name: "updated_at desc", sortBy: "updated_at", desc: true},
}

func TestListContactsSameTimestampPagesOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		ids, instant := importSameInstant(t, d, 2500)

		for _, o := range pagingOrders {
			t.Run(o.name, func(t *testing.T) {
				got := listAll(t, d, store.ContactQuery{
					WorkspaceID: d.ws, SortBy: o.sortBy, Desc: o.desc, Until: &instant, Limit: 100,
				}, nil)

				require.Len(t, got, 2500)
				require.ElementsMatch(t, ids, got)
				for i := 1; i < len(got); i++ {
					if o.desc {
						require.Greater(t, got[i-1], got[i], "ties are ordered by id, descending")
					} else {
						require.Less(t, got[i-1], got[i], "ties are ordered by id")
					}
				}
			})
		}
	})
}

func TestListContactsUpdatesBetweenPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		_, instant := importSameInstant(t, d, 2500)

		// Contacts updated by an earlier order stay updated for the later
		// ones, so one set collects them all.
		touched := map[string]bool{}
		for _, o := range pagingOrders {
			t.Run(o.name, func(t *testing.T) {
				var listedBeforeUpdate []string
				update := func(pageNumber int, page []store.Contact) {
					if pageNumber > 3 {
						return
					}
					// Update two contacts already returned and two not yet
					// returned, found on the next page of the same query.
					cq := store.ContactQuery{WorkspaceID: d.ws, SortBy: o.sortBy, Desc: o.desc, Until: &instant,
						After: keyOf(page[len(page)-1], o.sortBy), Limit: 10}
					next, _, err := s.ListContacts(d.ctx, cq)
					require.NoError(t, err)
					for _, c := range []store.Contact{page[0], page[50], next[0], next[5]} {
						c.FirstName += " (edited)"
						changed, err := s.UpdateContact(d.ctx, &c)
						require.NoError(t, err)
						require.True(t, changed)
						touched[c.ID] = true
					}
					for _, c := range page {
						listedBeforeUpdate = append(listedBeforeUpdate, c.ID)
					}
				}

				got := listAll(t, d, store.ContactQuery{
					WorkspaceID: d.ws, SortBy: o.sortBy, Desc: o.desc, Until: &instant, Limit: 100,
				}, update)

				seen := map[string]bool{}
				for _, id := range got {
					require.False(t, seen[id], "contact %s listed twice", id)
					seen[id] = true
				}
				all := listAll(t, d, store.ContactQuery{WorkspaceID: d.ws, Limit: 1000}, nil)
				for _, id := range all {
					if !touched[id] {
						require.True(t, seen[id], "untouched contact %s is missing", id)
					}
				}
				if o.sortBy == "created_at" {
					require.Len(t, got, 2500, "updates do not move created_at")
				}
				for _, id := range listedBeforeUpdate {
					require.True(t, seen[id])
				}
			})
		}
	})
}

func TestListContactsSearchLiteral(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		names := map[string]string{}
		for _, name := range []string{"100% Pure", "100 Pure", "a_b Corp", "axb Corp", `back\slash`} {
			c := newContact(d, "", name, "+4930111")
			c.Company = name
			require.NoError(t, s.CreateContact(d.ctx, &c))
			names[c.ID] = name
		}
		email := newContact(d, "", "Mail", "+4930123456")
		email.Emails.V = []string{"Grace.Hopper@Navy.example"}
		email.PhoneNumbers.V = []store.PhoneNumber{{Label: "main", Number: "030 123456", E164: "+4930123456"}}
		require.NoError(t, s.CreateContact(d.ctx, &email))
		names[email.ID] = "Mail"

		tests := []struct {
			name   string
			search string
			want   []string
		}{
			{name: "percent is literal", search: "100%", want: []string{"100% Pure"}},
			{name: "lone percent", search: "%", want: []string{"100% Pure"}},
			{name: "underscore is literal", search: "a_b", want: []string{"a_b Corp"}},
			{name: "lone underscore", search: "_", want: []string{"a_b Corp"}},
			{name: "backslash is literal", search: `k\s`, want: []string{`back\slash`}},
			{name: "case-insensitive", search: "PURE", want: []string{"100% Pure", "100 Pure"}},
			{name: "email", search: "hopper@navy", want: []string{"Mail"}},
			{name: "number as given", search: "030 1234", want: []string{"Mail"}},
			{name: "number in E.164", search: "+4930123456", want: []string{"Mail"}},
			{name: "no match", search: "zebra", want: []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, _, err := s.ListContacts(d.ctx, store.ContactQuery{WorkspaceID: d.ws, Search: tt.search, Limit: 100})
				require.NoError(t, err)
				got := []string{}
				for _, c := range page {
					got = append(got, names[c.ID])
				}
				require.ElementsMatch(t, tt.want, got)
			})
		}
	})
}

func TestListContactsFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		second := store.Phonebook{WorkspaceID: d.ws, Name: "Suppliers"}
		require.NoError(t, s.CreatePhonebook(d.ctx, &second))

		first := newContact(d, "crm-1", "Ada", "+4930111")
		require.NoError(t, s.CreateContact(d.ctx, &first))
		other := newContact(d, "crm-2", "Bob", "+4930222")
		other.PhonebookID = second.ID
		require.NoError(t, s.CreateContact(d.ctx, &other))
		first.FirstName = "Augusta"
		_, err := s.UpdateContact(d.ctx, &first)
		require.NoError(t, err)

		all := []store.Contact{first, other}
		list := func(cq store.ContactQuery) []string {
			cq.WorkspaceID, cq.Limit = d.ws, 10
			page, _, err := s.ListContacts(d.ctx, cq)
			require.NoError(t, err)
			return contactIDs(page)
		}
		// expect returns the ids of all that keep passes, in (at, id) order.
		expect := func(keep func(store.Contact) bool, at func(store.Contact) int64, desc bool) []string {
			var kept []store.Contact
			for _, c := range all {
				if keep(c) {
					kept = append(kept, c)
				}
			}
			slices.SortFunc(kept, func(a, b store.Contact) int {
				return cmp.Or(cmp.Compare(at(a), at(b)), cmp.Compare(a.ID, b.ID))
			})
			if desc {
				slices.Reverse(kept)
			}
			return contactIDs(kept)
		}
		everyone := func(store.Contact) bool { return true }
		createdAt := func(c store.Contact) int64 { return c.CreatedAt.UnixMilli() }
		updatedAt := func(c store.Contact) int64 { return c.UpdatedAt.UnixMilli() }

		require.Equal(t, []string{first.ID}, list(store.ContactQuery{PhonebookID: d.pb}))
		require.Equal(t, []string{other.ID}, list(store.ContactQuery{PhonebookID: second.ID}))
		require.Equal(t,
			expect(func(c store.Contact) bool { return updatedAt(c) >= first.UpdatedAt.UnixMilli() }, createdAt, false),
			list(store.ContactQuery{UpdatedSince: &first.UpdatedAt}), "updated_since is inclusive")
		require.Equal(t,
			expect(func(c store.Contact) bool { return createdAt(c) >= other.CreatedAt.UnixMilli() }, createdAt, false),
			list(store.ContactQuery{CreatedSince: &other.CreatedAt}), "created_since is inclusive")
		require.Equal(t, expect(everyone, updatedAt, false), list(store.ContactQuery{SortBy: "updated_at"}))
		require.Equal(t, expect(everyone, updatedAt, true), list(store.ContactQuery{SortBy: "updated_at", Desc: true}))
		require.Equal(t, expect(everyone, createdAt, true), list(store.ContactQuery{Desc: true}))

		after := store.UnixMilli{Time: first.UpdatedAt.Add(1e6)}
		require.Empty(t, list(store.ContactQuery{UpdatedSince: &after}))
	})
}

func TestListContactsRejectsBadQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := setupDirectory(t, s)
		tests := []struct {
			name string
			cq   store.ContactQuery
		}{
			{name: "unknown sort field", cq: store.ContactQuery{WorkspaceID: d.ws, SortBy: "id; DROP TABLE contacts", Limit: 10}},
			{name: "zero limit", cq: store.ContactQuery{WorkspaceID: d.ws}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.ListContacts(d.ctx, tt.cq)
				require.Error(t, err)
			})
		}
	})
}
