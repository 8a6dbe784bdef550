package gateway

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/apitest"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
)

// specClient sends requests to a test server and checks every response
// against the OpenAPI document.
type specClient struct {
	t       *testing.T
	baseURL string
	http    *http.Client
}

func newSpecClient(t *testing.T, ts *testServer) *specClient {
	v := apitest.NewValidator(t, OpenAPIDocument())
	return &specClient{t: t, baseURL: ts.URL, http: &http.Client{Transport: v.Transport(t, nil)}}
}

// send sends a request with body and headers (name, value pairs) and
// returns the response read to its end.
func (c *specClient) send(method, path, body string, headers ...string) *testResponse {
	c.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.baseURL+path, reader)
	require.NoError(c.t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return &testResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func bearer(token string) string { return "Bearer " + token }

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	return apitest.NewValidator(t, OpenAPIDocument()).Document()
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)

	require.Equal(t, "3.1.0", doc.OpenAPI)
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			require.NotEmpty(t, op.OperationID, "%s has no operationId", where)
			require.NotContains(t, seen, op.OperationID, "%s repeats the operationId of %s", where, seen[op.OperationID])
			seen[op.OperationID] = where
			require.NotEmpty(t, op.Summary, "%s has no summary", where)
			require.NotEmpty(t, op.Tags, "%s has no tag", where)
		}
	}
}

// echoPathParam matches an echo path parameter such as :id.
var echoPathParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	st := testdb.Open(t, store.SQLite)
	srv := New(Config{}, Deps{Store: st, Directory: directory.New(st), Keyring: keyring, Log: zap.NewNop(), Registry: prometheus.NewRegistry()})
	doc := loadOpenAPI(t)

	var routed []string
	for _, r := range srv.echo.Routes() {
		// The asset folders of the two pages are served file by file and
		// documented with their page. The admin UI's pages and forms are
		// HTML for browsers, documented together with GET /admin.
		if r.Method == echo.RouteNotFound || r.Path == "/docs/*" || r.Path == "/agent/*" || strings.HasPrefix(r.Path, "/admin/") {
			continue
		}
		routed = append(routed, r.Method+" "+echoPathParam.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routed)
	slices.Sort(documented)

	require.Equal(t, routed, documented, "routes in routes.go and operations in openapi.json differ")
}

func TestOpenAPIListsEveryProblemType(t *testing.T) {
	doc := loadOpenAPI(t)
	op := doc.Paths.Find("/problems/{slug}").Get

	var documented []string
	for _, v := range op.Parameters.GetByInAndName("path", "slug").Schema.Value.Enum {
		documented = append(documented, v.(string))
	}

	require.ElementsMatch(t, slices.Collect(maps.Keys(problemTypes)), documented)
}

func TestOpenAPIListsEveryScope(t *testing.T) {
	doc := loadOpenAPI(t)

	var enum []string
	for _, v := range doc.Components.Schemas["Scope"].Value.Enum {
		enum = append(enum, v.(string))
	}
	oauthScopes := doc.Components.SecuritySchemes["oauth2"].Value.Flows.ClientCredentials.Scopes

	require.ElementsMatch(t, AllScopes, enum)
	require.ElementsMatch(t, AllScopes, slices.Collect(maps.Keys(oauthScopes)))
}

// TestOpenAPIScopesMatchRoutes sends every /v1 operation with a key that
// lacks its documented scope, expecting 403, and with a key that holds it,
// expecting anything else. Path parameters get ids that do not exist.
func TestOpenAPIScopesMatchRoutes(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	// Each operation is tried with a key of another scope family, so the
	// key lacks the operation's scope.
	webhooksKey := ts.newKey(t, ts.Workspace.ID, ScopeWebhooksRead)
	directoryKey := ts.newKey(t, ts.Workspace.ID, ScopeDirectoryRead)
	doc := loadOpenAPI(t)

	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // a public operation such as sign-in
			}
			t.Run(method+" "+path, func(t *testing.T) {
				scope := requiredScope(t, op)
				target := strings.NewReplacer("{id}", "x_missing", "{external_id}", "missing").Replace(path)
				unrelatedKey := webhooksKey
				if strings.HasPrefix(scope, "webhooks:") {
					unrelatedKey = directoryKey
				}
				if scope == "" {
					resp := c.send(method, target, "", "Authorization", bearer(unrelatedKey))
					require.NotEqual(t, http.StatusForbidden, resp.Status, "body: %s", resp.Body)
					return
				}

				resp := c.send(method, target, "", "Authorization", bearer(unrelatedKey))
				require.Equal(t, http.StatusForbidden, resp.Status, "body: %s", resp.Body)

				holder := ts.newKey(t, ts.Workspace.ID, scope)
				req, err := http.NewRequest(method, ts.URL+target, nil)
				require.NoError(t, err)
				req.Header.Set("Authorization", bearer(holder))
				raw, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				raw.Body.Close()
				require.NotEqual(t, http.StatusForbidden, raw.StatusCode)
				require.NotEqual(t, http.StatusUnauthorized, raw.StatusCode)
			})
		}
	}
}

// requiredScope returns the one scope op documents for both security
// schemes, or "" when it needs none.
func requiredScope(t *testing.T, op *openapi3.Operation) string {
	t.Helper()
	require.NotNil(t, op.Security, "operation %s has no security requirement", op.OperationID)
	scopes := map[string]bool{}
	for _, req := range *op.Security {
		for scheme, list := range req {
			require.Contains(t, []string{"bearerAuth", "oauth2"}, scheme)
			require.LessOrEqual(t, len(list), 1, "operation %s lists more than one scope", op.OperationID)
			scope := ""
			if len(list) == 1 {
				scope = list[0]
			}
			scopes[scope] = true
		}
	}
	require.Len(t, scopes, 1, "operation %s documents different scopes per scheme", op.OperationID)
	for scope := range scopes {
		return scope
	}
	return ""
}

func TestOpenAPIOperationsResponses(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite), func(cfg *Config) { cfg.MaxBodyBytes = 1 << 10 })
	c := newSpecClient(t, ts)
	admin := bearer(ts.AdminKey)
	readKey := ts.newKey(t, ts.Workspace.ID, ScopeDirectoryRead)

	t.Run("healthz", func(t *testing.T) {
		resp := c.send(http.MethodGet, "/healthz", "")
		require.Equal(t, http.StatusOK, resp.Status)
		require.JSONEq(t, `{"status":"ok","version":"test"}`, string(resp.Body))
	})
	t.Run("readyz", func(t *testing.T) {
		resp := c.send(http.MethodGet, "/readyz", "")
		require.JSONEq(t, `{"status":"ready","version":"test"}`, string(resp.Body))
	})
	t.Run("metrics", func(t *testing.T) {
		resp := c.send(http.MethodGet, "/metrics", "")
		require.Equal(t, http.StatusOK, resp.Status)
		require.Contains(t, string(resp.Body), "switchboard_http_requests_total")
	})
	t.Run("problems list", func(t *testing.T) {
		var list struct {
			Data []problemTypeView `json:"data"`
		}
		c.send(http.MethodGet, "/problems", "").decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, len(problemTypes))
	})
	t.Run("problem type", func(t *testing.T) {
		var view problemTypeView
		c.send(http.MethodGet, "/problems/validation-failed", "").decode(t, http.StatusOK, &view)
		require.Equal(t, "/problems/validation-failed", view.Type)
	})
	t.Run("problem type unknown", func(t *testing.T) {
		c.send(http.MethodGet, "/problems/no-such-thing", "").problem(t, http.StatusNotFound)
	})

	t.Run("no credential", func(t *testing.T) {
		resp := c.send(http.MethodGet, "/v1/workspace", "")
		p := resp.problem(t, http.StatusUnauthorized)
		require.Equal(t, "/problems/unauthorized", p.Type)
		require.Equal(t, `Bearer realm="switchboard"`, resp.Header.Get("WWW-Authenticate"))
	})
	t.Run("unknown key", func(t *testing.T) {
		c.send(http.MethodGet, "/v1/workspace", "", "Authorization", bearer(APIKeyPrefix+"nope")).problem(t, http.StatusUnauthorized)
	})
	t.Run("malformed access token", func(t *testing.T) {
		c.send(http.MethodGet, "/v1/contacts", "", "Authorization", bearer("eyJ.not.valid")).problem(t, http.StatusUnauthorized)
	})
	t.Run("missing scope", func(t *testing.T) {
		p := c.send(http.MethodGet, "/v1/api-keys", "", "Authorization", bearer(readKey)).problem(t, http.StatusForbidden)
		require.Equal(t, "/problems/forbidden", p.Type)
	})

	t.Run("workspace get", func(t *testing.T) {
		var w workspaceView
		c.send(http.MethodGet, "/v1/workspace", "", "Authorization", bearer(readKey)).decode(t, http.StatusOK, &w)
		require.Equal(t, ts.Workspace.ID, w.ID)
	})
	t.Run("workspace patch", func(t *testing.T) {
		var w workspaceView
		c.send(http.MethodPatch, "/v1/workspace", `{"time_zone":"Europe/Berlin","default_region":"DE"}`,
			"Authorization", admin, "Content-Type", "application/json").decode(t, http.StatusOK, &w)
		require.Equal(t, "Europe/Berlin", w.TimeZone)
		require.Equal(t, "DE", w.DefaultRegion)
	})
	t.Run("workspace patch invalid", func(t *testing.T) {
		p := c.send(http.MethodPatch, "/v1/workspace", `{"time_zone":"Mars/Olympus","name":""}`,
			"Authorization", admin, "Content-Type", "application/json").problem(t, http.StatusUnprocessableEntity)
		require.Len(t, p.InvalidParams, 2)
	})
	t.Run("workspace patch unknown field", func(t *testing.T) {
		p := c.send(http.MethodPatch, "/v1/workspace", `{"colour":"red"}`,
			"Authorization", admin, "Content-Type", "application/json").problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, "colour", p.InvalidParams[0].Field)
	})
	t.Run("workspace patch broken JSON", func(t *testing.T) {
		c.send(http.MethodPatch, "/v1/workspace", `{"name":`,
			"Authorization", admin, "Content-Type", "application/json").problem(t, http.StatusBadRequest)
	})
	t.Run("workspace patch wrong media type", func(t *testing.T) {
		c.send(http.MethodPatch, "/v1/workspace", `name=x`,
			"Authorization", admin, "Content-Type", "application/x-www-form-urlencoded").problem(t, http.StatusUnsupportedMediaType)
	})
	t.Run("workspace patch too large", func(t *testing.T) {
		c.send(http.MethodPatch, "/v1/workspace", `{"name":"`+strings.Repeat("a", 2<<10)+`"}`,
			"Authorization", admin, "Content-Type", "application/json").problem(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("workspace patch forbidden", func(t *testing.T) {
		c.send(http.MethodPatch, "/v1/workspace", `{"name":"x"}`,
			"Authorization", bearer(readKey), "Content-Type", "application/json").problem(t, http.StatusForbidden)
	})

	var created apiKeyView
	t.Run("api key create", func(t *testing.T) {
		c.send(http.MethodPost, "/v1/api-keys", `{"name":"sync","scopes":["directory:write"]}`,
			"Authorization", admin, "Content-Type", "application/json").decode(t, http.StatusCreated, &created)
		require.True(t, strings.HasPrefix(created.Token, created.Prefix))
	})
	t.Run("api key create invalid", func(t *testing.T) {
		p := c.send(http.MethodPost, "/v1/api-keys", `{"name":"","scopes":["root"]}`,
			"Authorization", admin, "Content-Type", "application/json").problem(t, http.StatusUnprocessableEntity)
		require.Len(t, p.InvalidParams, 2)
	})
	t.Run("api key list", func(t *testing.T) {
		var list struct {
			Data []apiKeyView `json:"data"`
		}
		c.send(http.MethodGet, "/v1/api-keys", "", "Authorization", admin).decode(t, http.StatusOK, &list)
		require.Len(t, list.Data, 3)
	})
	t.Run("api key revoke", func(t *testing.T) {
		var revoked apiKeyView
		c.send(http.MethodPost, "/v1/api-keys/"+created.ID+"/revoke", "", "Authorization", admin).decode(t, http.StatusOK, &revoked)
		require.NotNil(t, revoked.RevokedAt)
	})
	t.Run("api key revoked", func(t *testing.T) {
		c.send(http.MethodGet, "/v1/workspace", "", "Authorization", bearer(created.Token)).problem(t, http.StatusUnauthorized)
	})
	t.Run("api key revoke unknown", func(t *testing.T) {
		c.send(http.MethodPost, "/v1/api-keys/key_missing/revoke", "", "Authorization", admin).problem(t, http.StatusNotFound)
	})
}

func TestOpenAPITokenResponses(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	key, keyToken, err := CreateAPIKey(context.Background(), ts.Store.Queries, ts.Workspace.ID, "oauth", []string{ScopeDirectoryWrite})
	require.NoError(t, err)
	form := "application/x-www-form-urlencoded"

	tests := []struct {
		name      string
		body      string
		headers   []string
		status    int
		wantError string
	}{
		{name: "form credentials", body: url.Values{"grant_type": {"client_credentials"}, "client_id": {key.ID}, "client_secret": {keyToken}}.Encode(), status: http.StatusOK},
		{name: "basic credentials", body: "grant_type=client_credentials&scope=directory%3Aread", headers: []string{"Authorization", basicAuth(key.ID, keyToken)}, status: http.StatusOK},
		{name: "wrong grant type", body: "grant_type=password", status: http.StatusBadRequest, wantError: "unsupported_grant_type"},
		{name: "missing secret", body: "grant_type=client_credentials&client_id=" + key.ID, status: http.StatusBadRequest, wantError: "invalid_request"},
		{name: "scope not held", body: url.Values{"grant_type": {"client_credentials"}, "client_id": {key.ID}, "client_secret": {keyToken}, "scope": {"admin"}}.Encode(), status: http.StatusBadRequest, wantError: "invalid_scope"},
		{name: "wrong secret", body: url.Values{"grant_type": {"client_credentials"}, "client_id": {key.ID}, "client_secret": {APIKeyPrefix + "wrong"}}.Encode(), status: http.StatusUnauthorized, wantError: "invalid_client"},
		{name: "id of another key", body: url.Values{"grant_type": {"client_credentials"}, "client_id": {"key_other"}, "client_secret": {keyToken}}.Encode(), status: http.StatusUnauthorized, wantError: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.send(http.MethodPost, "/oauth/token", tt.body, append([]string{"Content-Type", form}, tt.headers...)...)

			if tt.wantError != "" {
				p := resp.problem(t, tt.status)
				require.Equal(t, tt.wantError, p.OAuthError)
				require.Equal(t, p.Detail, p.OAuthErrorDescription)
				return
			}
			var token tokenResponse
			resp.decode(t, http.StatusOK, &token)
			require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

			var w workspaceView
			c.send(http.MethodGet, "/v1/workspace", "", "Authorization", bearer(token.AccessToken)).decode(t, http.StatusOK, &w)
			require.Equal(t, ts.Workspace.ID, w.ID)
		})
	}

	t.Run("wrong media type", func(t *testing.T) {
		c.send(http.MethodPost, "/oauth/token", `{"grant_type":"client_credentials"}`, "Content-Type", "application/json").problem(t, http.StatusUnsupportedMediaType)
	})
	t.Run("body too large", func(t *testing.T) {
		c.send(http.MethodPost, "/oauth/token", "grant_type="+strings.Repeat("x", 65<<10), "Content-Type", form).problem(t, http.StatusRequestEntityTooLarge)
	})
}

func basicAuth(user, password string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, password)
	return req.Header.Get("Authorization")
}

// TestOpenAPIRateLimitResponse checks that a credential over its rate
// limit gets the documented 429 problem with Retry-After.
func TestOpenAPIRateLimitResponse(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite), func(cfg *Config) { cfg.RateLimit = 1 })
	c := newSpecClient(t, ts)

	// A rate of 1 per second allows a burst of 3, so the 4th request in a
	// row is rejected unless the test stalls for a second; 20 leave room.
	var resp *testResponse
	for range 20 {
		resp = c.send(http.MethodGet, "/v1/workspace", "", "Authorization", bearer(ts.AdminKey))
		if resp.Status == http.StatusTooManyRequests {
			break
		}
	}

	p := resp.problem(t, http.StatusTooManyRequests)
	require.Equal(t, "/problems/rate-limited", p.Type)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}

func TestOpenAPIReadinessFailure(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	c := newSpecClient(t, ts)
	require.NoError(t, st.Close())

	p := c.send(http.MethodGet, "/readyz", "").problem(t, http.StatusServiceUnavailable)
	require.Equal(t, "/problems/service-unavailable", p.Type)
}

func TestOpenAPIServedDocument(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)

	resp := c.send(http.MethodGet, "/openapi.json", "")
	require.Equal(t, http.StatusOK, resp.Status)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, docsCacheControl, resp.Header.Get("Cache-Control"))
	require.Equal(t, OpenAPIDocument(), resp.Body)

	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp = c.send(http.MethodGet, "/openapi.json", "", "If-None-Match", etag)
	require.Equal(t, http.StatusNotModified, resp.Status)
	require.Empty(t, resp.Body)
}

// externalURL matches an absolute URL or a protocol-relative one.
var externalURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

func TestDocsPage(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)

	resp := c.send(http.MethodGet, "/docs", "")

	require.Equal(t, http.StatusOK, resp.Status)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, docsContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	require.NotRegexp(t, externalURL, string(resp.Body))
	require.NotContains(t, string(resp.Body), "<script>", "inline scripts break the Content-Security-Policy")
	require.NotContains(t, string(resp.Body), "<style", "inline styles are not needed")
}

func TestDocsAssets(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	page := ts.client(t, "").get("/docs")
	var referenced []string
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(string(page.Body), -1) {
		referenced = append(referenced, m[1])
	}
	require.ElementsMatch(t, []string{"/docs/swagger-ui.css", "/docs/favicon-32x32.png", "/docs/swagger-ui-bundle.js", "/docs/init.js", "/openapi.json"}, referenced)

	tests := []struct {
		path        string
		contentType string
	}{
		{path: "/docs/swagger-ui.css", contentType: "text/css; charset=utf-8"},
		{path: "/docs/swagger-ui-bundle.js", contentType: "text/javascript; charset=utf-8"},
		{path: "/docs/init.js", contentType: "text/javascript; charset=utf-8"},
		{path: "/docs/favicon-32x32.png", contentType: "image/png"},
		{path: "/docs/LICENSE", contentType: "text/plain; charset=utf-8"},
		{path: "/docs/NOTICE", contentType: "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := ts.client(t, "").get(tt.path)

			require.Equal(t, http.StatusOK, resp.Status)
			require.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			require.Equal(t, docsCacheControl, resp.Header.Get("Cache-Control"))
			require.NotEmpty(t, resp.Body)

			etag := resp.Header.Get("ETag")
			require.NotEmpty(t, etag)
			again := ts.client(t, "").do(http.MethodGet, tt.path, nil, "If-None-Match", etag)
			require.Equal(t, http.StatusNotModified, again.Status)
		})
	}
}

func TestDocsAssetsLoadNothingExternal(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	client := ts.client(t, "")

	script := string(client.get("/docs/init.js").Body)
	require.NotRegexp(t, externalURL, script)
	require.Contains(t, script, `url: "/openapi.json"`)
	require.Contains(t, script, "validatorUrl: null", "the default validator badge sends the document to validator.swagger.io")

	css := string(client.get("/docs/swagger-ui.css").Body)
	require.NotRegexp(t, `url\(\s*["']?(https?:)?//`, css, "the stylesheet must not load fonts or images from other hosts")
	require.NotContains(t, css, "@import")
}

func TestDocsUnknownAsset(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	client := ts.client(t, "")

	tests := []string{"/docs/missing.js", "/docs/index.html", "/docs/README.md", "/docs/docs/init.js"}
	for _, path := range tests {
		t.Run(path, func(t *testing.T) {
			resp := client.get(path)

			p := resp.problem(t, http.StatusNotFound)
			require.Equal(t, "/problems/not-found", p.Type)
		})
	}
}

// TestOpenAPIDirectoryResponses runs each directory operation once or
// more, so the document's directory schemas are checked against the
// handlers. The handlers' own tests cover their behaviour.
func TestOpenAPIDirectoryResponses(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	c := newSpecClient(t, ts)
	auth := []string{"Authorization", bearer(ts.AdminKey)}
	jsonBody := append([]string{"Content-Type", "application/json"}, auth...)

	var pb phonebookView
	c.send(http.MethodPost, "/v1/phonebooks", `{"name":"Customers","description":"From HubSpot","source":"hubspot"}`, jsonBody...).
		decode(t, http.StatusCreated, &pb)
	c.send(http.MethodGet, "/v1/phonebooks/"+pb.ID, "", auth...).decode(t, http.StatusOK, &pb)
	c.send(http.MethodPatch, "/v1/phonebooks/"+pb.ID, `{"description":"Synced nightly","source":null}`, jsonBody...).
		decode(t, http.StatusOK, &pb)
	require.Equal(t, "hubspot", pb.Source)
	c.send(http.MethodPatch, "/v1/phonebooks/"+pb.ID, `{"name":""}`, jsonBody...).problem(t, http.StatusUnprocessableEntity)
	c.send(http.MethodGet, "/v1/phonebooks/pb_missing", "", auth...).problem(t, http.StatusNotFound)

	var created contactView
	c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+pb.ID+`","external_id":"C-1","first_name":"Ann","last_name":"Lee",
		"emails":["ann@example.com"],"phone_numbers":[{"label":"mobile","number":"(415) 555-0142"}],"extra_data":{"tier":"gold"}}`, jsonBody...).
		decode(t, http.StatusCreated, &created)
	c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+pb.ID+`","external_id":"C-1"}`, jsonBody...).problem(t, http.StatusConflict)
	p := c.send(http.MethodPost, "/v1/contacts", `{"phonebook_id":"`+pb.ID+`","id":"ct_x","phone_numbers":[{"number":"12"}]}`, jsonBody...).
		problem(t, http.StatusUnprocessableEntity)
	require.Len(t, p.InvalidParams, 2)

	var contact contactView
	c.send(http.MethodGet, "/v1/contacts/"+created.ID, "", auth...).decode(t, http.StatusOK, &contact)
	c.send(http.MethodGet, "/v1/phonebooks/"+pb.ID+"/contacts/by-external-id/C-1", "", auth...).decode(t, http.StatusOK, &contact)
	c.send(http.MethodPatch, "/v1/contacts/"+created.ID, `{"company":"Acme","extra_data":{"tier":null}}`,
		append([]string{"Content-Type", "application/merge-patch+json"}, auth...)...).decode(t, http.StatusOK, &contact)
	require.JSONEq(t, `{}`, string(contact.ExtraData))
	c.send(http.MethodPatch, "/v1/contacts/"+created.ID, `[1]`,
		append([]string{"Content-Type", "application/merge-patch+json"}, auth...)...).problem(t, http.StatusBadRequest)
	c.send(http.MethodPut, "/v1/contacts/"+created.ID, `{"external_id":"C-1","first_name":"Ann","phone_numbers":[{"number":"+14155550142"}]}`, jsonBody...).
		decode(t, http.StatusOK, &contact)
	require.Empty(t, contact.LastName)

	var batch directory.BatchReport
	c.send(http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/batch",
		`{"contacts":[{"external_id":"C-2","first_name":"Bo"},{"first_name":"no id"},{"external_id":"C-2"},"text"]}`, jsonBody...).
		decode(t, http.StatusOK, &batch)
	require.Equal(t, 1, batch.Created)
	require.Equal(t, 3, batch.Failed)
	c.send(http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/batch", `{"contacts":[]}`, jsonBody...).problem(t, http.StatusUnprocessableEntity)

	csv := "external_id,first_name,email,phone_work,extra_data.tier\nC-3,Cy,cy@example.com,+14155550199,silver\nC-4,Di,not-an-email,,\n"
	var report directory.ImportReport
	c.send(http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/import", csv, append([]string{"Content-Type", "text/csv"}, auth...)...).
		decode(t, http.StatusOK, &report)
	require.Equal(t, 1, report.Created)
	require.Len(t, report.Errors, 1)
	c.send(http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/import", "shoe_size\n44\n", append([]string{"Content-Type", "text/csv"}, auth...)...).
		problem(t, http.StatusBadRequest)
	c.send(http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/import", csv, jsonBody...).problem(t, http.StatusUnsupportedMediaType)

	var page struct {
		Data       []contactView `json:"data"`
		HasMore    bool          `json:"has_more"`
		NextURL    string        `json:"next_url"`
		NextCursor string        `json:"next_cursor"`
	}
	c.send(http.MethodGet, "/v1/contacts?limit=2&updated_since=2020-01-01T00:00:00Z", "", auth...).decode(t, http.StatusOK, &page)
	require.True(t, page.HasMore)
	c.send(http.MethodGet, page.NextURL, "", auth...).decode(t, http.StatusOK, &page)
	require.False(t, page.HasMore)
	c.send(http.MethodGet, "/v1/contacts?q=ann&phonebook_id="+pb.ID+"&sort=created_at&order=desc", "", auth...).decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	c.send(http.MethodGet, "/v1/contacts?limit=0", "", auth...).problem(t, http.StatusBadRequest)
	c.send(http.MethodGet, "/v1/contacts?cursor=forged", "", auth...).problem(t, http.StatusBadRequest)

	c.send(http.MethodGet, "/v1/contacts/lookup?phone=%2B14155550142", "", auth...).decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	c.send(http.MethodGet, "/v1/contacts/lookup?email=CY@example.com", "", auth...).decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	c.send(http.MethodGet, "/v1/contacts/lookup?external_id=C-2&phonebook_id="+pb.ID, "", auth...).decode(t, http.StatusOK, &page)
	require.Len(t, page.Data, 1)
	c.send(http.MethodGet, "/v1/contacts/lookup?phone=1&email=a@example.com", "", auth...).problem(t, http.StatusBadRequest)

	var phonebooks struct {
		Data []phonebookView `json:"data"`
	}
	c.send(http.MethodGet, "/v1/phonebooks?limit=10", "", auth...).decode(t, http.StatusOK, &phonebooks)
	require.Len(t, phonebooks.Data, 1)

	require.Equal(t, http.StatusNoContent, c.send(http.MethodDelete, "/v1/contacts/"+created.ID, "", auth...).Status)
	c.send(http.MethodDelete, "/v1/contacts/"+created.ID, "", auth...).problem(t, http.StatusNotFound)
	c.send(http.MethodDelete, "/v1/phonebooks/"+pb.ID, "", auth...).problem(t, http.StatusConflict)
	c.send(http.MethodDelete, "/v1/phonebooks/"+pb.ID+"?force=maybe", "", auth...).problem(t, http.StatusBadRequest)
	require.Equal(t, http.StatusNoContent, c.send(http.MethodDelete, "/v1/phonebooks/"+pb.ID+"?force=true", "", auth...).Status)

	var deleted struct {
		Data []tombstoneView `json:"data"`
	}
	c.send(http.MethodGet, "/v1/contacts/deleted?since=1700000000.5&limit=100", "", auth...).decode(t, http.StatusOK, &deleted)
	require.Len(t, deleted.Data, 3)
}

// jsonFieldNames returns the JSON names of the fields of the struct type t.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for field := range t.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

func schemaPropertyNames(schema *openapi3.Schema) []string {
	return slices.Collect(maps.Keys(schema.Properties))
}

func TestOpenAPIGenericWebhookSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	eventSchema := doc.Components.Schemas["GenericCallEvent"].Value
	answerSchema := doc.Components.Schemas["GenericRoutingAnswer"].Value
	routeSchema := answerSchema.Properties["route"].Value

	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[generic.Event]()), schemaPropertyNames(eventSchema))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[generic.Decision]()), schemaPropertyNames(answerSchema))
	require.ElementsMatch(t, jsonFieldNames(reflect.TypeFor[generic.RouteDecision]()), schemaPropertyNames(routeSchema))

	for _, status := range eventSchema.Properties["event"].Value.Enum {
		t.Run("event "+status.(string), func(t *testing.T) {
			body := `{"event_id":"e1","call_id":"c1","event":"` + status.(string) + `","direction":"inbound",` +
				`"from":"+14155550142","occurred_at":"2026-03-10T14:02:11Z","recording_url":"https://pbx.example.com/r/1.mp3"}`
			var value any
			require.NoError(t, json.Unmarshal([]byte(body), &value))

			_, err := generic.DecodeEvent([]byte(body))

			require.NoError(t, err)
			require.NoError(t, eventSchema.VisitJSON(value, openapi3.EnableJSONSchema2020()))
		})
	}

	adapter := generic.New(generic.Options{})
	ringing := telephony.CallEvent{Status: telephony.StatusRinging, Direction: telephony.DirectionInbound, NeedsRoute: true}
	route := &telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550188", TimeoutSeconds: 20, CallerName: "Acme Ltd"}
	for name, answer := range map[string]telephony.Answer{
		"route": adapter.Answer(ringing, route),
		"none":  adapter.Answer(telephony.CallEvent{Status: telephony.StatusCompleted}, nil),
	} {
		t.Run("answer "+name, func(t *testing.T) {
			var value any
			require.NoError(t, json.Unmarshal(answer.Body, &value))

			require.NoError(t, answerSchema.VisitJSON(value, openapi3.EnableJSONSchema2020()))
		})
	}
}
