package routing

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// LookupResult is the outcome of a contact lookup for the caller's number.
type LookupResult struct {
	Contact       *ContactEnv // the contact the rules see, nil when none matched
	Matches       int         // number of contacts with the caller's number
	AllContactIDs []string    // ids of all of them
	// Warning is the reason a source was left out of the lookup, such as a CRM
	// that timed out, when the rules ran without it. Decide copies it to
	// Decision.LookupWarning.
	Warning string
}

// Lookup finds the caller's contact. It may query the database or a CRM and
// should return when ctx is done.
type Lookup func(ctx context.Context) (LookupResult, error)

// Decide looks up the caller and runs the rules, all before ctx's deadline.
// It has no error result. A lookup error, a rule error, a panic in either, or
// the end of ctx gives def, and Decision.Reason tells which. It returns once
// ctx is done even when lookup ignores ctx. A nil lookup finds no contact,
// and a nil rs has no rules.
//
// NOTE: a lookup that ignores ctx keeps running in its goroutine after
// Decide has returned, until it returns by itself. Decide has no deadline
// of its own, so ctx must carry one.
func Decide(ctx context.Context, rs *Ruleset, def telephony.Route, lookup Lookup, call CallEnv, now time.Time, loc *time.Location) Decision {
	if err := ctx.Err(); err != nil {
		return fallback(def, ReasonDeadlineExceeded, "before routing started: "+err.Error())
	}

	done := make(chan Decision, 1)
	go func() {
		done <- decide(ctx, rs, def, lookup, call, NewTimeEnv(now, loc))
	}()

	select {
	case decision := <-done:
		return decision
	case <-ctx.Done():
		return fallback(def, ReasonDeadlineExceeded, ctx.Err().Error())
	}
}

func decide(ctx context.Context, rs *Ruleset, def telephony.Route, lookup Lookup, call CallEnv, now TimeEnv) Decision {
	found, err := runLookup(ctx, lookup)
	if err != nil {
		if ctx.Err() != nil {
			return fallback(def, ReasonDeadlineExceeded, "during lookup: "+err.Error())
		}
		return fallback(def, ReasonLookupFailed, err.Error())
	}

	env := Env{Contact: found.Contact, Call: call, Now: now, Matches: found.Matches}
	decision, err := evaluateSafely(rs, env)
	if err != nil || decision.RuleIndex < 0 {
		decision.Route = def
	}

	decision.ContactIDs = found.AllContactIDs
	decision.LookupWarning = found.Warning
	if found.Contact != nil {
		decision.ContactID = found.Contact.ID
	}
	return decision
}

func runLookup(ctx context.Context, lookup Lookup) (found LookupResult, err error) {
	if lookup == nil {
		return LookupResult{}, nil
	}

	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("lookup panicked: %v", r)
		}
	}()

	return lookup(ctx)
}

// evaluateSafely is Evaluate with panics turned into rule errors. The expr VM
// recovers panics inside expressions itself, so this catches the rest.
func evaluateSafely(rs *Ruleset, env Env) (decision Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rule evaluation panicked: %v", r)
			decision = Decision{RuleIndex: -1, Reason: ReasonRuleError, Detail: err.Error()}
		}
	}()

	return rs.Evaluate(env)
}

func fallback(def telephony.Route, reason, detail string) Decision {
	return Decision{Route: def, RuleIndex: -1, Reason: reason, Detail: detail}
}
