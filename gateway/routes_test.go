package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

func TestWrongMethodIs405(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := ts.admin(t)

	tests := []struct {
		method, path, allow string
	}{
		{http.MethodPut, "/v1/webhooks", "GET, POST"},
		{http.MethodPut, "/v1/webhooks/wh_missing", "DELETE, GET, PATCH"},
		{http.MethodPut, "/v1/custom-fields/score", "DELETE, GET, PATCH"},
		{http.MethodDelete, "/v1/meta/object-types", "GET"},
		{http.MethodPost, "/v1/contacts/ct_missing", "DELETE, GET, PATCH, PUT"},
		{http.MethodPatch, "/healthz", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := c.do(tt.method, tt.path, nil)
			p := resp.problem(t, http.StatusMethodNotAllowed)
			require.Equal(t, "/problems/method-not-allowed", p.Type)
			allowed := splitAllow(resp.Header.Get("Allow"))
			require.Subset(t, allowed, splitAllow(tt.allow))
			require.NotContains(t, allowed, tt.method)
		})
	}
}

func TestUnknownV1PathIs404(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))

	p := ts.admin(t).get("/v1/no-such-thing").problem(t, http.StatusNotFound)

	require.Equal(t, "/problems/not-found", p.Type)
}

func TestV1RoutesNeedCredential(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))

	p := ts.client(t, "").get("/v1/contacts").problem(t, http.StatusUnauthorized)

	require.Equal(t, "/problems/unauthorized", p.Type)
}

func splitAllow(header string) []string {
	var methods []string
	for _, m := range strings.Split(header, ",") {
		if m = strings.TrimSpace(m); m != "" {
			methods = append(methods, m)
		}
	}
	return methods
}
