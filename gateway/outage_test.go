package gateway

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestDatabaseOutageIsServiceUnavailable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		admin := ts.admin(t)
		require.Equal(t, http.StatusOK, admin.get("/v1/contacts").Status)

		require.NoError(t, st.Close())

		for _, path := range []string{"/v1/contacts", "/v1/workspace", "/readyz"} {
			resp := admin.get(path)
			p := resp.problem(t, http.StatusServiceUnavailable)
			require.Equal(t, "/problems/service-unavailable", p.Type, path)
			require.Equal(t, "5", resp.Header.Get("Retry-After"), path)
		}
	})
}
