// Package telnyx is the Telnyx Call Control v2 adapter: it verifies and parses
// Telnyx call webhooks and carries out routing decisions through the Call
// Control REST API.
//
// # Webhooks
//
// Telnyx signs every webhook with Ed25519. The signed message is the
// telnyx-timestamp header (Unix seconds), a "|" and the raw body. The
// signature is base64 in telnyx-signature-ed25519. Verify checks it against
// the account's public key (Credentials.PublicKey, base64 of 32 bytes) and
// rejects timestamps more than Options.Tolerance (default 5 minutes) away
// from now in either direction.
//
// Parse reads the envelope {"data":{"event_type","id","occurred_at",
// "payload":{...}}} and maps the events below. Any other event type yields no
// events and no error.
//
//	call.initiated        ringing, and NeedsRoute for an incoming call
//	call.answered         answered
//	call.bridged          answered
//	call.hangup           final status from hangup_cause, see below
//	call.recording.saved  recording URL only (Status stays empty), or
//	                      voicemail when Switchboard started the recording
//
// hangup_cause maps to a status as follows:
//
//	normal_clearing, time_limit   completed
//	originator_cancel             missed (incoming), cancelled (outgoing)
//	timeout, no_answer            missed
//	user_busy                     busy
//	call_rejected                 cancelled (incoming), busy (outgoing)
//	not_found, unspecified, other failed
//
// A call that Switchboard sent to voicemail ends as voicemail whatever the
// cause. Telnyx hangup events carry no talk time, so DurationSeconds stays 0.
//
// ProviderCallID is the call_control_id of the leg that reached Telnyx,
// because that id is what every Call Control command, and so Reroute, needs.
// Every command Switchboard sends also sets client_state (and, for a
// transfer, target_leg_client_state) to a small JSON document naming that
// call_control_id. Telnyx echoes it in later webhooks, which links
// call.recording.saved (it carries no call_control_id) and the events of the
// leg a transfer dials to the original call. Of that second leg, Parse keeps
// call.answered and call.bridged, with Agent set to the dialled destination,
// and call.recording.saved. It drops the second leg's call.initiated and
// call.hangup, because the first leg's events already report the ringing and
// the end of the call, and a failed transfer leaves the first leg alive.
//
// # Routing
//
// Telnyx expects an empty 200 response to its webhooks, which Answer returns.
// The routing decision is carried out with Call Control commands: Route for
// the call.initiated event of an incoming call, Reroute for a call in
// progress. Both send POST {base}/v2/calls/{call_control_id}/actions/{action}
// with bearer auth (Credentials.APIKey). The base URL is
// Credentials.APIBaseURL, else Options.APIBaseURL, else
// https://api.telnyx.com. Route kinds map to commands:
//
//	number, sip, client, extension  transfer (client and extension ring
//	                                sip:{target}@{Options.SIPDomain})
//	queue                           enqueue with queue_name
//	voicemail                       record_start (mp3, beep, capped length)
//	hangup                          reject (Route) or hangup (Reroute)
//
// Route answers the parked call before enqueue and record_start, because a
// queue or a recording needs an answered call. Reroute expects a call that is
// already answered for those two kinds.
//
// API errors {"errors":[{"code","title","detail"}]} become
// *telephony.ProviderError. Error code 90018 ("Call has already ended"), or a
// title or detail saying the call already ended, is also wrapped as
// telephony.ErrCallEnded.
package telnyx
