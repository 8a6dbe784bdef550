// Package crmconn manages CRM connections: one CRM account Switchboard
// reads contacts from. It validates what an admin writes, keeps the
// credentials encrypted at rest, runs the OAuth 2.0 authorization code
// flow, refreshes access tokens, and builds the connector of each kind
// over an HTTP client that authenticates as the connection.
//
// # Authentication
//
//	{"type":"token","token":"…"}
//	    HubSpot private app token, Pipedrive API token (sent in the
//	    x-api-token header), Salesforce access token or the generic CRM's
//	    token; every one but Pipedrive's is sent as a bearer token.
//	{"type":"oauth2","client_id":"…","client_secret":"…",
//	 "authorize_url":"…","token_url":"…","scopes":["…"]}
//	    an OAuth app registered at the CRM. The endpoints and scopes default
//	    per kind, and a generic connection must set both endpoints:
//	      hubspot     https://app.hubspot.com/oauth/authorize
//	                  https://api.hubapi.com/oauth/v3/token
//	      pipedrive   https://oauth.pipedrive.com/oauth/authorize and /oauth/token
//	                  (client credentials in a Basic Authorization header)
//	      salesforce  https://login.salesforce.com/services/oauth2/authorize
//	                  and /services/oauth2/token
//
// An OAuth connection is usable once an admin opened AuthorizeURL and the
// CRM sent the browser back to the redirect URL, where
// CompleteAuthorization exchanges the code. The state parameter is
// HMAC-SHA256 signed with a subkey of the master key (LabelOAuthState),
// names the workspace, connection and redirect URL, and expires after
// StateTTL. It is not single-use: the CRM's code is.
//
// # Token refresh
//
// Each OAuth connection has one token source per process, shared by all
// its connectors. It refreshes the access token ExpiryMargin before it
// expires, with one refresh request in flight at a time however many
// requests wait, and stores the new tokens encrypted before using them.
// A 401 answer to an access token marks it rejected; the request is sent
// once more with a refreshed token. Salesforce tokens carry no expiry, so
// that 401 is what triggers their refresh.
//
// NOTE: two instances can refresh the same connection at the same moment.
// Each first rereads the stored token and adopts it when another instance
// refreshed it already, which narrows the race without closing it; a CRM
// that rotates refresh tokens may then reject the loser's refresh token,
// and that instance returns crm.ErrUnauthorized until it rereads the
// winner's token (at most a minute later).
//
// # Errors
//
// Token failures reach callers through the connectors' requests, which
// crm/crmhttp wraps in crm.ErrUnavailable as well. Test for
// ErrNotAuthorized and crm.ErrUnauthorized before crm.ErrUnavailable.
//
// # Kinds
//
// Settings are typed per kind and a kind rejects the others' settings:
// HubSpot portal_id and app_base_url (the test action fills in portal_id),
// Pipedrive company_domain (filled in likewise), Salesforce instance_url,
// api_version, objects and extra_fields, and for generic connections the
// fields of generic.Config, flat beside the others. A Salesforce mapping that reads a field outside the
// connector's built-in list needs it in extra_fields, because the
// connector queries named fields only. HubSpot reads every field the
// mapping names.
package crmconn
