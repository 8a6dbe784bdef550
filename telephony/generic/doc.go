// Package generic is Switchboard's own webhook format for a telephony
// platform or PBX that has no adapter of its own.
//
// The sender posts one Event as JSON per call event. The fields are
// documented on Event. Decoding is strict: an unknown field, a second JSON
// value, a missing required field or an invalid value is rejected with
// telephony.ErrMalformed and a message naming the field.
//
// Requests are signed the Standard Webhooks way (https://www.standardwebhooks.com):
//
//	webhook-id         unique id of the delivery
//	webhook-timestamp  Unix seconds when it was sent
//	webhook-signature  space-separated list of "v1,<base64 HMAC-SHA256>"
//
// The HMAC key is the connection's signing secret, "whsec_" followed by
// base64 (Credentials.SigningSecret), and the signed content is
// "{webhook-id}.{webhook-timestamp}.{raw body}". Verify accepts the request
// when any v1 signature matches and the timestamp lies within
// Options.Tolerance (default 5 minutes) of now in either direction. Sign
// computes the header value for senders, Switchboard's own outgoing webhooks
// and the demo.
//
// Answer responds to an inbound "ringing" event with a routing decision, the
// JSON document Decision:
//
//	{"action":"route","route":{"kind":"number","target":"+14155550188",
//	 "timeout_seconds":20,"caller_name":"Acme Ltd"}}
//
// route.kind is number, sip, client, extension, queue, voicemail or hangup;
// target, timeout_seconds and caller_name are left out when empty. Every
// other event, and a ringing event that no routing rule matched, gets
// {"action":"none"}. The status is 200 in both cases.
package generic
