package calllog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/store"
)

// callStart is the start of most test calls: 2026-03-10 10:00 in Los
// Angeles, the workspace's zone.
var callStart = time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)

func TestEndedCallLoggedOncePerCRM(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.AddContact("+14155550123", "151")
		h.hubspot.AddOwner("ann@example.com", "7001")
		h.pipe.AddOwner("ann@example.com", "9001")
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		logs := h.waitLogged(t, call.ID)

		require.Len(t, h.hubspot.Entries(), 1)
		entry := h.hubspot.Entries()[0]
		require.Equal(t, call.ID, entry.CallID)
		require.Equal(t, []string{"151"}, entry.Associations)
		require.Equal(t, "INBOUND", entry.Fields["hs_call_direction"])
		require.Equal(t, "+14155550123", entry.Fields["hs_call_from_number"])
		require.Equal(t, "+14155550100", entry.Fields["hs_call_to_number"])
		require.Equal(t, "2026-03-10T17:00:00.000Z", entry.Fields["hs_timestamp"])
		require.Equal(t, "95000", entry.Fields["hs_call_duration"], "HubSpot takes milliseconds")
		require.Equal(t, "COMPLETED", entry.Fields["hs_call_status"])
		require.Equal(t, "7001", entry.Fields["hubspot_owner_id"])
		require.Equal(t, "inbound call +14155550123", entry.Fields["hs_call_title"])
		require.Equal(t, entry.ID, logs[h.hubConn.ID].CRMID)
		require.Equal(t, "https://app.hubspot.com/contacts/4242/record/0-1/151", logs[h.hubConn.ID].CRMURL)

		require.Len(t, h.pipe.Entries(), 1)
		log := h.pipe.Entries()[0]
		require.Equal(t, call.ID, log.CallID)
		require.Equal(t, "95", log.Fields["duration"], "Pipedrive takes seconds")
		require.Equal(t, "2026-03-10 17:00:00", log.Fields["start_time"])
		require.Equal(t, "2026-03-10 17:01:40", log.Fields["end_time"])
		require.Equal(t, "connected", log.Fields["outcome"])
		require.Equal(t, float64(9001), log.Fields["user_id"])
		require.NotContains(t, log.Fields, "person_id", "the fake Pipedrive knows no person with the number")
		require.Equal(t, log.ID, logs[h.pipeConn.ID].CRMID)

		events := h.events.loggedEvents()
		require.Len(t, events, 2, "one call.logged per CRM connection")
		for _, ev := range events {
			require.Equal(t, call.ID, ev.Call.ID)
			require.Equal(t, logs[ev.Log.ConnectionID].CRMID, ev.Log.CRMID)
		}
	})
}

func TestMissedCallOutcome(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.start(t)
		call := h.callAt("+14155550123", callStart)
		call.AnsweredAt, call.DurationSeconds, call.Agent = nil, 0, ""
		call = h.endCall(t, call, "missed")
		h.waitLogged(t, call.ID)

		entry := h.hubspot.EntriesOf(call.ID)[0]
		require.Equal(t, "NO_ANSWER", entry.Fields["hs_call_status"])
		require.Equal(t, "0", entry.Fields["hs_call_duration"])
		require.NotContains(t, entry.Fields, "hubspot_owner_id")
		require.Equal(t, "no_answer", h.pipe.EntriesOf(call.ID)[0].Fields["outcome"])
	})
}

func TestLateDataUpdatesSameEntry(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.start(t)
		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		h.waitLogged(t, call.ID)

		h.changeCall(t, call, func(c *store.Call) { c.RecordingURL = "https://api.twilio.com/rec/RE1" })
		_, err := h.svc.SetNotes(h.ctx, h.ws.ID, call.ID, "Wants a quote by Friday.")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			entries := h.hubspot.EntriesOf(call.ID)
			return len(entries) == 1 && strings.Contains(entries[0].Fields["hs_call_body"].(string), "Wants a quote")
		}, waitLimit, 20*time.Millisecond)
		h.waitLogged(t, call.ID)

		hub := h.hubspot.EntriesOf(call.ID)
		require.Len(t, hub, 1, "late data never creates a second entry")
		require.Len(t, h.events.loggedEvents(), 2, "an update sends no second call.logged")
		require.Equal(t, "https://api.twilio.com/rec/RE1", hub[0].Fields["hs_call_recording_url"])
		require.GreaterOrEqual(t, hub[0].Updates, 1)
		pipe := h.pipe.EntriesOf(call.ID)
		require.Len(t, pipe, 1)
		require.Contains(t, pipe[0].Fields["activity.note"], "Wants a quote by Friday.")
		require.Contains(t, pipe[0].Fields["activity.note"], "Recording: https://api.twilio.com/rec/RE1")
	})
}

func TestSettleDelayWritesFinalEndOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.newService(t, func(c *calllog.Config) { c.SettleDelay = time.Second })
		queue := h.newQueue(t) // started after the second change
		call := h.callAt("+14155550123", callStart)
		early := store.Millis(callStart.Add(400 * time.Second))
		call.EndedAt = &early

		call = h.endCall(t, call, "completed")
		pending := h.logsOf(t, call.ID)[h.pipeConn.ID]
		require.Equal(t, time.Second, pending.NextAttemptAt.Sub(pending.CreatedAt.Time), "the log waits for the settle delay")
		ended := store.Millis(callStart.Add(100 * time.Second))
		call.EndedAt = &ended
		h.changeCall(t, call, func(*store.Call) {})
		require.NoError(t, queue.Start(h.ctx))
		h.waitLogged(t, call.ID)

		pipe := h.pipe.EntriesOf(call.ID)
		require.Len(t, pipe, 1)
		require.Equal(t, "2026-03-10 17:01:40", pipe[0].Fields["end_time"], "the first write has the corrected end")
		hub := h.hubspot.EntriesOf(call.ID)
		require.Len(t, hub, 1)
		require.Zero(t, hub[0].Updates, "a change within the settle delay needs no update")
	})
}

func TestCallEndedTwiceQueuesOneLog(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.newQueue(t)
		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		require.NoError(t, h.st.InTx(h.ctx, func(q *store.Queries) error {
			return h.svc.CallChanged(h.ctx, q, store.Call{}, call)
		}))

		logs := h.logsOf(t, call.ID)
		require.Len(t, logs, 2, "one log per connection")
		for _, l := range logs {
			require.Equal(t, store.CallLogPending, l.Status)
			require.Equal(t, int64(1), l.Revision)
		}
	})
}

func TestDisabledConnectionLogsNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.updateCallLog(t, h.pipeConn, func(s *crmconn.CallLogSettings) { s.Enabled = false })
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		logs := h.waitLogged(t, call.ID)

		require.Len(t, logs, 1)
		require.Contains(t, logs, h.hubConn.ID)
		require.Empty(t, h.pipe.Entries())
	})
}

func TestOutageDrainsOldestFirstOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) { s.MaxConcurrency = 1 })
		h.hubspot.SetDown(true)
		h.start(t)

		var calls []store.Call
		for i := range 5 {
			calls = append(calls, h.endCall(t, h.callAt("+14155550123", callStart.Add(time.Duration(i)*time.Minute)), "completed"))
		}
		require.Eventually(t, func() bool {
			return h.logsOf(t, calls[0].ID)[h.hubConn.ID].Attempts >= 2
		}, waitLimit, 20*time.Millisecond, "the first log never met the outage twice")
		first := h.logsOf(t, calls[0].ID)[h.hubConn.ID]
		require.Contains(t, first.LastError, "503")
		require.Equal(t, store.CallLogPending, first.Status)
		require.Zero(t, h.logsOf(t, calls[4].ID)[h.hubConn.ID].Attempts, "later logs wait behind the first")

		h.hubspot.SetDown(false)
		for _, c := range calls {
			h.waitLogged(t, c.ID)
		}

		entries := h.hubspot.Entries()
		require.Len(t, entries, 5)
		require.Zero(t, h.hubspot.Duplicates())
		for i, c := range calls {
			require.Equal(t, c.ID, entries[i].CallID, "entry %d is not the %d-th oldest call", i, i)
		}
	})
}

func TestRateLimitSnoozesWithoutAttempts(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.SetRate(2, 1)
		q := h.start(t)

		var calls []store.Call
		for range 4 {
			calls = append(calls, h.endCall(t, h.callAt("+14155550123", callStart), "completed"))
		}
		for _, c := range calls {
			h.waitLogged(t, c.ID)
		}

		require.Positive(t, h.hubspot.Stats().RateLimited, "the fake never answered 429")
		require.Len(t, h.hubspot.Entries(), 4)
		require.Zero(t, h.hubspot.Duplicates())
		drains, err := q.Client().JobList(h.ctx, river.NewJobListParams().Kinds(calllog.DrainArgs{}.Kind()).
			States(rivertype.JobStateCompleted, rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable).First(100))
		require.NoError(t, err)
		for _, job := range drains.Jobs {
			require.Empty(t, job.Errors, "a 429 snoozes the drain job rather than failing an attempt")
		}
	})
}

func TestRateLimitKeepsDrainBudget(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.newService(t, func(c *calllog.Config) { c.DrainBudget = 300 * time.Millisecond })
		h.hubspot.SetRate(0.001, 1) // one request, then 429 with Retry-After: 1
		q := h.start(t)
		h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		h.endCall(t, h.callAt("+14155550124", callStart), "completed")

		require.Eventually(t, func() bool {
			drains, err := q.Client().JobList(h.ctx, river.NewJobListParams().Kinds(calllog.DrainArgs{}.Kind()).
				States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRunning).First(100))
			require.NoError(t, err)
			for _, job := range drains.Jobs {
				// River counts a job's snoozes in its metadata.
				if strings.Contains(string(job.EncodedArgs), h.hubConn.ID) && strings.Contains(string(job.Metadata), `"snoozes"`) {
					return true
				}
			}
			return false
		}, 20*time.Second, 50*time.Millisecond, "a drain past its budget hands its worker back instead of sleeping again")
	})
}

func TestRateLimitShownInLastError(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.SetRate(0.001, 0) // a burst of 0 rejects every request with 429
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		require.Eventually(t, func() bool {
			return h.logsOf(t, call.ID)[h.hubConn.ID].LastError != ""
		}, waitLimit, 20*time.Millisecond, "the throttled log never got an error")
		throttled := h.logsOf(t, call.ID)[h.hubConn.ID]
		require.Equal(t, "rate limited by the CRM (HTTP 429), retrying in 1s", throttled.LastError)
		require.Equal(t, store.CallLogPending, throttled.Status)
		require.Zero(t, throttled.Attempts, "a rate limit spends no attempt")

		h.hubspot.SetRate(0, 0)
		logged := h.waitLogged(t, call.ID)[h.hubConn.ID]
		require.Empty(t, logged.LastError, "writing the log clears the error")
		require.Zero(t, logged.Attempts)
	})
}

func TestInterruptedCreateFoundNotRepeated(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.HangCreates(1)
		h.pipe.HangCreates(1)
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		logs := h.waitLogged(t, call.ID)

		require.Len(t, h.hubspot.EntriesOf(call.ID), 1)
		require.Len(t, h.pipe.EntriesOf(call.ID), 1)
		require.Equal(t, h.hubspot.EntriesOf(call.ID)[0].ID, logs[h.hubConn.ID].CRMID)
		require.Equal(t, h.pipe.EntriesOf(call.ID)[0].ID, logs[h.pipeConn.ID].CRMID)
		require.Nil(t, logs[h.hubConn.ID].CreateSentAt)
	})
}

// TestWorkerStoppedMidJob stops the queue while a create waits for the
// CRM's response, as a crash would, then starts a new queue: the call is
// logged once.
func TestWorkerStoppedMidJob(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.HangCreates(1)
		first := h.start(t)
		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		require.Eventually(t, func() bool { return len(h.hubspot.Entries()) == 1 }, waitLimit, 10*time.Millisecond)
		require.NoError(t, first.Stop(context.Background()))

		h.start(t)
		logs := h.waitLogged(t, call.ID)

		require.Len(t, h.hubspot.EntriesOf(call.ID), 1)
		require.Equal(t, h.hubspot.EntriesOf(call.ID)[0].ID, logs[h.hubConn.ID].CRMID)
		require.Len(t, h.pipe.EntriesOf(call.ID), 1)
	})
}

func TestUnknownCallerGetsContact(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) { s.UnknownCallers = crmconn.UnknownCallerCreateContact })
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550177", callStart), "completed")
		logs := h.waitLogged(t, call.ID)

		require.Equal(t, 1, h.hubspot.Stats().Contacts)
		require.Equal(t, []string{"901"}, h.hubspot.EntriesOf(call.ID)[0].Associations)
		require.Equal(t, []string{"901"}, logs[h.hubConn.ID].CRMContactIDs.V)
		require.Zero(t, h.pipe.Stats().Contacts, "no_contact is the default")
		require.Empty(t, logs[h.pipeConn.ID].CRMContactIDs.V)
	})
}

func TestUserMapFallback(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) { s.UserMap = map[string]string{"201": "7201"} })
		h.start(t)

		call := h.callAt("+14155550123", callStart)
		call.Agent = "201"
		call = h.endCall(t, call, "completed")
		h.waitLogged(t, call.ID)

		require.Equal(t, "7201", h.hubspot.EntriesOf(call.ID)[0].Fields["hubspot_owner_id"])
		require.NotContains(t, h.pipe.EntriesOf(call.ID)[0].Fields, "user_id")
	})
}

func TestRejectedLogFailsThenRetries(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.RejectCreates("Property values were not valid")
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		skipped := h.endCall(t, h.callAt("+14155550124", callStart), "completed")
		var failed store.CallLog
		require.Eventually(t, func() bool {
			failed = h.logsOf(t, call.ID)[h.hubConn.ID]
			return failed.Status == store.CallLogFailed && h.logsOf(t, skipped.ID)[h.hubConn.ID].Status == store.CallLogFailed
		}, waitLimit, 20*time.Millisecond)
		require.Equal(t, 1, failed.Attempts)
		require.Contains(t, failed.LastError, "Property values were not valid")

		_, err := h.svc.Skip(h.ctx, h.ws.ID, h.logsOf(t, skipped.ID)[h.hubConn.ID].ID)
		require.NoError(t, err)
		h.hubspot.RejectCreates("")
		n, err := h.svc.RetryFailed(h.ctx, h.ws.ID, "")
		require.NoError(t, err)
		require.Equal(t, 1, n, "the skipped log is not failed any more")
		h.waitLogged(t, call.ID)

		require.Len(t, h.hubspot.EntriesOf(call.ID), 1)
		require.Empty(t, h.hubspot.EntriesOf(skipped.ID))
		require.Equal(t, store.CallLogSkipped, h.logsOf(t, skipped.ID)[h.hubConn.ID].Status)
	})
}

func TestBacklogMetrics(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.newQueue(t)
		h.endCall(t, h.callAt("+14155550123", callStart), "completed")

		families, err := h.registry.Gather()
		require.NoError(t, err)
		values := map[string]float64{}
		for _, f := range families {
			if len(f.Metric) == 1 && f.Metric[0].Gauge != nil {
				values[f.GetName()] = f.Metric[0].Gauge.GetValue()
			}
			if len(f.Metric) == 1 && f.Metric[0].Counter != nil {
				values[f.GetName()] = f.Metric[0].Counter.GetValue()
			}
		}
		require.Equal(t, 2.0, values["switchboard_crm_call_logs_due"])
		require.Equal(t, 2.0, values["switchboard_crm_call_logs_queued_total"])
		require.Contains(t, values, "switchboard_crm_call_log_queue_age_seconds")
	})
}
