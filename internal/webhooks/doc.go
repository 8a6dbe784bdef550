// Package webhooks sends the workspace's events to the endpoints of
// integration platforms that subscribed to them: calls ringing, answered,
// ended and missed, and contacts and phonebooks created, updated and
// deleted.
//
// # Recording an event
//
// Domain services call Emitter.Emit inside the transaction of the change:
// the event, one delivery per subscription that receives it, and one job
// per delivery are written with the change, so they exist if and only if
// it commits. An event is recorded only when at least one enabled
// subscription receives it; webhook.disabled is always recorded.
//
// # A delivery
//
// A delivery is a POST of the event to the subscription's URL:
//
//	{"id": "evt_...", "type": "contact.created", "created_at": "2026-03-10T12:00:00.250Z", "data": {...}}
//
// data is the object as the API shows it at the time of the event. The
// headers follow Standard Webhooks (https://www.standardwebhooks.com):
//
//   - webhook-id is the event id, the same on every attempt and
//     redelivery, so a receiver can drop repeats.
//   - webhook-timestamp is the Unix time of the attempt, in seconds.
//   - webhook-signature is "v1," and the base64 HMAC-SHA256 of
//     "{webhook-id}.{webhook-timestamp}.{body}", keyed with the
//     base64-decoded part of the subscription's whsec_ secret. After
//     RotateSecret it carries two space-separated signatures, the new
//     secret's first, until the overlap ends.
//
// Only a 2xx response is a success. A redirect is not followed and counts
// as a failure, as do timeouts and connection errors.
//
// # Retries
//
// Deliveries are at least once: a failed attempt is retried on the job
// queue after 1 min, 5 min, 30 min, 2 h, 5 h, 8 h and 8 h
// (DefaultRetrySchedule), each step plus 0 to 10% jitter, so the eighth
// and last attempt comes about 24 hours after the first. A 429 or 503
// response whose Retry-After asks for a longer wait gets that wait
// instead, up to a day, without using an attempt. A process that dies
// after sending but before recording the attempt sends it again. The
// delivery log keeps every attempt with its time, status code, latency
// and error.
//
// When every attempt to a subscription has failed for DefaultDisableAfter
// (24 hours, counted from the first failure after the last success), the
// next failed attempt disables the subscription, as does a 410 Gone
// response. Disabling gives up the delivery and records a webhook.disabled
// event that the workspace's other subscriptions may receive. Deliveries still queued for it are given up
// when their turn comes. Enabling the subscription again clears its
// failure record; events that happened while it was disabled were not
// recorded for it, and RedeliverSince sends the earlier ones again.
//
// NOTE: events, deliveries and attempts are kept until their subscription
// or workspace is deleted; nothing prunes old ones yet, so a busy
// workspace's tables grow without bound.
//
// # Outbound safety
//
// A Guard keeps deliveries away from the gateway's own host and networks.
// A URL must be http or https, without a user name, password or fragment,
// and every address its host resolves to must be public: loopback,
// private, link-local, unique-local, CGNAT, multicast, reserved and cloud
// metadata addresses are rejected (see blockedRanges), unless the
// operator's allow list (SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS) names the
// network or the host. The check runs when a subscription is saved and
// again on every connect, on the address actually dialled, because DNS
// answers can change. Deliveries use no proxy, connect within 5 s, finish
// within 10 s, and read at most 4 KiB of a response.
//
// # Metrics
//
//	switchboard_webhook_attempts_total{outcome}          delivery requests sent: succeeded or failed
//	switchboard_webhook_subscriptions_disabled_total     subscriptions disabled after failing too long
package webhooks
