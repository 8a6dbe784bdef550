// Package gateway is Switchboard's HTTP server: the REST API under /v1, the
// provider webhooks under /hooks, OAuth token issue, health, metrics and the
// API reference.
//
// Every route is declared in routes.go. Handlers are short: who is asking,
// what they sent, whether it is valid, one call into the domain, one
// response. Errors of every kind end in errorHandler, which answers with an
// RFC 9457 problem document.
package gateway
