// Package callrecord builds the record of one call, a store.Call, from the
// normalised events that providers report for it. It is pure: no I/O, no
// clock.
//
// Providers send events late, twice and out of order. Rebuild folds all
// events of a call in one fixed order (see SortEvents), so every arrival
// order and every duplicate gives the same record. Apply merges one event
// and is what Rebuild folds with.
//
// # Rules
//
//   - started_at is the earliest event, last_event_at the latest.
//   - Status moves up the ranks ringing < answered < final and never
//     back. Among final statuses, completed only says that the call ended,
//     so a more specific outcome (missed, busy, failed, cancelled,
//     voicemail) wins over it whatever the order: a Twilio status callback
//     reports "completed" after its dial hook reported "missed". Between two
//     final statuses of the same kind the later event wins, and at equal
//     times the order completed < failed < cancelled < busy < missed <
//     voicemail decides.
//   - ended_at is the time of the event that set the final status. An
//     event that reports the final status the call already has does not
//     move ended_at later, because it reports the same end again. Examples
//     are a Telnyx call.recording.saved of a voicemail after the
//     call.hangup and an Aircall call.ended after call.hungup. The earliest
//     such event gives ended_at.
//   - answered_at is the earliest answered event. A call that ends missed,
//     busy, failed or cancelled has no answered_at and a duration of 0,
//     because nobody talked: Vonage, for one, reports the caller's leg as
//     answered before an agent is rung.
//   - Direction, from and to come from the event that asked for a route,
//     else from the first event that carries them. Later legs (an agent
//     leg under its own id) never overwrite them.
//   - Agent, recording URL and duration take the value of the latest event
//     that reports one. An event without a status only adds these.
//   - Talk time wins over duration whatever the order. An event's
//     TalkSeconds counts as the duration it reports. In Rebuild, the
//     latest event with a talk time sets the duration of a call that
//     ended and was talked on, even when an event with only a duration
//     comes later. Twilio needs this rule because the CallDuration of its
//     status callback includes the time before the agent answered and
//     arrives after the DialCallDuration of its dial hook.
//   - An event with talk time T at time t on a call that ended and was
//     talked on makes t minus T, but not earlier than started_at, a
//     candidate for answered_at, so a call reported answered only by its
//     talk time still gets answered_at. The earliest candidate wins, as
//     among answered events.
//   - Without a duration from the provider, an answered call that ended
//     gets ended_at minus answered_at, in whole seconds.
package callrecord

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Apply merges ev into call and reports whether a field that events set
// changed. It does not touch the ids, the contact fields or the routing
// decision. ev.OccurredAt must be set; the caller fills it with the time of
// receipt when the provider sends none.
//
// Applied in the order of SortEvents, Apply gives the record the rules of
// the package describe, except that a duration applied after a talk time
// replaces it, because only Rebuild has all events to let talk time win. In
// another order the status, started_at, ended_at and last_event_at still
// converge, but agent, recording URL, duration and the parties may differ,
// so use Rebuild for events that arrive late.
func Apply(call *store.Call, ev telephony.CallEvent) bool {
	before := fieldsOf(call)

	at := eventTime(call, ev)
	latest := call.LastEventAt.IsZero() || !at.Before(call.LastEventAt.Time)

	applyTimes(call, at)
	applyParties(call, ev)
	applyStatus(call, ev.Status, at)
	applyTalkAnswer(call, ev.TalkSeconds, at)
	applyDetails(call, ev, latest)
	applyDuration(call, reportedDuration(ev), latest)

	return fieldsOf(call) != before
}

// eventTime returns the time Apply files ev at: its OccurredAt, or the
// call's last_event_at for an event without a time.
func eventTime(call *store.Call, ev telephony.CallEvent) store.UnixMilli {
	if ev.OccurredAt.IsZero() {
		return call.LastEventAt
	}
	return store.Millis(ev.OccurredAt)
}

// reportedDuration returns the talk time of ev when it reports one, and
// otherwise its duration.
func reportedDuration(ev telephony.CallEvent) int {
	if ev.TalkSeconds > 0 {
		return ev.TalkSeconds
	}
	return ev.DurationSeconds
}

// Rebuild resets the fields that events set, applies events in the order
// of SortEvents and reports whether any of those fields differ from
// before. events may hold duplicates and need not be sorted; the slice is
// not modified.
func Rebuild(call *store.Call, events []telephony.CallEvent) bool {
	before := fieldsOf(call)

	sorted := slices.Clone(events)
	SortEvents(sorted)
	reset(call)
	var talk talkTime
	for _, ev := range sorted {
		if ev.TalkSeconds > 0 {
			talk = talkTime{seconds: ev.TalkSeconds, at: eventTime(call, ev)}
		}
		Apply(call, ev)
	}
	preferTalkTime(call, talk)

	return fieldsOf(call) != before
}

// talkTime is the talk time of an event and the time Apply filed it at.
type talkTime struct {
	seconds int
	at      store.UnixMilli
}

// preferTalkTime makes talk, the latest talk time of the call's events, the
// duration of a call that ended and was talked on, over any duration that
// an event applied after it reported. A zero talk changes nothing.
func preferTalkTime(call *store.Call, talk talkTime) {
	status := telephony.Status(call.Status)
	if talk.seconds <= 0 || !status.Final() || Unanswered(status) {
		return
	}
	call.DurationSeconds = talk.seconds
	applyTalkAnswer(call, talk.seconds, talk.at)
}

// applyTalkAnswer makes at minus talkSeconds, but not earlier than
// started_at, the answered_at of a call that ended and was talked on, when
// no earlier answered_at is known.
func applyTalkAnswer(call *store.Call, talkSeconds int, at store.UnixMilli) {
	status := telephony.Status(call.Status)
	if talkSeconds <= 0 || !status.Final() || Unanswered(status) {
		return
	}

	answered := store.Millis(at.Add(-time.Duration(talkSeconds) * time.Second))
	if answered.Before(call.StartedAt.Time) {
		answered = call.StartedAt
	}
	if call.AnsweredAt == nil || answered.Before(call.AnsweredAt.Time) {
		call.AnsweredAt = &answered
	}
}

// SortEvents orders events by occurrence time. At equal times an event
// that asks for a route comes first, then lower status ranks (ringing,
// answered, final) and events without a status last; remaining ties are
// broken by the events' JSON encoding, so the order is total.
func SortEvents(events []telephony.CallEvent) {
	type keyed struct {
		ev  telephony.CallEvent
		key []byte
	}
	items := make([]keyed, len(events))
	for i, ev := range events {
		key, _ := json.Marshal(ev) // CallEvent holds strings, ints, bools and a time
		items[i] = keyed{ev: ev, key: key}
	}

	slices.SortFunc(items, func(a, b keyed) int {
		if c := a.ev.OccurredAt.Compare(b.ev.OccurredAt); c != 0 {
			return c
		}
		if a.ev.NeedsRoute != b.ev.NeedsRoute {
			if a.ev.NeedsRoute {
				return -1
			}
			return 1
		}
		if c := sortRank(a.ev.Status) - sortRank(b.ev.Status); c != 0 {
			return c
		}
		return bytes.Compare(a.key, b.key)
	})

	for i, item := range items {
		events[i] = item.ev
	}
}

// sortRank places events without a status after those with one, because
// they only add details to what the status events set.
func sortRank(s telephony.Status) int {
	if s == "" {
		return 4
	}
	return rank(s)
}

// rank orders statuses: 0 for none, 1 ringing, 2 answered, 3 final.
func rank(s telephony.Status) int {
	switch {
	case s == "":
		return 0
	case s == telephony.StatusRinging:
		return 1
	case s == telephony.StatusAnswered:
		return 2
	default:
		return 3
	}
}

// finalOrder breaks ties between final statuses: completed is the least
// specific outcome, voicemail the most. Unknown statuses rank with
// completed.
var finalOrder = []telephony.Status{
	telephony.StatusCompleted,
	telephony.StatusFailed,
	telephony.StatusCancelled,
	telephony.StatusBusy,
	telephony.StatusMissed,
	telephony.StatusVoicemail,
}

func specific(s telephony.Status) bool {
	return slices.Index(finalOrder, s) > 0
}

// Unanswered reports whether a call that ended with status s was never
// talked on: missed, busy, failed or cancelled.
func Unanswered(s telephony.Status) bool {
	switch s {
	case telephony.StatusMissed, telephony.StatusBusy, telephony.StatusFailed, telephony.StatusCancelled:
		return true
	default:
		return false
	}
}

func applyTimes(call *store.Call, at store.UnixMilli) {
	if call.StartedAt.IsZero() || at.Before(call.StartedAt.Time) {
		call.StartedAt = at
	}
	if at.After(call.LastEventAt.Time) {
		call.LastEventAt = at
	}
}

// applyParties sets direction, from and to from the routing event, and
// otherwise only fills what is still empty.
func applyParties(call *store.Call, ev telephony.CallEvent) {
	if ev.Direction != "" && (ev.NeedsRoute || call.Direction == "") {
		call.Direction = string(ev.Direction)
	}
	if ev.From.Raw != "" && (ev.NeedsRoute || call.FromRaw == "") {
		call.FromRaw, call.FromE164 = ev.From.Raw, ev.From.E164
	}
	if ev.To.Raw != "" && (ev.NeedsRoute || call.ToRaw == "") {
		call.ToRaw, call.ToE164 = ev.To.Raw, ev.To.E164
	}
}

func applyStatus(call *store.Call, status telephony.Status, at store.UnixMilli) {
	if status == "" {
		return
	}

	switch {
	// NOTE: a Vonage agent leg shares the caller's conversation, so when
	// a transfer ends it, the call gets that ended_at, and the caller's
	// later completed event no longer moves it to the real end.
	case status.Final() && string(status) == call.Status:
		if call.EndedAt == nil || at.Before(call.EndedAt.Time) {
			ended := at
			call.EndedAt = &ended
		}
	case outranks(status, at, call):
		call.Status = string(status)
		if status.Final() {
			ended := at
			call.EndedAt = &ended
		}
	}

	current := telephony.Status(call.Status)
	switch {
	case Unanswered(current):
		call.AnsweredAt = nil
	case status == telephony.StatusAnswered && (call.AnsweredAt == nil || at.Before(call.AnsweredAt.Time)):
		answered := at
		call.AnsweredAt = &answered
	}
}

// outranks reports whether status, reported at at, replaces the status of
// call.
func outranks(status telephony.Status, at store.UnixMilli, call *store.Call) bool {
	current := telephony.Status(call.Status)
	if rank(status) != rank(current) {
		return rank(status) > rank(current)
	}
	if !status.Final() {
		return false
	}

	if specific(status) != specific(current) {
		return specific(status)
	}
	if call.EndedAt != nil && !at.Equal(call.EndedAt.Time) {
		return at.After(call.EndedAt.Time)
	}
	return slices.Index(finalOrder, status) > slices.Index(finalOrder, current)
}

func applyDetails(call *store.Call, ev telephony.CallEvent, latest bool) {
	if ev.Agent != "" && (latest || call.Agent == "") {
		call.Agent = ev.Agent
	}
	if ev.RecordingURL != "" && (latest || call.RecordingURL == "") {
		call.RecordingURL = ev.RecordingURL
	}
}

// applyDuration keeps the latest duration a provider reported, computes one
// from the answer and end times when none was reported, and clears it for
// a call nobody talked on.
func applyDuration(call *store.Call, reported int, latest bool) {
	status := telephony.Status(call.Status)
	switch {
	case Unanswered(status):
		call.DurationSeconds = 0
	case reported > 0 && (latest || call.DurationSeconds == 0):
		call.DurationSeconds = reported
	case call.DurationSeconds == 0 && status.Final() && call.AnsweredAt != nil && call.EndedAt != nil:
		talk := call.EndedAt.Sub(call.AnsweredAt.Time)
		call.DurationSeconds = int(max(talk, 0) / time.Second)
	}
}

// reset zeroes the fields that events set.
func reset(call *store.Call) {
	call.Direction = ""
	call.FromRaw, call.FromE164 = "", ""
	call.ToRaw, call.ToE164 = "", ""
	call.Status = ""
	call.Agent = ""
	call.StartedAt = store.UnixMilli{}
	call.AnsweredAt, call.EndedAt = nil, nil
	call.DurationSeconds = 0
	call.RecordingURL = ""
	call.LastEventAt = store.UnixMilli{}
}

// fields is the comparable form of the fields that events set.
type fields struct {
	direction, fromRaw, fromE164, toRaw, toE164, status, agent, recordingURL string
	startedAt, answeredAt, endedAt, lastEventAt                              int64
	duration                                                                 int
	answered, ended                                                          bool
}

func fieldsOf(call *store.Call) fields {
	f := fields{
		direction: call.Direction, fromRaw: call.FromRaw, fromE164: call.FromE164,
		toRaw: call.ToRaw, toE164: call.ToE164, status: call.Status, agent: call.Agent,
		recordingURL: call.RecordingURL, startedAt: call.StartedAt.UnixMilli(),
		lastEventAt: call.LastEventAt.UnixMilli(), duration: call.DurationSeconds,
	}
	if call.AnsweredAt != nil {
		f.answered, f.answeredAt = true, call.AnsweredAt.UnixMilli()
	}
	if call.EndedAt != nil {
		f.ended, f.endedAt = true, call.EndedAt.UnixMilli()
	}
	return f
}
