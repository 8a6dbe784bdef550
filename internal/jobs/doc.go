// Package jobs is the gateway's durable job queue. It runs River (v0.51.2)
// on the store's own database, PostgreSQL or SQLite. It is for work that
// must follow a domain change even if the process dies, such as logging a
// call to a CRM or sending an outgoing webhook.
//
// # Guarantees
//
// The tests of this package check each of these on both databases:
//
//   - InsertTx writes the job in the caller's store.InTx transaction: the
//     job exists if and only if the domain change commits.
//   - A job runs at least once. A failed job is retried with backoff until
//     its max attempts, then discarded. A job that returns
//     river.JobSnooze(d), for example from SnoozeForRetryAfter on a 429
//     response, runs again after d without using an attempt.
//   - A job whose process is killed mid-run (SIGKILL) stays "running" in
//     the database. The River leader, once its lease on the dead process
//     lapses, rescues it after RescueStuckJobsAfter and another instance
//     runs it.
//   - Within a queue, jobs run in order of priority (1 first), then
//     scheduled time, then insertion. Each instance runs at most
//     Config.Queues[name] jobs of a queue at once.
//   - Several instances on one database each take different jobs: River
//     locks jobs with FOR UPDATE SKIP LOCKED on PostgreSQL, and SQLite's
//     single writer serialises the fetch.
//
// Because a job can run twice (a process killed after the CRM accepted the
// call but before River marked the job completed), workers must be
// idempotent, for example by sending an idempotency key or checking for an
// earlier write.
//
// # Retries
//
// Production keeps River's default retry policy. The retry after the n-th
// failure waits n^4 seconds, with up to 10% jitter either way (1 s, 16 s,
// 81 s, 256 s, ...). A job is discarded after 25 attempts, about three
// weeks after its first failure. Discarded jobs stay in river_job for seven
// days and completed ones for one day. A job type changes this with
// MaxAttempts in its InsertOpts or a NextRetry method on its worker.
//
// # Adding a job
//
// A feature defines its arguments and worker, registers the worker and its
// queue where the gateway builds the Queue, and enqueues in the transaction
// of the change that causes the job:
//
//	type LogCallArgs struct {
//		CallID string `json:"call_id"`
//	}
//
//	func (LogCallArgs) Kind() string { return "crm_log_call" }
//
//	// InsertOpts sends every LogCallArgs job to the crm queue.
//	func (LogCallArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "crm"} }
//
//	type LogCallWorker struct {
//		river.WorkerDefaults[LogCallArgs]
//		// the connector and store the worker needs
//	}
//
//	func (w *LogCallWorker) Work(ctx context.Context, job *river.Job[LogCallArgs]) error {
//		resp, err := w.send(ctx, job.Args.CallID)
//		if err != nil {
//			return err // retried with backoff
//		}
//		if snooze := jobs.SnoozeForRetryAfter(resp, time.Now()); snooze != nil {
//			return snooze // rate limited: runs again later, same attempt
//		}
//		if resp.StatusCode >= 300 {
//			return fmt.Errorf("CRM returned %s", resp.Status)
//		}
//		return nil
//	}
//
//	// In cmd/switchboard, before jobs.New:
//	workers := river.NewWorkers()
//	river.AddWorker(workers, &LogCallWorker{...})
//	queue, err := jobs.New(jobs.Config{..., Workers: workers,
//		Queues: map[string]int{jobs.DefaultQueue: jobs.DefaultMaxWorkers, "crm": 5}})
//
// A job whose kind has no registered worker cannot be inserted: InsertTx
// returns River's error at once.
//
// # Lifecycle
//
// Migrate runs River's migrations after store.Migrate, from the same place.
// Start starts fetching; Stop stops fetching, waits StopTimeout for running
// jobs, then cancels their contexts. A job that returns its context's error
// then is made available again without using an attempt. The gateway stops
// the queue after HTTP requests have drained and before the store closes.
//
// # Databases
//
// On PostgreSQL River's tables live in the first schema of search_path, and
// its notifications are named after that schema, so several deployments
// can share a database in separate schemas. With Config.ListenURL set, one
// extra connection LISTENs, and a queue fetches as soon as a committed
// insert is announced, at most once per FetchCooldown (100 ms). Without it
// River polls every second. Behind PgBouncer
// in transaction mode LISTEN does not work, so leave ListenURL empty there.
//
// On SQLite River polls its own river_notification table every 50 ms in
// place of LISTEN. The gateway on SQLite is one process. The tests run two
// queues on one SQLite file in one process without error, but several
// processes on one file are neither supported nor tested.
//
// NOTE: River documents its SQLite driver as "in early testing" and
// advises a pool of one connection to avoid SQLITE_BUSY. The store keeps
// its pool of eight: its DSN sets busy_timeout and begins every transaction
// with BEGIN IMMEDIATE, so writers wait for the lock instead of failing.
// SQLITE_BUSY can still surface after the 10 second busy_timeout under a
// long write transaction.
//
// # Metrics
//
//   - switchboard_jobs_worked_total{queue,kind,outcome}: jobs this instance
//     worked, counted from River's events. Outcomes: completed, retryable,
//     discarded, snoozed, cancelled, interrupted.
//   - switchboard_jobs{queue,state}: unfinished jobs of every instance by
//     state (available, scheduled, retryable, running), counted at scrape.
//   - switchboard_jobs_oldest_available_age_seconds{queue}: how long the
//     oldest runnable job of each queue this instance works has waited.
package jobs
