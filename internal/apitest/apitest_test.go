package apitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const petSpec = `{
  "openapi": "3.1.0",
  "info": {"title": "pets", "version": "1"},
  "servers": [{"url": "/"}],
  "paths": {
    "/pets/{id}": {
      "get": {
        "operationId": "getPet",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {"description": "The pet.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
          "404": {"description": "No such pet.", "content": {"application/problem+json": {"schema": {"type": "object", "required": ["status"]}}}}
        }
      }
    },
    "/pets/batch": {
      "post": {
        "operationId": "createPets",
        "x-reports-invalid-items": true,
        "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "array", "items": {"type": "object", "required": ["name"]}
        }}}},
        "responses": {"200": {"description": "One result per item.", "content": {"application/json": {"schema": {"type": "array"}}}}}
      }
    },
    "/pets": {
      "post": {
        "operationId": "createPet",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "additionalProperties": false, "required": ["name"],
          "properties": {"name": {"type": "string", "minLength": 1}}
        }}}},
        "responses": {
          "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
          "422": {"description": "Invalid.", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
        }
      }
    }
  },
  "components": {"schemas": {"Pet": {
    "type": "object", "additionalProperties": false, "required": ["id", "name", "born_at"],
    "properties": {
      "id": {"type": "string"},
      "name": {"type": "string"},
      "born_at": {"type": "string", "format": "date-time"},
      "owner": {"type": ["string", "null"]}
    }
  }}}
}`

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	panic(r)
}

func (r *recorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errors, "\n")
}

func exchange(method, target, reqBody string, status int, contentType, respBody string) (*http.Request, *http.Response) {
	req := httptest.NewRequest(method, target, strings.NewReader(reqBody))
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp := &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:     http.Header{},
	}
	if contentType != "" {
		resp.Header.Set("Content-Type", contentType)
	}
	return req, resp
}

func TestOpenAPICheck(t *testing.T) {
	v := NewValidator(t, []byte(petSpec))
	pet := `{"id":"p1","name":"Rex","born_at":"2024-05-01T10:00:00.000Z","owner":null}`

	tests := []struct {
		name        string
		method      string
		target      string
		reqBody     string
		status      int
		contentType string
		respBody    string
		wantError   string
	}{
		{name: "matching response", method: "GET", target: "/pets/p1", status: 200, contentType: "application/json", respBody: pet},
		{name: "absolute URL", method: "GET", target: "http://127.0.0.1:8080/pets/p1", status: 200, contentType: "application/json; charset=utf-8", respBody: pet},
		{name: "documented error", method: "GET", target: "/pets/nope", status: 404, contentType: "application/problem+json", respBody: `{"status":404}`},
		{name: "unknown path", method: "GET", target: "/owners/1", status: 200, contentType: "application/json", respBody: pet, wantError: "is not an operation"},
		{name: "unknown method", method: "DELETE", target: "/pets/p1", status: 204, wantError: "is not an operation"},
		{name: "undocumented status", method: "GET", target: "/pets/p1", status: 500, contentType: "application/problem+json", respBody: `{"status":500}`, wantError: "status is not supported"},
		{name: "wrong content type", method: "GET", target: "/pets/p1", status: 200, contentType: "text/plain", respBody: pet, wantError: "text/plain"},
		{name: "missing field", method: "GET", target: "/pets/p1", status: 200, contentType: "application/json", respBody: `{"id":"p1","name":"Rex"}`, wantError: "born_at"},
		{name: "undocumented field", method: "GET", target: "/pets/p1", status: 200, contentType: "application/json", respBody: `{"id":"p1","name":"Rex","born_at":"2024-05-01T10:00:00Z","age":3}`, wantError: "age"},
		{name: "bad date-time", method: "GET", target: "/pets/p1", status: 200, contentType: "application/json", respBody: `{"id":"p1","name":"Rex","born_at":"yesterday"}`, wantError: "date-time"},
		{name: "accepted valid request", method: "POST", target: "/pets", reqBody: `{"name":"Rex"}`, status: 201, contentType: "application/json", respBody: pet},
		{name: "accepted invalid request", method: "POST", target: "/pets", reqBody: `{"name":"Rex","colour":"red"}`, status: 201, contentType: "application/json", respBody: pet, wantError: "accepted a request that the OpenAPI document rejects"},
		{name: "invalid items reported", method: "POST", target: "/pets/batch", reqBody: `[{"name":"Rex"},{"colour":"red"}]`, status: 200, contentType: "application/json", respBody: `["created","error"]`},
		{name: "invalid parameter with items", method: "POST", target: "/pets/batch?dry_run=maybe", reqBody: `[]`, status: 200, contentType: "application/json", respBody: `[]`, wantError: "dry_run"},
		{name: "rejected invalid request", method: "POST", target: "/pets", reqBody: `{"name":""}`, status: 422, contentType: "application/problem+json", respBody: `{"status":422}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			req, resp := exchange(tt.method, tt.target, tt.reqBody, tt.status, tt.contentType, tt.respBody)

			v.Check(rec, req, []byte(tt.reqBody), resp, []byte(tt.respBody))

			if tt.wantError == "" {
				require.Empty(t, rec.failures())
				return
			}
			require.Contains(t, rec.failures(), tt.wantError)
		})
	}
}

func TestOpenAPITransportChecksResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/pets/bad" {
			io.WriteString(w, `{"id":"bad"}`)
			return
		}
		io.WriteString(w, `{"id":"p1","name":"Rex","born_at":"2024-05-01T10:00:00Z"}`)
	}))
	defer srv.Close()
	v := NewValidator(t, []byte(petSpec))
	rec := &recorder{TB: t}
	client := &http.Client{Transport: v.Transport(rec, nil)}

	resp, err := client.Get(srv.URL + "/pets/p1")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"p1","name":"Rex","born_at":"2024-05-01T10:00:00Z"}`, string(body))
	require.Empty(t, rec.failures())

	resp, err = client.Get(srv.URL + "/pets/bad")
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, rec.failures(), "GET /pets/bad")
	require.Contains(t, rec.failures(), "name")
}

func TestOpenAPITransportSendsBody(t *testing.T) {
	var received string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received = string(body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"p2","name":"Rex","born_at":"2024-05-01T10:00:00Z"}`)
	}))
	defer srv.Close()
	v := NewValidator(t, []byte(petSpec))
	rec := &recorder{TB: t}
	client := &http.Client{Transport: v.Transport(rec, nil)}

	resp, err := client.Post(srv.URL+"/pets", "application/json", strings.NewReader(`{"name":"Rex"}`))
	require.NoError(t, err)
	resp.Body.Close()

	require.Equal(t, `{"name":"Rex"}`, received)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Empty(t, rec.failures())
}

func TestOpenAPIValidatorRejectsInvalidDocument(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		wantError string
	}{
		{name: "not JSON", spec: `{"openapi":`, wantError: "load OpenAPI document"},
		{name: "undeclared path parameter", spec: `{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a/{id}":{"get":{"responses":{"204":{"description":"ok"}}}}}}`, wantError: "is invalid"},
		{name: "external ref", spec: `{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"$ref":"other.json#/a"}}}`, wantError: "load OpenAPI document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}

			func() {
				defer func() { recover() }()
				NewValidator(rec, []byte(tt.spec))
			}()

			require.True(t, rec.fatal)
			require.Contains(t, rec.failures(), tt.wantError)
		})
	}
}
