package agents

import (
	"strings"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// roster is the sockets of one workspace on this instance, indexed by the
// extensions, client identities, queues, email and id of their users, so
// a call change looks at the sockets it may ring instead of all of them.
// The hub's mutex guards it.
type roster struct {
	all   map[*client]struct{}
	byKey map[string]map[*client]struct{}
	// live holds, by call id, the sockets sent that call while it was
	// ringing or answered, so they get its later changes even when the
	// call no longer rings their user, as when another agent answers a
	// call first offered to this one.
	live map[string]map[*client]struct{}
}

func newRoster() *roster {
	return &roster{all: map[*client]struct{}{}, byKey: map[string]map[*client]struct{}{}, live: map[string]map[*client]struct{}{}}
}

// Index key prefixes.
const (
	keyExtension = "x:"
	keyIdentity  = "i:"
	keyQueue     = "q:"
	keyEmail     = "m:"
	keyUser      = "u:"
)

// fold returns the index form of s: trimmed and case-folded, so strings
// that strings.EqualFold finds equal share it in practice. Rings decides
// in the end, so the index only has to find every candidate.
func fold(s string) string {
	return strings.ToLower(strings.ToUpper(strings.TrimSpace(s)))
}

// userKeys returns the index keys of u.
func userKeys(u *store.User) []string {
	keys := []string{keyUser + u.ID, keyEmail + fold(u.Email)}
	for _, e := range u.Extensions.V {
		keys = append(keys, keyExtension+fold(e))
	}
	for _, id := range u.ClientIdentities.V {
		keys = append(keys, keyIdentity+fold(id))
	}
	for _, q := range u.Queues.V {
		keys = append(keys, keyQueue+fold(q))
	}
	return keys
}

// callKeys returns the index keys of the users a call with route and agent
// may ring, as Rings matches them.
func callKeys(route *telephony.Route, agent string) []string {
	var keys []string
	if route != nil {
		target := route.Target
		switch route.Kind {
		case telephony.TargetExtension:
			keys = append(keys, keyExtension+fold(target))
		case telephony.TargetClient:
			keys = append(keys, keyIdentity+fold(identity(target)))
		case telephony.TargetQueue:
			keys = append(keys, keyQueue+fold(target))
		case telephony.TargetNumber, telephony.TargetSIP:
			id := fold(identity(target))
			keys = append(keys, keyExtension+id, keyIdentity+id)
		}
	}
	if a := fold(identity(agent)); a != "" {
		keys = append(keys, keyExtension+a, keyIdentity+a, keyEmail+a)
	}
	return keys
}

func (r *roster) add(c *client) {
	r.all[c] = struct{}{}
	for _, k := range userKeys(c.user.Load()) {
		addTo(r.byKey, k, c)
	}
}

func (r *roster) remove(c *client) {
	delete(r.all, c)
	for _, k := range userKeys(c.user.Load()) {
		removeFrom(r.byKey, k, c)
	}
	for id := range c.liveCalls {
		removeFrom(r.live, id, c)
	}
	c.liveCalls = map[string]struct{}{}
}

// setUser replaces the user of c and indexes it anew.
func (r *roster) setUser(c *client, u store.User) {
	for _, k := range userKeys(c.user.Load()) {
		removeFrom(r.byKey, k, c)
	}
	c.user.Store(&u)
	for _, k := range userKeys(&u) {
		addTo(r.byKey, k, c)
	}
}

// withKey returns the sockets indexed under key.
func (r *roster) withKey(key string) map[*client]struct{} { return r.byKey[key] }

// markLive records that c was sent callID while it was live.
func (r *roster) markLive(c *client, callID string) {
	addTo(r.live, callID, c)
	c.liveCalls[callID] = struct{}{}
}

// recipients returns the sockets that get the pop of call: those whose
// user the call rings and those sent it while it was live. It keeps the
// live sets up to date with the call's status.
func (r *roster) recipients(call store.Call, route *telephony.Route) []*client {
	seen := map[*client]struct{}{}
	var out []*client
	consider := func(c *client, sent bool) {
		if _, dup := seen[c]; dup {
			return
		}
		seen[c] = struct{}{}
		if sent || Rings(c.user.Load(), route, call.Agent) {
			out = append(out, c)
		}
	}
	for c := range r.live[call.ID] {
		consider(c, true)
	}
	for _, k := range callKeys(route, call.Agent) {
		for c := range r.byKey[k] {
			consider(c, false)
		}
	}

	for _, c := range out {
		if live(call.Status) {
			r.markLive(c, call.ID)
		} else {
			removeFrom(r.live, call.ID, c)
			delete(c.liveCalls, call.ID)
		}
	}
	return out
}

// nameOf returns the name of a connected user that agent matches.
func (r *roster) nameOf(agent string) (string, bool) {
	for _, k := range callKeys(nil, agent) {
		for c := range r.byKey[k] {
			if u := c.user.Load(); Rings(u, nil, agent) {
				return u.Name, true
			}
		}
	}
	return "", false
}

func addTo(m map[string]map[*client]struct{}, key string, c *client) {
	set := m[key]
	if set == nil {
		set = map[*client]struct{}{}
		m[key] = set
	}
	set[c] = struct{}{}
}

func removeFrom(m map[string]map[*client]struct{}, key string, c *client) {
	set := m[key]
	delete(set, c)
	if len(set) == 0 {
		delete(m, key)
	}
}
