// Package crmhttptest provides a scripted local HTTP server for connector
// tests: each expected request gets a queued response, every request is
// recorded for assertions, and unexpected requests fail the test.
package crmhttptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Response is one scripted response.
type Response struct {
	Status int
	Header map[string]string
	Body   string
	// Hang holds the response until the request's context ends, to test
	// deadlines.
	Hang bool
}

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// Server is a scripted CRM stand-in on a loopback address.
type Server struct {
	// URL is the server's base URL.
	URL string

	t         testing.TB
	mu        sync.Mutex
	responses map[string][]Response
	requests  []Request
}

// NewServer starts a server that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, responses: make(map[string][]Response)}
	server := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(server.Close)
	s.URL = server.URL
	return s
}

// On queues response for the next request with method and path.
func (s *Server) On(method, path string, response Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := method + " " + path
	s.responses[key] = append(s.responses[key], response)
}

// OK queues a 200 response with a JSON body.
func (s *Server) OK(method, path, body string) {
	s.On(method, path, Response{Status: http.StatusOK, Body: body})
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// AssertDone fails the test when queued responses were never requested.
func (s *Server) AssertDone() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, responses := range s.responses {
		if len(responses) > 0 {
			s.t.Errorf("%d queued responses for %s were not requested", len(responses), key)
		}
	}
}

// Client returns a client whose transport sets header to value on every
// request, the way the connection layer adds credentials.
func (s *Server) Client(header, value string) *http.Client {
	return &http.Client{Transport: headerTransport{header: header, value: value}}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path

	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body),
	})
	queued := s.responses[key]
	if len(queued) == 0 {
		s.mu.Unlock()
		s.t.Errorf("unexpected request %s?%s", key, r.URL.RawQuery)
		http.Error(w, `{"message":"unexpected request"}`, http.StatusNotFound)
		return
	}
	response := queued[0]
	s.responses[key] = queued[1:]
	s.mu.Unlock()

	if response.Hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	for name, value := range response.Header {
		w.Header().Set(name, value)
	}
	w.WriteHeader(response.Status)
	_, _ = w.Write([]byte(response.Body))
}

type headerTransport struct {
	header string
	value  string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(t.header, t.value)
	return http.DefaultTransport.RoundTrip(r)
}
