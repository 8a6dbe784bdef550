package crmconn

import (
	"io"
	"net/http"

	"github.com/switchboard-oss/switchboard/crm"
)

// Authentication headers. Pipedrive reads an API token from x-api-token
// (Pipedrive developer docs, "Authentication"). Every other token, and
// every OAuth access token, goes in Authorization as a bearer token.
const (
	headerAuthorization    = "Authorization"
	headerPipedriveToken   = "x-api-token"
	maxDrainedErrorBodyLen = 64 << 10
)

// authTransport adds a connection's credentials to every request.
type authTransport struct {
	base http.RoundTripper
	// header and static are the header and value of a token connection.
	header string
	static string
	// source hands out the access token of an OAuth connection.
	source *tokenSource
}

// HTTPClient returns the client the connectors of conn send requests
// with: it adds the connection's token or OAuth access token and bounds
// each request by the service's request timeout.
func (svc *Service) HTTPClient(conn Connection) (*http.Client, error) {
	if !conn.Auth.Authorized() {
		return nil, notAuthorized(conn)
	}
	t := &authTransport{base: svc.transport}
	switch {
	case conn.Auth.Type == AuthOAuth2:
		t.source = svc.source(conn)
	case conn.Kind == crm.KindPipedrive:
		t.header, t.static = headerPipedriveToken, conn.Auth.Token
	default:
		t.header, t.static = headerAuthorization, "Bearer "+conn.Auth.Token
	}
	return &http.Client{Transport: t, Timeout: svc.timeout}, nil
}

// RoundTrip sends req with the credentials. When the CRM rejects an OAuth
// access token with a 401, the token is marked rejected and refreshed, and
// the request is sent once more if its body can be sent twice.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.source == nil {
		return t.send(req, t.header, t.static)
	}

	token, err := t.source.Token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, headerAuthorization, "Bearer "+token.AccessToken)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !replayable(req) {
		return resp, err
	}

	drain(resp)
	t.source.reject(token.AccessToken)
	token, err = t.source.Token(req.Context())
	if err != nil {
		return nil, err
	}
	retry, err := rewind(req)
	if err != nil {
		return nil, err
	}
	return t.send(retry, headerAuthorization, "Bearer "+token.AccessToken)
}

// send sends a copy of req with header set to value: a RoundTripper must
// not change the request it was given.
func (t *authTransport) send(req *http.Request, header, value string) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set(header, value)
	return t.base.RoundTrip(out)
}

// replayable reports whether req can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewind returns req with a fresh copy of its body.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = body
	return out, nil
}

// drain reads a little of resp's body and closes it, so the connection
// can be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, maxDrainedErrorBodyLen)
	resp.Body.Close()
}

// closeBody closes req's body on a path that does not reach the base
// transport, which would close it otherwise: a RoundTripper always closes
// the request body.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
