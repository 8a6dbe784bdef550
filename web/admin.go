package web

import (
	"embed"
	"io/fs"
)

// adminFiles is the admin UI served under /admin: html/template pages
// rendered by the gateway, one stylesheet, one script of ours and htmx,
// vendored (admin/static/README.md gives its version and source). Nothing
// is loaded from another host and nothing is built.
//
//go:embed admin/templates/*.html
//go:embed admin/static/admin.css admin/static/admin.js admin/static/htmx.min.js admin/static/htmx.LICENSE
var adminFiles embed.FS

// AdminTemplates returns the page templates of the admin UI.
// layout.html and the files named _*.html are parsed with every page.
func AdminTemplates() fs.FS {
	return sub(adminFiles, "admin/templates")
}

// AdminStatic returns the assets of the admin UI, served under
// /admin/static/.
func AdminStatic() fs.FS {
	return sub(adminFiles, "admin/static")
}

func sub(root fs.FS, dir string) fs.FS {
	s, err := fs.Sub(root, dir)
	if err != nil {
		// fs.Sub fails only on an invalid path, and dir is a valid one.
		panic(err)
	}
	return s
}
