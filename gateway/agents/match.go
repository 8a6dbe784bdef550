package agents

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// Roles of a user.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Rings reports whether a call with route and agent rings user u, so u
// gets its screen pop. route is the route of the call's routing decision,
// nil when the call was never routed, and agent is the call's Agent field,
// the agent, extension or client identity the provider reported.
//
// The route matches by kind:
//
//   - extension: the target is one of u's extensions.
//   - client: the target, without a "client:" prefix, is one of u's client
//     identities.
//   - queue: the target is one of u's queues.
//   - number and sip: the target, or the user part of a SIP URI
//     (sip:1001@pbx.example.com gives 1001), is one of u's extensions or
//     client identities.
//   - voicemail and hangup ring nobody.
//
// The agent matches when, without a "client:" prefix and reduced to the
// user part of a SIP URI, it is one of u's extensions or client identities,
// or u's email. Every comparison ignores case and surrounding spaces.
func Rings(u *store.User, route *telephony.Route, agent string) bool {
	if route != nil && routeRings(u, *route) {
		return true
	}
	if agent = identity(agent); agent == "" {
		return false
	}
	return containsFold(u.Extensions.V, agent) || containsFold(u.ClientIdentities.V, agent) ||
		strings.EqualFold(strings.TrimSpace(u.Email), agent)
}

func routeRings(u *store.User, route telephony.Route) bool {
	target := strings.TrimSpace(route.Target)
	if target == "" {
		return false
	}
	switch route.Kind {
	case telephony.TargetExtension:
		return containsFold(u.Extensions.V, target)
	case telephony.TargetClient:
		return containsFold(u.ClientIdentities.V, identity(target))
	case telephony.TargetQueue:
		return containsFold(u.Queues.V, target)
	case telephony.TargetNumber, telephony.TargetSIP:
		id := identity(target)
		return containsFold(u.Extensions.V, id) || containsFold(u.ClientIdentities.V, id)
	}
	return false
}

// identity strips a "client:" prefix and reduces a SIP URI to its user
// part: "client:ann" and "sip:ann@pbx.example.com;transport=tls" both give
// "ann". Other text is returned trimmed.
func identity(s string) string {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "client:"):
		return s[len("client:"):]
	case strings.HasPrefix(lower, "sips:"):
		s = s[len("sips:"):]
	case strings.HasPrefix(lower, "sip:"):
		s = s[len("sip:"):]
	default:
		return s
	}
	user, _, _ := strings.Cut(s, "@")
	user, _, _ = strings.Cut(user, ";")
	return user
}

func containsFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	return slices.ContainsFunc(list, func(item string) bool { return strings.EqualFold(strings.TrimSpace(item), s) })
}

// callRoute returns the route of the call's routing decision, nil when the
// call was never routed or the stored decision cannot be read.
func callRoute(call store.Call) *telephony.Route {
	if len(call.Routing) == 0 {
		return nil
	}
	var d routing.Decision
	if err := json.Unmarshal(call.Routing, &d); err != nil || d.Route.Kind == "" {
		return nil
	}
	return &d.Route
}

// CallRings reports whether call rings u, as Rings describes.
func CallRings(u *store.User, call store.Call) bool {
	return Rings(u, callRoute(call), call.Agent)
}
