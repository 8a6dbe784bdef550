package callrecord_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/callrecord"
)

var t0 = time.Date(2026, 3, 10, 14, 2, 0, 0, time.UTC)

// at returns t0 plus seconds.
func at(seconds int) time.Time { return t0.Add(time.Duration(seconds) * time.Second) }

func millis(seconds int) *store.UnixMilli {
	m := store.Millis(at(seconds))
	return &m
}

var (
	caller = telephony.Party{Raw: "+14155550123", E164: "+14155550123", Kind: "number"}
	dialed = telephony.Party{Raw: "+14155550100", E164: "+14155550100", Kind: "number"}
	agent  = telephony.Party{Raw: "+14155550188", E164: "+14155550188", Kind: "number"}
)

// event returns an inbound event from caller to dialed at second s.
func event(s int, status telephony.Status) telephony.CallEvent {
	return telephony.CallEvent{
		Provider: telephony.ProviderGeneric, ProviderCallID: "c1",
		Direction: telephony.DirectionInbound, From: caller, To: dialed,
		Status: status, OccurredAt: at(s),
	}
}

func routed(s int) telephony.CallEvent {
	ev := event(s, telephony.StatusRinging)
	ev.NeedsRoute = true
	return ev
}

func withDuration(ev telephony.CallEvent, seconds int) telephony.CallEvent {
	ev.DurationSeconds = seconds
	return ev
}

func withTalk(ev telephony.CallEvent, seconds int) telephony.CallEvent {
	ev.TalkSeconds = seconds
	return ev
}

func withRecording(ev telephony.CallEvent, url string) telephony.CallEvent {
	ev.RecordingURL = url
	return ev
}

func withAgent(ev telephony.CallEvent, name string) telephony.CallEvent {
	ev.Agent = name
	return ev
}

// record returns the record of applying events in order to a new call.
func record(events ...telephony.CallEvent) store.Call {
	var call store.Call
	for _, ev := range events {
		callrecord.Apply(&call, ev)
	}
	return call
}

func TestApply(t *testing.T) {
	tests := []struct {
		name        string
		before      []telephony.CallEvent
		event       telephony.CallEvent
		wantChanged bool
		check       func(t *testing.T, call store.Call)
	}{
		{
			name:        "first event starts the call",
			event:       routed(0),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "ringing", call.Status)
				require.Equal(t, "inbound", call.Direction)
				require.Equal(t, "+14155550123", call.FromE164)
				require.Equal(t, "+14155550100", call.ToE164)
				require.Equal(t, store.Millis(at(0)), call.StartedAt)
				require.Equal(t, store.Millis(at(0)), call.LastEventAt)
				require.Nil(t, call.EndedAt)
			},
		},
		{
			name:        "duplicate changes nothing",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered)},
			event:       event(5, telephony.StatusAnswered),
			wantChanged: false,
		},
		{
			name:        "status never moves back",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered)},
			event:       event(7, telephony.StatusRinging),
			wantChanged: true, // last_event_at moves
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "answered", call.Status)
				require.Equal(t, store.Millis(at(7)), call.LastEventAt)
			},
		},
		{
			name:        "earlier event moves started_at",
			before:      []telephony.CallEvent{event(5, telephony.StatusAnswered)},
			event:       routed(0),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "answered", call.Status)
				require.Equal(t, store.Millis(at(0)), call.StartedAt)
				require.Equal(t, store.Millis(at(5)), call.LastEventAt)
			},
		},
		{
			name:        "event without status adds the recording only",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered), event(60, telephony.StatusCompleted)},
			event:       withRecording(event(65, ""), "https://rec.example/1.mp3"),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "completed", call.Status)
				require.Equal(t, millis(60), call.EndedAt)
				require.Equal(t, "https://rec.example/1.mp3", call.RecordingURL)
				require.Equal(t, 55, call.DurationSeconds)
			},
		},
		{
			name:        "duration computed from answer and end",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered)},
			event:       event(47, telephony.StatusCompleted),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, millis(5), call.AnsweredAt)
				require.Equal(t, millis(47), call.EndedAt)
				require.Equal(t, 42, call.DurationSeconds)
			},
		},
		{
			name:        "duration from the provider wins",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered)},
			event:       withDuration(event(47, telephony.StatusCompleted), 40),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, 40, call.DurationSeconds)
			},
		},
		{
			name:        "talk time sets duration and answered_at",
			before:      []telephony.CallEvent{routed(0)},
			event:       withTalk(withDuration(event(48, telephony.StatusCompleted), 48), 40),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "completed", call.Status)
				require.Equal(t, 40, call.DurationSeconds)
				require.Equal(t, millis(8), call.AnsweredAt)
				require.Equal(t, millis(48), call.EndedAt)
			},
		},
		{
			name:        "talk time keeps an earlier answered_at",
			before:      []telephony.CallEvent{routed(0), event(5, telephony.StatusAnswered)},
			event:       withTalk(event(48, telephony.StatusCompleted), 40),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, millis(5), call.AnsweredAt)
				require.Equal(t, 40, call.DurationSeconds)
			},
		},
		{
			name:        "talk time replaces a later answered_at",
			before:      []telephony.CallEvent{routed(0), event(12, telephony.StatusAnswered)},
			event:       withTalk(event(48, telephony.StatusCompleted), 40),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, millis(8), call.AnsweredAt)
			},
		},
		{
			name:        "talk time answers no earlier than the start",
			before:      []telephony.CallEvent{routed(0)},
			event:       withTalk(event(30, telephony.StatusCompleted), 40),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, millis(0), call.AnsweredAt)
				require.Equal(t, 40, call.DurationSeconds)
			},
		},
		{
			name:        "talk time on a missed call is dropped",
			before:      []telephony.CallEvent{routed(0), event(20, telephony.StatusMissed)},
			event:       withTalk(event(48, telephony.StatusCompleted), 40),
			wantChanged: true, // last_event_at moves
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "missed", call.Status)
				require.Nil(t, call.AnsweredAt)
				require.Equal(t, 0, call.DurationSeconds)
			},
		},
		{
			name:        "talk time on a live call sets no answered_at",
			before:      []telephony.CallEvent{routed(0)},
			event:       withTalk(event(30, telephony.StatusRinging), 20),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Nil(t, call.AnsweredAt)
			},
		},
		{
			name:        "specific final beats an earlier completed",
			before:      []telephony.CallEvent{routed(0), withDuration(event(30, telephony.StatusCompleted), 30)},
			event:       event(20, telephony.StatusMissed),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "missed", call.Status)
				require.Equal(t, millis(20), call.EndedAt)
				require.Equal(t, 0, call.DurationSeconds)
				require.Equal(t, store.Millis(at(30)), call.LastEventAt)
			},
		},
		{
			name:        "completed after a specific final is ignored",
			before:      []telephony.CallEvent{routed(0), event(20, telephony.StatusMissed)},
			event:       withDuration(event(30, telephony.StatusCompleted), 30),
			wantChanged: true, // last_event_at moves
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "missed", call.Status)
				require.Equal(t, millis(20), call.EndedAt)
				require.Equal(t, 0, call.DurationSeconds)
			},
		},
		{
			name:        "same final status later keeps ended_at",
			before:      []telephony.CallEvent{routed(0), event(41, telephony.StatusVoicemail)},
			event:       withRecording(event(95, telephony.StatusVoicemail), "https://rec.example/vm.mp3"),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "voicemail", call.Status)
				require.Equal(t, millis(41), call.EndedAt)
				require.Equal(t, "https://rec.example/vm.mp3", call.RecordingURL)
				require.Equal(t, store.Millis(at(95)), call.LastEventAt)
			},
		},
		{
			name:        "same final status earlier moves ended_at",
			before:      []telephony.CallEvent{routed(0), event(95, telephony.StatusVoicemail)},
			event:       event(41, telephony.StatusVoicemail),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, millis(41), call.EndedAt)
				require.Equal(t, store.Millis(at(95)), call.LastEventAt)
			},
		},
		{
			name:        "later of two specific finals wins",
			before:      []telephony.CallEvent{routed(0), event(20, telephony.StatusMissed)},
			event:       withRecording(event(50, telephony.StatusVoicemail), "https://rec.example/vm.mp3"),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "voicemail", call.Status)
				require.Equal(t, millis(50), call.EndedAt)
			},
		},
		{
			name:        "earlier of two specific finals loses",
			before:      []telephony.CallEvent{routed(0), event(50, telephony.StatusVoicemail)},
			event:       event(20, telephony.StatusBusy),
			wantChanged: false,
		},
		{
			name:        "equal times break ties by specificity",
			before:      []telephony.CallEvent{routed(0), event(20, telephony.StatusBusy)},
			event:       event(20, telephony.StatusMissed),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "missed", call.Status)
			},
		},
		{
			name:        "unanswered final clears answered_at",
			before:      []telephony.CallEvent{routed(0), event(1, telephony.StatusAnswered)},
			event:       event(31, telephony.StatusMissed),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Nil(t, call.AnsweredAt)
				require.Equal(t, 0, call.DurationSeconds)
			},
		},
		{
			name:        "answered after an unanswered final is not recorded",
			before:      []telephony.CallEvent{routed(0), event(31, telephony.StatusCancelled)},
			event:       event(2, telephony.StatusAnswered),
			wantChanged: false,
		},
		{
			name:   "later leg keeps the parties",
			before: []telephony.CallEvent{routed(0)},
			event: telephony.CallEvent{
				ProviderCallID: "leg2", ParentCallID: "c1", Direction: telephony.DirectionOutbound,
				From: dialed, To: agent, Status: telephony.StatusAnswered, OccurredAt: at(4),
			},
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "inbound", call.Direction)
				require.Equal(t, "+14155550123", call.FromRaw)
				require.Equal(t, "+14155550100", call.ToRaw)
			},
		},
		{
			name:        "routing event sets the parties",
			before:      []telephony.CallEvent{{Status: telephony.StatusRinging, Direction: telephony.DirectionOutbound, From: dialed, To: agent, OccurredAt: at(0)}},
			event:       routed(0),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "inbound", call.Direction)
				require.Equal(t, "+14155550123", call.FromRaw)
			},
		},
		{
			name:        "empty parties fill nothing",
			before:      []telephony.CallEvent{routed(0)},
			event:       telephony.CallEvent{Status: telephony.StatusAnswered, OccurredAt: at(3)},
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "inbound", call.Direction)
				require.Equal(t, "+14155550123", call.FromRaw)
			},
		},
		{
			name:        "latest agent wins",
			before:      []telephony.CallEvent{routed(0), withAgent(event(2, telephony.StatusRinging), "alice")},
			event:       withAgent(event(6, telephony.StatusAnswered), "bob"),
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "bob", call.Agent)
			},
		},
		{
			name:        "late agent fills only an empty agent",
			before:      []telephony.CallEvent{routed(0), withAgent(event(6, telephony.StatusAnswered), "bob")},
			event:       withAgent(event(2, telephony.StatusRinging), "alice"),
			wantChanged: false,
		},
		{
			name:        "event without a time counts as the latest",
			before:      []telephony.CallEvent{routed(0)},
			event:       telephony.CallEvent{Status: telephony.StatusMissed},
			wantChanged: true,
			check: func(t *testing.T, call store.Call) {
				require.Equal(t, "missed", call.Status)
				require.Equal(t, millis(0), call.EndedAt)
				require.Equal(t, store.Millis(at(0)), call.StartedAt)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := record(tt.before...)

			changed := callrecord.Apply(&call, tt.event)

			require.Equal(t, tt.wantChanged, changed)
			if tt.check != nil {
				tt.check(t, call)
			}
		})
	}
}

func TestApplyLeavesIdentityAndRouting(t *testing.T) {
	contact := "ct_1"
	call := store.Call{
		ID: "call_1", WorkspaceID: "ws_1", ConnectionID: "tc_1", Provider: "twilio", ProviderCallID: "CA1",
		ContactID: &contact, Routing: []byte(`{"rule_index":0}`),
	}

	callrecord.Apply(&call, routed(0))

	require.Equal(t, "call_1", call.ID)
	require.Equal(t, "CA1", call.ProviderCallID)
	require.Equal(t, &contact, call.ContactID)
	require.JSONEq(t, `{"rule_index":0}`, string(call.Routing))
}

// scenario is the events of one call as a provider reports them, in the
// order they happened, and the record they must give. rebuildOnly marks a
// scenario whose record only Rebuild gives, because Apply in order lets a
// duration replace an earlier talk time.
type scenario struct {
	name        string
	events      []telephony.CallEvent
	want        store.Call
	rebuildOnly bool
}

func scenarios() []scenario {
	twilioDial := event(25, telephony.StatusMissed)
	twilioDial.ProviderEventID = "c1/dial"

	twilioTalk := withTalk(event(48, telephony.StatusCompleted), 40)
	twilioTalk.ProviderEventID = "c1/dial"

	vonageLeg := func(s int, status telephony.Status) telephony.CallEvent {
		return telephony.CallEvent{
			ProviderCallID: "leg2", ParentCallID: "CON-1", Direction: telephony.DirectionOutbound,
			From: dialed, To: agent, Status: status, OccurredAt: at(s),
		}
	}

	return []scenario{
		{
			name: "twilio missed",
			events: []telephony.CallEvent{
				routed(0),
				twilioDial,
				withDuration(event(26, telephony.StatusCompleted), 26),
			},
			want: store.Call{
				Direction: "inbound", FromRaw: caller.Raw, FromE164: caller.E164, ToRaw: dialed.Raw, ToE164: dialed.E164,
				Status: "missed", StartedAt: store.Millis(at(0)), EndedAt: millis(25), LastEventAt: store.Millis(at(26)),
			},
		},
		{
			name: "telnyx answered with recording",
			events: []telephony.CallEvent{
				routed(0),
				event(4, telephony.StatusAnswered),
				withAgent(telephony.CallEvent{Status: telephony.StatusAnswered, OccurredAt: at(5)}, "sip:101@sip.telnyx.com"),
				event(65, telephony.StatusCompleted),
				withRecording(telephony.CallEvent{OccurredAt: at(66)}, "https://rec.example/1.mp3"),
			},
			want: store.Call{
				Direction: "inbound", FromRaw: caller.Raw, FromE164: caller.E164, ToRaw: dialed.Raw, ToE164: dialed.E164,
				Status: "completed", Agent: "sip:101@sip.telnyx.com", StartedAt: store.Millis(at(0)),
				AnsweredAt: millis(4), EndedAt: millis(65), DurationSeconds: 61,
				RecordingURL: "https://rec.example/1.mp3", LastEventAt: store.Millis(at(66)),
			},
		},
		{
			name: "vonage agent leg timed out",
			events: []telephony.CallEvent{
				routed(0),
				event(1, telephony.StatusAnswered),
				vonageLeg(2, telephony.StatusRinging),
				vonageLeg(32, telephony.StatusMissed),
				withDuration(event(33, telephony.StatusCompleted), 33),
			},
			want: store.Call{
				Direction: "inbound", FromRaw: caller.Raw, FromE164: caller.E164, ToRaw: dialed.Raw, ToE164: dialed.E164,
				Status: "missed", StartedAt: store.Millis(at(0)), EndedAt: millis(32), LastEventAt: store.Millis(at(33)),
			},
		},
		{
			name: "aircall voicemail",
			events: []telephony.CallEvent{
				routed(0),
				withAgent(event(2, telephony.StatusRinging), "alice@example.com"),
				withAgent(event(2, telephony.StatusRinging), "bob@example.com"),
				withRecording(event(40, telephony.StatusVoicemail), "https://rec.example/vm.mp3"),
				event(41, telephony.StatusVoicemail),
				withRecording(withDuration(event(70, telephony.StatusVoicemail), 38), "https://rec.example/vm2.mp3"),
			},
			want: store.Call{
				Direction: "inbound", FromRaw: caller.Raw, FromE164: caller.E164, ToRaw: dialed.Raw, ToE164: dialed.E164,
				Status: "voicemail", Agent: "bob@example.com", StartedAt: store.Millis(at(0)), EndedAt: millis(40),
				DurationSeconds: 38, RecordingURL: "https://rec.example/vm2.mp3", LastEventAt: store.Millis(at(70)),
			},
		},
		{
			name: "twilio answered without leg callbacks",
			events: []telephony.CallEvent{
				routed(0),
				twilioTalk,
				withDuration(event(49, telephony.StatusCompleted), 49),
			},
			want: store.Call{
				Direction: "inbound", FromRaw: caller.Raw, FromE164: caller.E164, ToRaw: dialed.Raw, ToE164: dialed.E164,
				Status: "completed", StartedAt: store.Millis(at(0)), AnsweredAt: millis(8), EndedAt: millis(48),
				DurationSeconds: 40, LastEventAt: store.Millis(at(49)),
			},
			rebuildOnly: true,
		},
	}
}

func TestApplyInOrder(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if sc.rebuildOnly {
				t.Skip("Apply in order lets a later duration replace the talk time")
			}
			require.Equal(t, sc.want, record(sc.events...))
		})
	}
}

// TestRebuildConverges rebuilds each scenario from every order of its
// events, with the second event delivered twice.
func TestRebuildConverges(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			events := append(sc.events, sc.events[1])
			count := 0
			permute(events, func(order []telephony.CallEvent) {
				count++
				var call store.Call
				callrecord.Rebuild(&call, order)
				require.Equal(t, sc.want, call, "order %d: %s", count, describe(order))
			})
			require.Equal(t, factorial(len(events)), count)
		})
	}
}

// TestApplyStatusConverges applies each scenario's events in every order
// without Rebuild: status and times must still converge.
func TestApplyStatusConverges(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			permute(sc.events, func(order []telephony.CallEvent) {
				call := record(order...)
				require.Equal(t, sc.want.Status, call.Status, describe(order))
				require.Equal(t, sc.want.StartedAt, call.StartedAt, describe(order))
				require.Equal(t, sc.want.EndedAt, call.EndedAt, describe(order))
				require.Equal(t, sc.want.LastEventAt, call.LastEventAt, describe(order))
			})
		})
	}
}

func TestRebuildReportsChange(t *testing.T) {
	sc := scenarios()[1]
	var call store.Call
	require.True(t, callrecord.Rebuild(&call, sc.events[:2]))

	require.False(t, callrecord.Rebuild(&call, sc.events[:2]), "same events again")
	require.True(t, callrecord.Rebuild(&call, sc.events), "more events")
	require.False(t, callrecord.Rebuild(&call, append(sc.events, sc.events[0])), "a duplicate")
}

func TestRebuildKeepsInput(t *testing.T) {
	events := []telephony.CallEvent{event(9, telephony.StatusCompleted), routed(0)}
	var call store.Call

	callrecord.Rebuild(&call, events)

	require.Equal(t, telephony.StatusCompleted, events[0].Status)
}

func TestSortEvents(t *testing.T) {
	recording := withRecording(telephony.CallEvent{OccurredAt: at(0)}, "https://rec.example/1.mp3")
	completed := event(0, telephony.StatusCompleted)
	answered := event(0, telephony.StatusAnswered)
	ringing := event(0, telephony.StatusRinging)
	route := routed(0)
	earlier := event(-1, telephony.StatusMissed)
	events := []telephony.CallEvent{recording, completed, answered, ringing, route, earlier}

	callrecord.SortEvents(events)

	require.Equal(t, []telephony.CallEvent{earlier, route, ringing, answered, completed, recording}, events)
}

func TestUnanswered(t *testing.T) {
	for status, want := range map[telephony.Status]bool{
		telephony.StatusMissed: true, telephony.StatusBusy: true, telephony.StatusFailed: true, telephony.StatusCancelled: true,
		telephony.StatusCompleted: false, telephony.StatusVoicemail: false, telephony.StatusAnswered: false, telephony.StatusRinging: false,
	} {
		require.Equal(t, want, callrecord.Unanswered(status), string(status))
	}
}

// permute calls fn with every order of events (Heap's algorithm). fn must
// not keep the slice.
func permute(events []telephony.CallEvent, fn func([]telephony.CallEvent)) {
	order := append([]telephony.CallEvent(nil), events...)
	var generate func(n int)
	generate = func(n int) {
		if n <= 1 {
			fn(order)
			return
		}
		for i := 0; i < n-1; i++ {
			generate(n - 1)
			if n%2 == 0 {
				order[i], order[n-1] = order[n-1], order[i]
			} else {
				order[0], order[n-1] = order[n-1], order[0]
			}
		}
		generate(n - 1)
	}
	generate(len(order))
}

func factorial(n int) int {
	if n <= 1 {
		return 1
	}
	return n * factorial(n-1)
}

func describe(events []telephony.CallEvent) string {
	out := ""
	for _, ev := range events {
		out += fmt.Sprintf("[%s %q] ", ev.OccurredAt.Sub(t0), ev.Status)
	}
	return out
}
