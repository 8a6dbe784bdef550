// Package calllog writes every call that ends into the CRMs of its
// workspace, once per call and CRM connection, and keeps the CRM entry up
// to date as late data arrives.
//
// # What is logged, and where
//
// Each CRM connection with settings.call_log.enabled logs every call of
// its workspace that reaches a final status (answered or not). A call is
// one record however many legs, queues and transfers it had, because the
// call record files every leg under its parent call, so it gets one CRM
// entry per connection. The entry carries the direction, both numbers,
// start time, duration, outcome, the agent's CRM user, recording link,
// notes and a title (see crm.CallLog and each connector for the fields and
// units), plus the fields of the connection's call mapping
// (mapping.ApplyCall).
//
// The CRM record the call is logged on is chosen once and kept:
//
//  1. the caller's Switchboard contact, when it lives in the phonebook this
//     connection syncs into: its external_id is the CRM record id;
//  2. else the CRM's records with the caller's number, newest change first,
//     archived ones left out, the same rule as real-time lookups: a number
//     on several records usually sits on an old duplicate and on the record
//     people work on now. Only the chosen record gets the entry, unless
//     settings.call_log.associate_all_matches is set (HubSpot only);
//  3. else, with unknown_callers "create_contact", a new record with the
//     number; with "no_contact" (the default) the entry has no record.
//     Calls from one number choose their record one at a time per
//     connection, and the service reuses a record it created for 10
//     minutes, so calls that end together, or before the CRM's search
//     finds the new record, share it. The create also drops the number's
//     cached "not found" from the real-time lookups of this instance.
//
// The agent is the one the provider reported, else the target of the
// call's routing decision when it rings one party (an extension, client,
// SIP URI or number, not a queue). Twilio, for one, reports no agent.
// The agent becomes a CRM user by email: the Switchboard user whose
// extension, client identity or email matches the call's agent gives the
// address, and the CRM's user search gives the id. settings.call_log.
// user_map, keyed by agent or email, applies when that finds none.
//
// # Durability and exactly once
//
// The transaction that records a call's end inserts a call_logs row per
// connection and enqueues a drain job of that connection (CallChanged).
// Both commit with the call or not at all. The row and the job wait
// Config.SettleDelay (5 s by default), because providers often send the
// end time or outcome in the event after the one that ended the call, and
// some CRM fields (Pipedrive's end_time) cannot be changed later. A change
// in that window makes the row due at once. Data that changes a logged
// field later (recording, notes, final status, duration) gives every log
// of the call a new revision in the transaction of the change, and the
// drain job sends an update to the stored CRM id. A create is never sent
// for a row that has a CRM id.
//
// Before it sends a create, the job commits create_sent_at. A create
// whose answer is lost (a timeout after sending, a crash, a database
// failure while storing the id) leaves that mark, and the next attempt
// first asks the CRM for an entry carrying the call id (FindCallLog), after
// waiting Config.CreateSearchDelay for the CRM's search index, and creates
// only when there is none. A generic connection without a search request
// fails such a log for an admin to check, rather than risk a duplicate.
//
// NOTE: a create request that the CRM stores after FindCallLog looked,
// such as one stuck in the CRM's queue past CreateSearchDelay, can still
// give a second entry.
//
// # Pace, retries and outages
//
// One drain job per connection works at a time across every instance: it
// holds the connection's lease in call_log_drains, and a drain job that
// finds the lease held returns at once, because the holder sees its logs
// too (it looks once more after releasing the lease). So the connection's
// pace is shared by the whole deployment: at most
// settings.call_log.requests_per_second requests on average, burst at
// once, and max_concurrency in flight
// (crmconn.DefaultCallLogLimits per kind). It takes due rows oldest
// first, in batches.
//
//   - A 429 pauses the drain for Retry-After: up to 5 seconds in the job,
//     longer by snoozing the job (30 seconds when the CRM names no wait).
//     No row uses an attempt.
//   - An unavailable CRM (5xx, timeout, refused connection) counts an
//     attempt on the row that met it and stops the job, which River retries
//     with exponential backoff and jitter (Config.RetryBase doubling up to
//     Config.RetryCap, ±20%). The other rows keep their place, so after an
//     outage the backlog drains oldest first. A row fails after
//     Config.MaxAttempts attempts.
//   - A request the CRM rejects (4xx, rejected credentials) fails the row
//     at once with the CRM's message; an admin fixes the cause and
//     retries it.
//
// A periodic job (SweepInterval, on the River leader) enqueues a drain job
// for every connection with due rows, for rows deferred to a later time
// and for the lease of a drain job that is gone, which lapses a minute
// after its work should have ended. A drain job that failed holds the
// lease for its own backoff, so a process killed during a CRM outage
// delays that connection's logs by that backoff plus a minute, which
// grows with the attempts up to RetryCap.
//
// A drain job killed while running (SIGKILL) stays "running" in River
// until River rescues it, an hour later by default. Its connection does
// not wait for that: the lease lapses DrainBudget plus a minute after its
// last renewal, and the next sweep's drain job takes it, so logs go on
// within about 2.5 minutes with the defaults. The rescued job then finds
// nothing to do. The gateway keeps River's rescue delay, because it must
// exceed the longest job timeout (a CRM sync's 30 minutes) and only jobs
// without a sweep of their own would gain from a shorter one.
//
// # Metrics
//
//	switchboard_crm_call_logs_queued_total            logs created for ended calls
//	switchboard_crm_call_logs_written_total{kind,op}  entries created or updated
//	switchboard_crm_call_logs_failed_total{kind}      logs that failed for good
//	switchboard_crm_call_logs_due                     logs with a create or update due, at scrape
//	switchboard_crm_call_log_queue_age_seconds        age of the oldest due log, at scrape
package calllog
