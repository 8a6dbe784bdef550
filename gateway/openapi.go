package gateway

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/web"
)

// openAPIDocument is the hand-written OpenAPI 3.1 description of every
// route. openapi_test.go fails when a route and the document disagree.
//
//go:embed openapi/openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns a copy of the OpenAPI 3.1 document served at
// /openapi.json, for tests and tools outside this package.
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDocument) }

// docsCacheControl lets browsers and proxies keep the document and the
// reference page for five minutes, then revalidate them with the ETag.
const docsCacheControl = "public, max-age=300"

// docsContentSecurityPolicy allows the reference page to load scripts,
// styles and data from the gateway alone. Styles need 'unsafe-inline'
// because Swagger UI sets style attributes on the elements it renders.
const docsContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// staticFile is an embedded file ready to serve.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
}

func newStaticFile(name string, body []byte) staticFile {
	contentType := mime.TypeByExtension(path.Ext(name))
	if contentType == "" {
		contentType = "text/plain; charset=utf-8"
	}
	sum := sha256.Sum256(body)
	return staticFile{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// serve writes f, or 304 Not Modified when the request's If-None-Match
// carries its ETag.
func (f staticFile) serve(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.contentType)
	h.Set("Cache-Control", docsCacheControl)
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

var (
	openAPIFile = sync.OnceValue(func() staticFile {
		f := newStaticFile("openapi.json", openAPIDocument)
		f.contentType = echo.MIMEApplicationJSON
		return f
	})
	docsFiles = sync.OnceValue(loadDocsFiles)
)

// loadDocsFiles reads every file of the reference page once.
func loadDocsFiles() map[string]staticFile {
	return loadStaticFiles(web.Docs(), "API reference")
}

// loadStaticFiles reads every file of root once. It panics when the
// embedded files cannot be read, which only a broken build causes.
func loadStaticFiles(root fs.FS, what string) map[string]staticFile {
	files := map[string]staticFile{}
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		files[name] = newStaticFile(name, body)
		return nil
	})
	if err != nil {
		panic("read embedded " + what + " files: " + err.Error())
	}
	return files
}

// serveOpenAPI serves the OpenAPI document.
func (s *Server) serveOpenAPI(c echo.Context) error {
	return openAPIFile().serve(c)
}

// serveDocs serves the API reference page, which renders /openapi.json in
// the browser with the vendored Swagger UI.
func (s *Server) serveDocs(c echo.Context) error {
	c.Response().Header().Set("Content-Security-Policy", docsContentSecurityPolicy)
	return docsFiles()["index.html"].serve(c)
}

// serveDocsAssets serves the scripts, styles and images of the reference
// page.
func (s *Server) serveDocsAssets(c echo.Context) error {
	name := c.Param("*")
	f, ok := docsFiles()[name]
	if !ok || name == "index.html" {
		return newProblem(probNotFound, "No file %q in the API reference assets.", name)
	}
	return f.serve(c)
}
