package inbound

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/telephony"
)

func TestStatusEvents(t *testing.T) {
	tests := []struct {
		name          string
		before, after telephony.Status
		answeredNow   bool
		want          []webhooks.EventType
	}{
		{name: "new ringing call", after: telephony.StatusRinging, want: []webhooks.EventType{webhooks.CallRinging}},
		{name: "answered", before: telephony.StatusRinging, after: telephony.StatusAnswered,
			want: []webhooks.EventType{webhooks.CallAnswered}},
		{name: "completed", before: telephony.StatusAnswered, after: telephony.StatusCompleted,
			want: []webhooks.EventType{webhooks.CallEnded}},
		{name: "missed", before: telephony.StatusRinging, after: telephony.StatusMissed,
			want: []webhooks.EventType{webhooks.CallEnded, webhooks.CallMissed}},
		{name: "busy", before: telephony.StatusRinging, after: telephony.StatusBusy,
			want: []webhooks.EventType{webhooks.CallEnded}},
		{name: "first seen ended", after: telephony.StatusVoicemail, want: []webhooks.EventType{webhooks.CallEnded}},
		{name: "first seen answered", after: telephony.StatusAnswered, want: []webhooks.EventType{webhooks.CallAnswered}},
		{name: "unchanged", before: telephony.StatusRinging, after: telephony.StatusRinging},
		{name: "data only", after: ""},
		{name: "final to final", before: telephony.StatusMissed, after: telephony.StatusCompleted},
		{name: "answered and completed at once", before: telephony.StatusRinging, after: telephony.StatusCompleted,
			answeredNow: true, want: []webhooks.EventType{webhooks.CallAnswered, webhooks.CallEnded}},
		{name: "answer time after answered", before: telephony.StatusAnswered, after: telephony.StatusCompleted,
			answeredNow: true, want: []webhooks.EventType{webhooks.CallEnded}},
		{name: "first seen completed with answer", after: telephony.StatusCompleted, answeredNow: true,
			want: []webhooks.EventType{webhooks.CallAnswered, webhooks.CallEnded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, statusEvents(tt.before, tt.after, tt.answeredNow))
		})
	}
}
