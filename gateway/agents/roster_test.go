package agents

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

func rosterClient(id, email string, extensions, identities, queues []string) *client {
	c := &client{liveCalls: map[string]struct{}{}}
	c.user.Store(&store.User{
		ID: id, Email: email,
		Extensions:       store.JSONColumn[[]string]{V: extensions},
		ClientIdentities: store.JSONColumn[[]string]{V: identities},
		Queues:           store.JSONColumn[[]string]{V: queues},
	})
	return c
}

func routedCall(id, status string, route telephony.Route, agent string) store.Call {
	decision, _ := json.Marshal(routing.Decision{Route: route})
	return store.Call{ID: id, Status: status, Routing: decision, Agent: agent}
}

// TestRosterFindsWhatRingsFinds checks the index against Rings applied to
// every socket.
func TestRosterFindsWhatRingsFinds(t *testing.T) {
	r := newRoster()
	clients := []*client{
		rosterClient("usr_1", "ann@example.com", []string{"1001"}, []string{"Ann"}, []string{"Sales"}),
		rosterClient("usr_2", "bo@example.com", []string{"1002", "+14155550142"}, nil, []string{"sales", "support"}),
		rosterClient("usr_3", "cy@example.com", nil, []string{"cy"}, nil),
	}
	for _, c := range clients {
		r.add(c)
	}
	routes := []telephony.Route{
		{Kind: telephony.TargetQueue, Target: "SALES"},
		{Kind: telephony.TargetQueue, Target: "support "},
		{Kind: telephony.TargetExtension, Target: "1001"},
		{Kind: telephony.TargetClient, Target: "client:ann"},
		{Kind: telephony.TargetSIP, Target: "sip:1002@pbx.example.com"},
		{Kind: telephony.TargetNumber, Target: "+14155550142"},
		{Kind: telephony.TargetVoicemail},
	}
	agents := []string{"", "cy", "client:cy", "BO@example.com", "sip:1001@pbx", "nobody"}

	for _, route := range routes {
		for _, agent := range agents {
			call := routedCall("call_x", "completed", route, agent)
			var want []*client
			for _, c := range clients {
				if Rings(c.user.Load(), &route, agent) {
					want = append(want, c)
				}
			}

			got := r.recipients(call, &route)

			require.ElementsMatch(t, want, got, "route %+v, agent %q", route, agent)
		}
	}
}

func TestRosterFollowsLiveCalls(t *testing.T) {
	r := newRoster()
	ann := rosterClient("usr_1", "ann@example.com", nil, []string{"ann"}, []string{"sales"})
	bo := rosterClient("usr_2", "bo@example.com", nil, []string{"bo"}, []string{"support"})
	r.add(ann)
	r.add(bo)
	sales := telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}
	support := telephony.Route{Kind: telephony.TargetQueue, Target: "support"}

	require.Equal(t, []*client{ann}, r.recipients(routedCall("call_1", "ringing", sales, ""), &sales))
	require.ElementsMatch(t, []*client{ann, bo}, r.recipients(routedCall("call_1", "answered", support, "bo"), &support),
		"Ann was offered the call, so she learns that Bo took it")
	require.ElementsMatch(t, []*client{ann, bo}, r.recipients(routedCall("call_1", "completed", support, "bo"), &support))
	require.Equal(t, []*client{bo}, r.recipients(routedCall("call_1", "completed", support, "bo"), &support),
		"an ended call leaves the live sets")
	require.Empty(t, r.live)
	require.Empty(t, ann.liveCalls)
}

func TestRosterRemoveAndSetUser(t *testing.T) {
	r := newRoster()
	ann := rosterClient("usr_1", "ann@example.com", nil, nil, []string{"sales"})
	r.add(ann)
	sales := telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}
	support := telephony.Route{Kind: telephony.TargetQueue, Target: "support"}
	r.recipients(routedCall("call_1", "ringing", sales, ""), &sales)

	moved := *ann.user.Load()
	moved.Queues.V = []string{"support"}
	r.setUser(ann, moved)
	require.Empty(t, r.recipients(routedCall("call_2", "ringing", sales, ""), &sales))
	require.Equal(t, []*client{ann}, r.recipients(routedCall("call_3", "ringing", support, ""), &support))

	r.remove(ann)
	require.Empty(t, r.all)
	require.Empty(t, r.byKey)
	require.Empty(t, r.live)
}
