// Package web holds the pages and static assets the gateway serves. They are
// embedded in the binary, so a deployment needs no other files and no page
// loads anything from another host.
//
// docs/ is the API reference page served at /docs: Swagger UI, vendored from
// the swagger-ui-dist npm package (docs/README.md gives the version and how
// to update it), started by docs/init.js on the document at /openapi.json.
package web

import (
	"embed"
	"io/fs"
)

//go:embed docs/index.html docs/init.js docs/swagger-ui-bundle.js docs/swagger-ui.css docs/favicon-32x32.png
//go:embed docs/LICENSE docs/NOTICE docs/swagger-ui-bundle.js.LICENSE.txt
var docsFiles embed.FS

// Docs returns the files of the API reference page; index.html is the page
// and the other names are served under /docs/.
func Docs() fs.FS {
	sub, err := fs.Sub(docsFiles, "docs")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "docs" is valid.
		panic(err)
	}
	return sub
}
