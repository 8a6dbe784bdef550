package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// telnyxCommand is one Call Control command the fake API received.
type telnyxCommand struct {
	Method        string
	Path          string
	Authorization string
	Body          string
}

// Action returns the last path segment, such as "transfer".
func (c telnyxCommand) Action() string {
	return c.Path[strings.LastIndex(c.Path, "/")+1:]
}

// fakeTelnyxAPI replaces the Telnyx Call Control API on loopback. It
// accepts every POST /v2/calls/{call_control_id}/actions/{action} with the
// success body Telnyx documents and records it.
type fakeTelnyxAPI struct {
	server *httptest.Server

	mu       sync.Mutex
	commands []telnyxCommand
}

func startFakeTelnyxAPI() *fakeTelnyxAPI {
	api := &fakeTelnyxAPI{}
	api.server = httptest.NewServer(http.HandlerFunc(api.handle))
	return api
}

func (api *fakeTelnyxAPI) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a short read only shortens the recorded body
	api.mu.Lock()
	api.commands = append(api.commands, telnyxCommand{
		Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: string(body),
	})
	api.mu.Unlock()

	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v2/calls/") || !strings.Contains(r.URL.Path, "/actions/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"code":"10005","title":"Resource not found","detail":"The fake Call Control API only has /v2/calls/{id}/actions/{action}."}]}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"data":{"result":"ok"}}`)
}

// Take returns the commands received since the last call and clears them.
func (api *fakeTelnyxAPI) Take() []telnyxCommand {
	api.mu.Lock()
	defer api.mu.Unlock()
	commands := api.commands
	api.commands = nil
	return commands
}

func (api *fakeTelnyxAPI) URL() string { return api.server.URL }

func (api *fakeTelnyxAPI) Close() { api.server.Close() }
