// Package connections manages telephony connections: one account at a VoIP
// platform whose webhooks Switchboard responds to. It validates what an admin
// writes, keeps the provider secrets encrypted at rest and loads a
// connection, ready to route calls, for the webhook path.
//
// # Credentials
//
// Credentials are written with the JSON names of telephony.Credentials.
// Each provider reads its own fields; any other field is rejected.
//
//	twilio   account_id (Account SID) and auth_token, both required
//	telnyx   api_key and public_key (base64 Ed25519 key of the portal), both required
//	vonage   signing_secret (signature secret) required; api_key (application
//	         ID) with auth_token (the application's private key, PEM) to
//	         reroute live calls; account_id (API key) checks the api_key claim
//	aircall  account_id (API id), auth_token (API token) and webhook_token, all required
//	generic  signing_secret, a Standard Webhooks "whsec_" secret; generated
//	         when left out and returned once, by Create
//
// Every provider also takes api_base_url, which replaces the provider's REST
// API base URL (regional endpoints, tests). The API never returns a secret
// after creation: Summarize tells which fields are set.
//
// # Routing
//
// Routing rules compile with routing.Compile in the workspace's default
// region, and the default route is checked with
// routing.ValidateDefaultRoute. Aircall can transfer a call to a number, a
// user (client or extension) or a team (queue) only, so rules and default
// routes of an Aircall connection are limited to those kinds. The routing
// deadline is 100 to 10,000 ms, 1,500 ms by default.
//
// # Webhooks
//
// WebhookURLs lists the URLs to configure at the provider, one per hook:
// {base}/hooks/{provider}/{connection id}/{hook}.
package connections
