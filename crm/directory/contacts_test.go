package directory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func TestPatchContactRejectsNonObject(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		created, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: "Ann"})
		require.NoError(t, err)

		for _, patch := range []string{`null`, `[]`, `"Ann"`, `{"first_name":`} {
			t.Run(patch, func(t *testing.T) {
				_, err := svc.PatchContact(ctx, w.ID, created.ID, []byte(patch))

				var verr *validation.Error
				require.ErrorAs(t, err, &verr)
				require.Equal(t, "contact", verr.Fields[0].Field)
			})
		}
		got, err := svc.GetContact(ctx, w.ID, created.ID)
		require.NoError(t, err)
		require.Equal(t, "Ann", got.FirstName)
	})
}

func TestLookupContactsOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		var want []string
		for _, name := range []string{"Ann", "Bob", "Cy"} {
			c, err := svc.CreateContact(ctx, w.ID, ContactInput{PhonebookID: pb.ID, FirstName: name,
				PhoneNumbers: []PhoneNumberInput{{Number: "(415) 555-0100"}}})
			require.NoError(t, err)
			want = append(want, c.ID)
		}

		found, err := svc.LookupContacts(ctx, w.ID, LookupQuery{Phone: "+1 415 555 0100"})
		require.NoError(t, err)

		var got []string
		for _, c := range found {
			got = append(got, c.ID)
		}
		require.Equal(t, want, got)
	})
}
