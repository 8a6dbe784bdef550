package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

func TestImportContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		csvText := "external_id,first_name,last_name,emails,phone,phone_mobile,extra_data.tier\n" +
			"c1,Ann,Lee,ann@example.com;ann@work.example,(415) 555-0100,,gold\n" +
			"c2,Bob,Stone,,+1 415 555 0101,not a number,\n" +
			",Cy,,,,+44 20 7946 0958,\n"

		report := importCSV(t, cl, pb.ID, csvText)

		require.Equal(t, directory.ImportReport{
			Rows:    3,
			Created: 2,
			Failed:  1,
			Errors: []directory.RowError{{
				Row:        2,
				Line:       3,
				ExternalID: ptr("c2"),
				InvalidParams: []validation.FieldError{
					{Field: "phone_mobile", Reason: `"not a number" is not a valid phone number`},
				},
			}},
		}, report)

		var ann contactView
		cl.get("/v1/phonebooks/"+pb.ID+"/contacts/by-external-id/c1").decode(t, http.StatusOK, &ann)
		require.Equal(t, []string{"ann@example.com", "ann@work.example"}, ann.Emails)
		require.Equal(t, []phoneNumberView{{Label: "main", Number: "(415) 555-0100", E164: "+14155550100"}}, ann.PhoneNumbers)
		require.JSONEq(t, `{"tier":"gold"}`, string(ann.ExtraData))

		again := importCSV(t, cl, pb.ID, csvText)
		require.Equal(t, 1, again.Unchanged, "c1 is unchanged")
		require.Equal(t, 1, again.Created, "a row without external_id always creates")
	})
}

func TestImportContactsRejected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st, func(cfg *Config) { cfg.MaxImportBytes = 1024 })
		cl := ts.admin(t)
		pb := createPhonebook(t, cl, "Customers")
		path := "/v1/phonebooks/" + pb.ID + "/contacts/import"

		p := cl.do(http.MethodPost, path, "first_name,fax\nAnn,1\n", csvType...).problem(t, http.StatusBadRequest)
		require.Contains(t, p.Detail, `"fax" is not a known column`)
		require.Contains(t, p.Detail, "phone_<label>")

		p = cl.do(http.MethodPost, path, "", csvType...).problem(t, http.StatusBadRequest)
		require.Contains(t, p.Detail, "empty")

		p = cl.do(http.MethodPost, path, "first_name\nAnn\n", jsonType...).problem(t, http.StatusUnsupportedMediaType)
		require.Contains(t, p.Detail, "text/csv")

		large := "first_name\n" + strings.Repeat("Ann\n", 300)
		cl.do(http.MethodPost, path, large, csvType...).problem(t, http.StatusRequestEntityTooLarge)
		p = cl.do(http.MethodPost, path, strings.NewReader(large), csvType...).problem(t, http.StatusRequestEntityTooLarge)
		require.Contains(t, p.Detail, "limit of 1 KiB", "a chunked body is cut off while it is read")

		cl.do(http.MethodPost, "/v1/phonebooks/pb_missing/contacts/import", "first_name\nAnn\n", csvType...).problem(t, http.StatusNotFound)

		var list listResponse[contactView]
		waitNextMillisecond()
		cl.get("/v1/contacts").decode(t, http.StatusOK, &list)
		require.Empty(t, list.Data)
	})
}

func ptr(s string) *string { return &s }
