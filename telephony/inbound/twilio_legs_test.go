package inbound_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

const (
	parentCallSid = "CA5a0c2e4f6b8d1f3a5c7e9b0d2f4a6c8e"
	lateRecording = "https://api.twilio.com/2010-04-01/Accounts/" + twilioSID + "/Recordings/RE1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a"
)

// callChange is one call passed to CallLogs.CallChanged.
type callChange struct{ before, after store.Call }

// changeLog is a CallLogs that stores every change passed to it.
type changeLog struct {
	mu      sync.Mutex
	changes []callChange
}

func (c *changeLog) CallChanged(_ context.Context, _ *store.Queries, before, after store.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, callChange{before: before, after: after})
	return nil
}

func (c *changeLog) all() []callChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]callChange(nil), c.changes...)
}

// endings counts the changes that moved a call into a final status, each
// of which queues CRM logs.
func (c *changeLog) endings() int {
	n := 0
	for _, change := range c.all() {
		if telephony.Status(change.after.Status).Final() && !telephony.Status(change.before.Status).Final() {
			n++
		}
	}
	return n
}

// twilioLegs is an inbound service with a clock the test moves and a
// changeLog as its CallLogs.
type twilioLegs struct {
	*harness
	svc  *inbound.Service
	log  *changeLog
	now  time.Time
	conn store.TelephonyConnection
}

func setupTwilioLegs(t *testing.T, st *store.Store) *twilioLegs {
	t.Helper()
	tl := &twilioLegs{harness: setup(t, st), log: &changeLog{}, now: testNow}
	var err error
	tl.svc, err = inbound.New(inbound.Config{
		Store: st, Connections: connections.New(st, tl.keyring), Log: zaptest.NewLogger(t),
		Now: func() time.Time { return tl.now }, CallLogs: tl.log,
	})
	require.NoError(t, err)
	t.Cleanup(tl.svc.Close)
	tl.conn = tl.connection(t, telephony.ProviderTwilio, twilioCreds)
	return tl
}

// post sends the Twilio fixture name to hook at the test's time offset
// seconds after testNow. A fixture with a Timestamp gets that time too.
func (tl *twilioLegs) post(t *testing.T, hook, name string, offset int, edit func(url.Values)) telephony.Answer {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "twilio", "testdata", name))
	require.NoError(t, err)
	params, err := url.ParseQuery(string(body))
	require.NoError(t, err)

	tl.now = testNow.Add(time.Duration(offset) * time.Second)
	if params.Has("Timestamp") {
		params.Set("Timestamp", tl.now.Format(time.RFC1123Z))
	}
	if edit != nil {
		edit(params)
	}

	answer, err := tl.svc.HandleWebhook(tl.ctx, twilioHook(tl.conn, hook, params))
	require.NoError(t, err, "twilio %s %s", hook, name)
	require.Equal(t, http.StatusOK, answer.Status)
	return answer
}

func afterNow(offset int) store.UnixMilli {
	return store.Millis(testNow.Add(time.Duration(offset) * time.Second))
}

func TestTwilioChildLegsMakeOneCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		tl := setupTwilioLegs(t, st)

		tl.post(t, "voice", "voice_inbound.form", 0, nil)
		tl.post(t, "status", "child_ringing.form", 10, nil)
		tl.post(t, "status", "child_in_progress.form", 19, nil)
		tl.post(t, "status", "child_completed.form", 114, nil)

		call, events := tl.onlyCall(t)
		require.Len(t, events, 4)
		require.Equal(t, parentCallSid, call.ProviderCallID)
		require.Equal(t, "answered", call.Status, "the leg's completed must not end the call")
		require.Nil(t, call.EndedAt)
		require.Equal(t, "inbound", call.Direction)
		require.Equal(t, "+14155550123", call.FromE164)
		require.Equal(t, "+14155550100", call.ToE164)
		require.Equal(t, "alice", call.Agent)
		require.Equal(t, afterNow(19), *call.AnsweredAt)
		require.Zero(t, tl.log.endings())

		tl.post(t, "dial", "dial_completed.form", 114, nil)
		tl.post(t, "status", "status_completed.form", 115, nil)

		call, events = tl.onlyCall(t)
		require.Len(t, events, 6)
		require.Equal(t, "completed", call.Status)
		require.Equal(t, afterNow(114), *call.EndedAt)
		require.Equal(t, "inbound", call.Direction)
		require.Equal(t, "+14155550123", call.FromE164)
		require.Equal(t, "alice", call.Agent)
		require.Equal(t, afterNow(19), *call.AnsweredAt)
		require.Equal(t, 95, call.DurationSeconds, "DialCallDuration, not the parent's CallDuration")
		require.Equal(t, 1, tl.log.endings(), "one ending queues one CRM log per connection")
	})
}

// TestTwilioAnsweredWithoutLegCallbacks replays a call whose TwiML asked
// for no child-leg callbacks: the dial hook's DialCallDuration is the only
// report that the agent answered and for how long.
func TestTwilioAnsweredWithoutLegCallbacks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		tl := setupTwilioLegs(t, st)
		setDialCallDuration40 := func(params url.Values) { params.Set("DialCallDuration", "40") }
		setCallDuration48 := func(params url.Values) { params.Set("CallDuration", "48") }

		tl.post(t, "voice", "voice_inbound.form", 0, nil)
		tl.post(t, "dial", "dial_completed.form", 48, setDialCallDuration40)
		tl.post(t, "status", "status_completed.form", 49, setCallDuration48)

		call, events := tl.onlyCall(t)
		require.Len(t, events, 3)
		require.Equal(t, "completed", call.Status)
		require.NotNil(t, call.AnsweredAt)
		require.Equal(t, afterNow(8), *call.AnsweredAt, "the dial hook's time minus the talk time")
		require.Equal(t, afterNow(48), *call.EndedAt)
		require.Equal(t, 40, call.DurationSeconds, "talk time, not the parent's CallDuration")
		require.Equal(t, 1, tl.log.endings())
	})
}

func TestTwilioChildLegNotAnswered(t *testing.T) {
	tl := setupTwilioLegs(t, testdb.Open(t, store.SQLite))

	tl.post(t, "voice", "voice_inbound.form", 0, nil)
	tl.post(t, "status", "child_no_answer.form", 30, nil)

	call, _ := tl.onlyCall(t)
	require.Equal(t, "ringing", call.Status, "the dial hook reports the outcome, not the leg")
	require.Nil(t, call.EndedAt)
	require.Equal(t, "sip:alice@example.sip.twilio.com", call.Agent)

	tl.post(t, "dial", "dial_no_answer.form", 30, nil)

	call, _ = tl.onlyCall(t)
	require.Equal(t, "missed", call.Status)
	require.Equal(t, afterNow(30), *call.EndedAt)
}

// withoutRecording drops the recording of a status callback, so that the
// recording status callback brings it later.
func withoutRecording(params url.Values) {
	params.Del("RecordingUrl")
	params.Del("RecordingSid")
}

func TestTwilioLateRecordingUpdatesEndedCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		tl := setupTwilioLegs(t, st)
		tl.post(t, "voice", "voice_inbound.form", 0, nil)
		tl.post(t, "dial", "dial_completed.form", 95, nil)
		tl.post(t, "status", "status_completed.form", 96, withoutRecording)
		ended, _ := tl.onlyCall(t)
		require.Empty(t, ended.RecordingURL)
		changesBefore := len(tl.log.all())

		answer := tl.post(t, "recording", "recording_completed.form", 180, nil)

		require.Equal(t, twimlEmpty, string(answer.Body))
		call, events := tl.onlyCall(t)
		require.Len(t, events, 4)
		require.Equal(t, lateRecording, call.RecordingURL)
		require.Equal(t, "completed", call.Status)
		require.Equal(t, ended.EndedAt, call.EndedAt)
		require.Equal(t, ended.DurationSeconds, call.DurationSeconds)
		require.Equal(t, afterNow(180), call.LastEventAt)

		// crm/calllog revises the logs of an ended call whose recording
		// changed, so the change must reach CallLogs as final to final.
		changes := tl.log.all()
		require.Len(t, changes, changesBefore+1)
		late := changes[len(changes)-1]
		require.Equal(t, "completed", late.before.Status)
		require.Empty(t, late.before.RecordingURL)
		require.Equal(t, lateRecording, late.after.RecordingURL)
		require.Equal(t, 1, tl.log.endings())

		tl.post(t, "recording", "recording_completed.form", 240, nil)

		_, events = tl.onlyCall(t)
		require.Len(t, events, 4, "a retried callback is stored once")
		require.Len(t, tl.log.all(), changesBefore+1)
	})
}

func TestTwilioRecordingWithoutFileChangesNothing(t *testing.T) {
	tl := setupTwilioLegs(t, testdb.Open(t, store.SQLite))
	tl.post(t, "voice", "voice_inbound.form", 0, nil)
	tl.post(t, "status", "status_completed.form", 96, withoutRecording)
	ended, _ := tl.onlyCall(t)

	answer := tl.post(t, "recording", "recording_absent.form", 180, nil)

	require.Equal(t, twimlEmpty, string(answer.Body))
	call, events := tl.onlyCall(t)
	require.Len(t, events, 2)
	require.Equal(t, comparable(ended), comparable(call))
}

func TestTwilioRecordingOnVoicemailHook(t *testing.T) {
	tl := setupTwilioLegs(t, testdb.Open(t, store.SQLite))
	tl.post(t, "voice", "voice_inbound.form", 0, nil)
	tl.post(t, "status", "status_completed.form", 96, withoutRecording)

	tl.post(t, "voicemail", "recording_completed.form", 180, nil)

	call, _ := tl.onlyCall(t)
	require.Equal(t, "completed", call.Status, "a recording is not a voicemail")
	require.Equal(t, lateRecording, call.RecordingURL)
}
