// Package apitest checks HTTP exchanges against an OpenAPI 3.1 document in
// tests, so a handler that drifts from the published API reference fails
// its own tests.
//
// A Validator finds the documented operation of each request and checks the
// response status, content type, headers and body against it. When the
// server accepted a request (any 2xx status), it also checks the request
// against the document, because a document stricter than the server is a
// mismatch too. Requests the server rejected are not checked: tests send
// invalid requests on purpose. Neither is the request body of an operation
// marked with the extension "x-reports-invalid-items": true, which accepts
// invalid items and reports them in a 2xx response.
//
//	v := apitest.NewValidator(t, gateway.OpenAPIDocument())
//	client := &http.Client{Transport: v.Transport(t, nil)}
//	resp, err := client.Get(srv.URL + "/v1/contacts") // checked on return
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// ExtensionReportsInvalidItems marks an operation, such as a batch upsert,
// that accepts a body with invalid items and reports each of them in a 2xx
// response. Check does not hold such a request body to the schema.
const ExtensionReportsInvalidItems = "x-reports-invalid-items"

// Validator checks requests and responses against one OpenAPI document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

// NewValidator loads spec, validates it and builds its router. It fails the
// test at once when the document does not load or is not valid OpenAPI.
// References to other files or URLs are not followed.
func NewValidator(t testing.TB, spec []byte) *Validator {
	t.Helper()
	ctx := context.Background()

	loader := &openapi3.Loader{Context: ctx, IsExternalRefsAllowed: false}
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("OpenAPI document is invalid: %v", err)
	}

	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router from OpenAPI document: %v", err)
	}
	return &Validator{doc: doc, router: router}
}

// Document returns the loaded document.
func (v *Validator) Document() *openapi3.T { return v.doc }

// Check fails the test, without stopping it, when the exchange does not
// match the document. It fails when the method and path are not a
// documented operation, when the status is not documented for it, and when
// the content type, a documented header or the body does not match the
// response's schema. When the status is 2xx, the request's parameters and
// reqBody must match the document as well. Check may be called from any
// goroutine while the test runs.
func (v *Validator) Check(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	exchange := req.Method + " " + req.URL.RequestURI() + " → " + resp.Status

	route, pathParams, err := v.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s: %s %s is not an operation of the OpenAPI document: %v", exchange, req.Method, req.URL.Path, err)
		return
	}

	options := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:   true,
	}
	requestInput := &openapi3filter.RequestValidationInput{
		Request:    withBody(req, reqBody),
		PathParams: pathParams,
		Route:      route,
		Options:    options,
	}

	ctx := context.Background()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		requestOptions := *options
		requestOptions.ExcludeRequestBody = route.Operation.Extensions[ExtensionReportsInvalidItems] == true
		requestInput.Options = &requestOptions
		err := openapi3filter.ValidateRequest(ctx, requestInput)
		requestInput.Options = options
		if err != nil {
			t.Errorf("%s: the server accepted a request that the OpenAPI document rejects: %v\nrequest body: %s",
				exchange, err, excerpt(reqBody))
		}
	}

	responseInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: requestInput,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                options,
	}
	responseInput.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, responseInput); err != nil {
		t.Errorf("%s: the response does not match the OpenAPI document: %v\nresponse body: %s",
			exchange, err, excerpt(respBody))
	}
}

// Transport returns a RoundTripper that sends each request with base, or
// http.DefaultTransport when base is nil, and checks every response with
// Check. The response body is read whole and handed back unread.
func (v *Validator) Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &checkingTransport{t: t, v: v, base: base}
}

type checkingTransport struct {
	t    testing.TB
	v    *Validator
	base http.RoundTripper
}

func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}

	resp, err := ct.base.RoundTrip(withBody(req, reqBody))
	if err != nil {
		return nil, err
	}

	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	ct.v.Check(ct.t, req, reqBody, resp, respBody)
	return resp, nil
}

// withBody returns a shallow copy of req whose body reads body.
func withBody(req *http.Request, body []byte) *http.Request {
	clone := req.Clone(req.Context())
	clone.Body = http.NoBody
	clone.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	if len(body) > 0 {
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	clone.ContentLength = int64(len(body))
	return clone
}

// excerpt returns body for a failure message, cut at 2 KiB.
func excerpt(body []byte) string {
	const limit = 2 << 10
	if len(body) == 0 {
		return "(empty)"
	}
	s := string(body)
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return strings.TrimSpace(s)
}
