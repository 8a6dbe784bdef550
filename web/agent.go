package web

import (
	"embed"
	"io/fs"
)

// agentFiles is the agent console served at /agent: plain HTML, one script
// and one stylesheet, with no build step and nothing loaded from another
// host.
//
//go:embed agent/index.html agent/app.js agent/app.css agent/icon.svg
var agentFiles embed.FS

// Agent returns the files of the agent console; index.html is the page and
// the other names are served under /agent/.
func Agent() fs.FS {
	sub, err := fs.Sub(agentFiles, "agent")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "agent" is valid.
		panic(err)
	}
	return sub
}
