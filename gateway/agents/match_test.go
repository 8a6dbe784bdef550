package agents

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

func TestRings(t *testing.T) {
	ann := &store.User{
		Email:            "ann@example.com",
		Extensions:       store.JSONColumn[[]string]{V: []string{"1001", "+14155550142"}},
		ClientIdentities: store.JSONColumn[[]string]{V: []string{"ann.lee"}},
		Queues:           store.JSONColumn[[]string]{V: []string{"sales", "Support"}},
	}
	route := func(kind telephony.TargetKind, target string) *telephony.Route {
		return &telephony.Route{Kind: kind, Target: target}
	}

	tests := []struct {
		name  string
		route *telephony.Route
		agent string
		want  bool
	}{
		{name: "extension", route: route(telephony.TargetExtension, "1001"), want: true},
		{name: "other extension", route: route(telephony.TargetExtension, "1002"), want: false},
		{name: "client", route: route(telephony.TargetClient, "ann.lee"), want: true},
		{name: "client with prefix", route: route(telephony.TargetClient, "client:ann.lee"), want: true},
		{name: "client is not an extension", route: route(telephony.TargetClient, "1001"), want: false},
		{name: "queue", route: route(telephony.TargetQueue, "sales"), want: true},
		{name: "queue ignores case", route: route(telephony.TargetQueue, "support"), want: true},
		{name: "other queue", route: route(telephony.TargetQueue, "billing"), want: false},
		{name: "extension is not a queue", route: route(telephony.TargetQueue, "1001"), want: false},
		{name: "sip user is an extension", route: route(telephony.TargetSIP, "sip:1001@pbx.example.com"), want: true},
		{name: "sips user is an identity", route: route(telephony.TargetSIP, "sips:ann.lee@pbx.example.com;transport=tls"), want: true},
		{name: "sip other user", route: route(telephony.TargetSIP, "sip:1002@pbx.example.com"), want: false},
		{name: "number is an extension", route: route(telephony.TargetNumber, "+14155550142"), want: true},
		{name: "other number", route: route(telephony.TargetNumber, "+14155550100"), want: false},
		{name: "voicemail", route: route(telephony.TargetVoicemail, "1001"), want: false},
		{name: "hangup", route: route(telephony.TargetHangup, ""), want: false},
		{name: "empty target", route: route(telephony.TargetExtension, ""), want: false},
		{name: "not routed", want: false},
		{name: "answered by identity", agent: "ann.lee", want: true},
		{name: "answered by client", route: route(telephony.TargetQueue, "billing"), agent: "client:ann.lee", want: true},
		{name: "answered by extension", agent: " 1001 ", want: true},
		{name: "answered by sip user", agent: "sip:1001@pbx.example.com", want: true},
		{name: "answered by email", agent: "Ann@Example.com", want: true},
		{name: "answered by another", route: route(telephony.TargetQueue, "billing"), agent: "bo", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Rings(ann, tt.route, tt.agent))
		})
	}
}

func TestCallRingsReadsRouting(t *testing.T) {
	ann := &store.User{Queues: store.JSONColumn[[]string]{V: []string{"sales"}}}
	decision, err := json.Marshal(routing.Decision{Route: telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}})
	require.NoError(t, err)

	require.True(t, CallRings(ann, store.Call{Routing: decision}))
	require.False(t, CallRings(ann, store.Call{}))
	require.False(t, CallRings(ann, store.Call{Routing: json.RawMessage(`{"broken"`)}))
}
