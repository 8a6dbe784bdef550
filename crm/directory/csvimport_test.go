package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// setup returns a directory over st with one workspace (region US) and
// one phonebook in it.
func setup(t *testing.T, st *store.Store) (*Service, store.Workspace, store.Phonebook) {
	t.Helper()
	ctx := context.Background()
	w := store.Workspace{Name: "Acme", DefaultRegion: "US"}
	require.NoError(t, st.CreateWorkspace(ctx, &w))

	svc := New(st)
	pb, err := svc.CreatePhonebook(ctx, w.ID, PhonebookInput{Name: "Customers"})
	require.NoError(t, err)
	return svc, w, pb
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		want    []csvColumn
		wantErr string
	}{
		{
			name:   "every kind",
			header: []string{"\ufeffExternal_ID", "first_name", "email", "email_2", "emails", "phone", "phone_mobile", "extra_data.Tier"},
			want: []csvColumn{
				{name: "External_ID", kind: columnExternalID},
				{name: "first_name", kind: columnFirstName},
				{name: "email", kind: columnEmail},
				{name: "email_2", kind: columnEmail},
				{name: "emails", kind: columnEmails},
				{name: "phone", kind: columnPhone, label: "main"},
				{name: "phone_mobile", kind: columnPhone, label: "mobile"},
				{name: "extra_data.Tier", kind: columnExtra, key: "Tier"},
			},
		},
		{name: "unknown column", header: []string{"first_name", "fax"}, wantErr: `header column 2: "fax" is not a known column; accepted columns are external_id`},
		{name: "empty column name", header: []string{"first_name", " "}, wantErr: "header column 2: the column has no name"},
		{name: "repeated column", header: []string{"email", "Email"}, wantErr: `header columns 1 and 2 are both "Email"`},
		{name: "email_1 is not numbered", header: []string{"email_1"}, wantErr: `"email_1" is not a known column`},
		{name: "extra_data without key", header: []string{"extra_data."}, wantErr: `"extra_data." is not a known column`},
		{name: "phone without label", header: []string{"phone_"}, wantErr: `"phone_" is not a known column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeader(tt.header)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrInvalidCSV)
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestImportCSV(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		csvText := "external_id,first_name,last_name,email,email_2,phone,phone_mobile,extra_data.tier\n" +
			"c1,Ann,Lee,ann@example.com,,(415) 555-0100,,gold\n" +
			"c2,Bob,Stone,bob.example.com,,,,\n" +
			"\n" +
			",Cy,Noid,,,+44 20 7946 0958,,\n" +
			"c3,Dee,\"Multi\nLine\",,,,12,\n" +
			",,,,,,,\n" +
			"c4,Eve,Ng,eve@example.com,EVE@example.com,,+1 415 555 0199,\n" +
			"c5,too,few\n"

		report, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader(csvText))
		require.NoError(t, err)

		require.Equal(t, 6, report.Rows)
		require.Equal(t, 3, report.Created)
		require.Equal(t, 0, report.Updated)
		require.Equal(t, 3, report.Failed)
		require.Len(t, report.Errors, 3)

		require.Equal(t, RowError{Row: 2, Line: 3, ExternalID: ptr("c2"), InvalidParams: []validation.FieldError{
			{Field: "email", Reason: `"bob.example.com" is not an email address such as ann@example.com`},
		}}, report.Errors[0])
		require.Equal(t, 4, report.Errors[1].Row)
		require.Equal(t, 6, report.Errors[1].Line)
		require.Equal(t, "last_name", report.Errors[1].InvalidParams[0].Field)
		require.Equal(t, "phone_mobile", report.Errors[1].InvalidParams[1].Field)
		require.Equal(t, RowError{Row: 7, Line: 10, InvalidParams: []validation.FieldError{
			{Field: "row", Reason: "has 3 fields, but the header has 8"},
		}}, report.Errors[2])

		ann, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "c1")
		require.NoError(t, err)
		require.Equal(t, "Ann Lee", ann.DisplayName)
		require.Equal(t, []store.PhoneNumber{{Label: "main", Number: "(415) 555-0100", E164: "+14155550100"}}, ann.PhoneNumbers.V)
		require.Equal(t, `{"tier":"gold"}`, string(ann.ExtraData))

		eve, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "c4")
		require.NoError(t, err)
		require.Equal(t, []string{"eve@example.com"}, eve.Emails.V)
		require.Equal(t, "mobile", eve.PhoneNumbers.V[0].Label)

		cy, err := st.FindContactsByPhone(ctx, w.ID, "+442079460958", nil)
		require.NoError(t, err)
		require.Len(t, cy, 1)
		require.Nil(t, cy[0].ExternalID)
	})
}

func TestImportCSVTwiceIsUnchanged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		csvText := "external_id,first_name,phone\nc1,Ann,+14155550100\nc2,Bob,+14155550101\n"

		_, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader(csvText))
		require.NoError(t, err)
		report, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader(csvText))
		require.NoError(t, err)

		require.Equal(t, ImportReport{Rows: 2, Unchanged: 2, Errors: []RowError{}}, report)
	})
}

func TestImportCSVRepeatedExternalIDUpdates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		ctx := context.Background()
		csvText := "external_id,first_name\nc1,Ann\nc2,Bob\nc1,Anna\n"

		report, err := svc.ImportCSV(ctx, w.ID, pb.ID, strings.NewReader(csvText))
		require.NoError(t, err)

		require.Equal(t, 2, report.Created)
		require.Equal(t, 1, report.Updated)
		c1, err := st.GetContactByExternalID(ctx, w.ID, pb.ID, "c1")
		require.NoError(t, err)
		require.Equal(t, "Anna", c1.FirstName)
	})
}

func TestImportCSVBadQuoteDoesNotStop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		csvText := "external_id,first_name\nc1,Bob \"The\" Builder\nc2,Ann\n"

		report, err := svc.ImportCSV(context.Background(), w.ID, pb.ID, strings.NewReader(csvText))
		require.NoError(t, err)

		require.Equal(t, 2, report.Rows)
		require.Equal(t, 1, report.Created)
		require.Equal(t, 1, report.Failed)
		require.Equal(t, 1, report.Errors[0].Row)
		require.Equal(t, 2, report.Errors[0].Line)
		require.Equal(t, "row", report.Errors[0].InvalidParams[0].Field)
		require.Contains(t, report.Errors[0].InvalidParams[0].Reason, "is not valid CSV")
	})
}

func TestImportCSVRejectsFile(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		wantErr string
	}{
		{name: "empty file", csv: "", wantErr: "the file is empty"},
		{name: "unknown column", csv: "first_name,fax\nAnn,1\n", wantErr: `"fax" is not a known column`},
	}
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.ImportCSV(context.Background(), w.ID, pb.ID, strings.NewReader(tt.csv))

				require.ErrorIs(t, err, ErrInvalidCSV)
				require.ErrorContains(t, err, tt.wantErr)
			})
		}
		n, err := st.CountContacts(context.Background(), w.ID, pb.ID)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestImportCSVHeaderOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)

		report, err := svc.ImportCSV(context.Background(), w.ID, pb.ID, strings.NewReader("\ufefffirst_name,phone_work\r\n"))

		require.NoError(t, err)
		require.Equal(t, ImportReport{Errors: []RowError{}}, report)
	})
}

func TestImportCSVUnknownPhonebook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, _ := setup(t, st)

		_, err := svc.ImportCSV(context.Background(), w.ID, "pb_missing", strings.NewReader("first_name\nAnn\n"))

		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestImportCSVCapsReportedErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		var b strings.Builder
		b.WriteString("first_name,email\n")
		for i := range MaxReportedErrors + 5 {
			fmt.Fprintf(&b, "n%d,bad-%d\n", i, i)
		}

		report, err := svc.ImportCSV(context.Background(), w.ID, pb.ID, strings.NewReader(b.String()))
		require.NoError(t, err)

		require.Equal(t, MaxReportedErrors+5, report.Failed)
		require.Len(t, report.Errors, MaxReportedErrors)
	})
}

func TestImportCSVReadError(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		svc, w, pb := setup(t, st)
		broken := errors.New("connection reset")
		r := &failingReader{data: "external_id,first_name\nc1,Ann\n", err: broken}

		_, err := svc.ImportCSV(context.Background(), w.ID, pb.ID, r)

		require.ErrorIs(t, err, broken)
	})
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func ptr(s string) *string { return &s }
