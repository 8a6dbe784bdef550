// Package crmsync copies the contacts of a CRM connection into its
// phonebook, the shadow copy that caller lookups read without asking the
// CRM.
//
// # Runs
//
// Engine.RunOnce reads every record changed since the connection's
// checkpoint through crm.Connector.ListChanged, one page at a time. A run
// without a checkpoint, or into an empty phonebook, passes the zero time
// as since and so reads every record (a full run). Later runs are
// incremental. Each record goes through the connection's field mapping
// (crm/mapping.Apply) and is upserted into the phonebook keyed by
// external_id, the CRM's record id. An archived record deletes its
// contact and leaves a tombstone. The first page a run stores creates the
// phonebook when the connection has none, named after the connection,
// with the CRM kind as its source, so a run that reads nothing creates no
// phonebook.
//
// The next checkpoint is the latest UpdatedAt among the records read, not
// the wall clock: a connector may list changes only up to a bound of its
// own (Salesforce does), and a wall-clock checkpoint would skip what
// changed after that bound. ListChanged includes records changed exactly
// at since, so the records at the checkpoint are read again by the next
// run and count as unchanged.
//
// NOTE: a CRM whose change listing lags behind its writes, as HubSpot's
// search index can by a few seconds, may list a record changed before the
// checkpoint only after the run that set it. Such a record is picked up
// when it changes again, or by a full run.
//
// NOTE: deletions reach the phonebook only as archived records of an
// incremental run. A full run into a phonebook that still has contacts,
// such as the retry of a first run that failed, does not remove contacts
// whose record was deleted in the meantime.
//
// # Interrupted runs
//
// After each page the engine stores the position of the next page in
// crm_sync_state, with the counts of the run so far, so a run that stops
// (a crash, a timeout, a CRM outage) resumes at the last stored page.
// The upserts of a page commit through directory.Service.UpsertRecords just
// before the transaction that stores the deletions and the position, so a
// crash between the two reads that page again. Upserts by external_id and
// deletions of contacts already gone are idempotent, so nothing is lost or
// written twice, but the records of that page then count as unchanged.
//
// # Failures
//
// A record the mapping or the directory rejects, such as one whose every
// phone number is invalid or whose value breaks a custom contact field
// (text such as "42" for an integer field is converted first), counts as
// failed; the first MaxRunErrors reasons are kept with the run, and the
// run goes on. What stops a run:
//
//   - a 429 from the CRM: RunOnce returns the *crm.RateLimitedError, the
//     run stays open and the job is snoozed for Retry-After;
//   - the CRM unreachable, a timeout or a cancelled context: the run is
//     stored as failed with the error, the error wraps ErrRunInterrupted
//     and the job is cancelled. crm_sync_state keeps the run id and its
//     position, so the run the scheduler starts at next_run_at (the end
//     plus sync_interval_seconds), or one requested earlier, reopens the
//     run under its id and resumes at its last stored page;
//   - a database error while recording how the run stopped: the job is
//     retried with River's backoff;
//   - rejected credentials, an OAuth connection not authorized yet, an
//     invalid mapping or a request the CRM refuses: the run fails for
//     good with the reason in last_error, and the error wraps ErrRunFailed.
//     The job is cancelled, and the next scheduled run starts again from
//     the checkpoint.
//
// # Scheduling
//
// Runs are River jobs of kind "crm_sync" on the "crm_sync" queue, unique
// per connection while one is available, scheduled, retrying or running,
// so two runs of one connection never overlap. A periodic job (every
// ScheduleInterval, on the River leader only) enqueues a run for each
// connection with sync_enabled whose next_run_at is due; a run that ends
// sets next_run_at to its end plus sync_interval_seconds. Service.Request
// enqueues a run at once, for POST /v1/crm-connections/{id}/sync.
package crmsync
