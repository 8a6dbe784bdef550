// Package aircall is the Aircall adapter: it verifies and parses Aircall call
// webhooks and moves live calls with the Aircall transfer API.
//
// # Webhooks
//
// Aircall posts JSON {"resource","event","timestamp","token","data"}, where
// data is the call object. Aircall signs nothing: every body carries the
// webhook's token, and Verify compares it in constant time with
// Credentials.WebhookToken. The token is static, so it does not stop a replay
// of a captured body, and Aircall offers nothing that would.
//
// Parse maps call events to statuses as listed below. Events of other
// resources and unlisted call events yield no events and no error.
//
//	call.created            ringing, and NeedsRoute for an inbound call
//	call.ringing_on_agent   ringing, Agent is the rung user
//	call.answered           answered, Agent is the answering user
//	call.transferred        answered (ringing if no user answered yet), Agent
//	                        is the user the call went to
//	call.voicemail_left     voicemail, RecordingURL is the voicemail
//	call.hungup, call.ended final status of the call object:
//	                        voicemail if one was left, missed if
//	                        missed_call_reason is set or nobody answered,
//	                        completed otherwise
//
// Aircall sends call.hungup right at hang-up and call.ended about 30 seconds
// later with complete data (duration, recording). Both map to the same final
// status, and the later one adds what the first lacked.
//
// ProviderCallID is the call object's numeric id. Aircall webhooks have no
// event id, so ProviderEventID is "{event}/{call id}/{timestamp}", which is
// the same for a retried delivery of one event. Agent is the user's email,
// else name, else id. DurationSeconds is talk time, ended_at minus
// answered_at, because the call object's duration also counts ringing.
// RecordingURL is the call's recording link, which Aircall documents as valid
// for a short time only.
//
// # Routing
//
// Aircall routes calls itself and takes no routing answer: Answer returns an
// empty 200. Reroute, also used for the initial route of a call.created event
// with NeedsRoute, transfers the call with
// POST {base}/v1/calls/{id}/transfers and basic auth
// Credentials.AccountID:Credentials.AuthToken (API id and API token). The base
// URL is Credentials.APIBaseURL, else Options.APIBaseURL, else
// https://api.aircall.io. Route kinds map to the transfer body:
//
//	number               {"number": target}
//	extension, client    {"user_id": target}, an Aircall user id
//	queue                {"team_id": target}, an Aircall team id
//	sip, voicemail, hangup  not supported, ErrUnsupportedRoute
//
// API errors {"error","troubleshoot"} become *telephony.ProviderError.
package aircall
