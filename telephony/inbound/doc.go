// Package inbound handles the webhooks of telephony connections: it checks
// their authenticity, routes incoming calls under the connection's
// deadline, responds in the provider's format and keeps one record per call
// from all its events.
//
// # A webhook, step by step
//
//  1. Load the connection named in the URL, with its decrypted credentials,
//     compiled routing rules and default route. A webhook whose provider
//     differs from the connection's, or for a disabled connection, is
//     rejected as not found.
//  2. Verify the request with the provider's adapter. A failed check stores
//     nothing and returns an error wrapping telephony.ErrBadSignature.
//  3. Parse it into call events.
//  4. For an event that waits for a route, look the caller up and run the
//     connection's rules with routing.Decide, all within the connection's
//     deadline (default 1.5 s). Twilio, Vonage and generic connections get
//     the route in the webhook answer; Telnyx and Aircall calls are routed
//     with a REST command after the event is stored.
//  5. Store the call and the event in one transaction. The record is keyed
//     by (connection, provider call id), or the parent call id when the
//     provider reports a leg under its own id, and rebuilt from all stored
//     events of the call with callrecord.Rebuild, so retried, duplicated
//     and reordered deliveries converge on one record. The dedupe key of an
//     event is the provider's event id, else a SHA-256 of the hook name,
//     raw body and raw query.
//
// # Caller lookup
//
// The connection's lookup order says where the caller is looked up:
// "phonebook" searches its phonebooks, "crm" its CRM connection through
// Config.CRM, and "phonebook_then_crm" the CRM only when the phonebooks
// have no contact with the number. The CRM step has its own deadline,
// crm_deadline_ms, inside the routing deadline. A CRM that fails or does
// not respond in time gives no contact, and the rules run without one. A
// CRM contact is no phonebook contact: the decision names it by
// "{crm connection id}/{record id}", and the call gets no contact_id.
//
// With reroute_late_crm_answers, a CRM lookup that misses its deadline
// goes on in the background for up to LateCRMLookupWindow. When its
// contact makes the rules choose another route than the call got, the
// live call is moved there with Reroute.
//
// NOTE: the call record keeps the first decision after such a reroute;
// the reroute is in the logs and the metric only.
//
// # Failures
//
// A routing webhook is always answered with a route. When the database
// cannot be read, the last connection loaded from it is used; the lookup
// fails and the call takes the default route. A routing webhook gets only
// the rest of the deadline to store its event; when that fails, the route is
// still answered, and the failure is logged and counted. Any other webhook
// whose event cannot be stored returns an error wrapping ErrStoreUnavailable,
// so the gateway answers 503 and the provider retries.
//
// # Metrics
//
//	switchboard_routing_duration_seconds{provider}         time routing.Decide took
//	switchboard_routing_fallbacks_total{provider,reason}   default routes taken because
//	                                                       routing failed: deadline_exceeded,
//	                                                       lookup_failed or rule_error
//	switchboard_call_record_failures_total{provider}       routing webhooks answered but not stored
//	switchboard_routing_command_failures_total{provider}   Telnyx and Aircall route commands that failed
//	switchboard_routing_late_crm_answers_total{provider,outcome}
//	                                                       CRM responses after the CRM deadline, by outcome:
//	                                                       rerouted, same_route, no_contact,
//	                                                       lookup_failed or reroute_failed
package inbound
