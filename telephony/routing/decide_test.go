package routing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

var (
	voicemailRoute = telephony.Route{Kind: telephony.TargetVoicemail}
	wednesday      = time.Date(2025, 3, 5, 10, 15, 0, 0, time.UTC)
	inboundCall    = CallEnv{From: "+14155550100", To: "+14155550199", Direction: "inbound", Provider: "twilio", ConnectionID: "conn-1"}
)

func found(contact *ContactEnv, ids ...string) Lookup {
	return func(context.Context) (LookupResult, error) {
		return LookupResult{Contact: contact, Matches: len(ids), AllContactIDs: ids}, nil
	}
}

func decideWithin(t *testing.T, rs *Ruleset, lookup Lookup) Decision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	return Decide(ctx, rs, voicemailRoute, lookup, inboundCall, wednesday, time.UTC)
}

func TestDecideRuleFires(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	contact := contactWith(map[string]any{"tier": "vip"})

	decision := decideWithin(t, rs, found(contact, "c-1", "c-9"))

	require.Equal(t, queueRoute("vip"), decision.Route)
	require.Equal(t, "vip", decision.Rule)
	require.Equal(t, 1, decision.RuleIndex)
	require.Empty(t, decision.Reason)
	require.Equal(t, "c-1", decision.ContactID)
	require.Equal(t, []string{"c-1", "c-9"}, decision.ContactIDs)
}

func TestDecideSeesMatchesAndCall(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "shared-line", When: `match_count > 1 && call.from == "+14155550100" && call.connection_id == "conn-1"`, Route: queueRoute("front-desk")})

	decision := decideWithin(t, rs, found(contactWith(nil), "c-1", "c-2"))

	require.Equal(t, "shared-line", decision.Rule)
}

func TestDecideNoRuleMatched(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "vip", When: `contact?.extra_data?.tier == "vip"`, Route: queueRoute("vip")})

	decision := decideWithin(t, rs, found(nil))

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonNoRuleMatched, decision.Reason)
	require.Empty(t, decision.ContactID)
}

func TestDecideRuleError(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "vip", When: `contact.extra_data.tier == "vip"`, Route: queueRoute("vip")})

	decision := decideWithin(t, rs, found(nil))

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonRuleError, decision.Reason)
	require.Equal(t, `rule 0 ("vip"): when: cannot get extra_data from contact (line 1, column 1)`, decision.Detail)
}

func TestDecideKeepsContactOnRuleError(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "flag", When: `contact.extra_data.flag`, Route: queueRoute("vip")})

	decision := decideWithin(t, rs, found(contactWith(map[string]any{"flag": "yes"}), "c-1"))

	require.Equal(t, ReasonRuleError, decision.Reason)
	require.Equal(t, "c-1", decision.ContactID)
	require.Equal(t, []string{"c-1"}, decision.ContactIDs)
}

func TestDecideLookupBlocksPastDeadline(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) }) // lets the abandoned lookup goroutine end after the test
	lookup := func(context.Context) (LookupResult, error) {
		<-block // ignores ctx, like a CRM client without a timeout
		return LookupResult{Contact: contactWith(map[string]any{"tier": "vip"})}, nil
	}

	decision := decideWithin(t, rs, lookup)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonDeadlineExceeded, decision.Reason)
	require.Equal(t, context.DeadlineExceeded.Error(), decision.Detail)
}

func TestDecideLookupHonoursDeadline(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	lookup := func(ctx context.Context) (LookupResult, error) {
		<-ctx.Done()
		return LookupResult{}, ctx.Err()
	}

	decision := decideWithin(t, rs, lookup)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, ReasonDeadlineExceeded, decision.Reason)
}

func TestDecideContextAlreadyDone(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	decision := Decide(ctx, rs, voicemailRoute, found(nil), inboundCall, wednesday, time.UTC)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, ReasonDeadlineExceeded, decision.Reason)
	require.Equal(t, "before routing started: context canceled", decision.Detail)
}

func TestDecideLookupError(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	lookup := func(context.Context) (LookupResult, error) {
		return LookupResult{}, errors.New("hubspot: status 503")
	}

	decision := decideWithin(t, rs, lookup)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonLookupFailed, decision.Reason)
	require.Equal(t, "hubspot: status 503", decision.Detail)
}

func TestDecideLookupPanic(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	lookup := func(context.Context) (LookupResult, error) {
		var contacts map[string]*ContactEnv
		contacts["c-1"].Owner = "nobody" // nil map and nil pointer: panics
		return LookupResult{}, nil
	}

	decision := decideWithin(t, rs, lookup)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, ReasonLookupFailed, decision.Reason)
	require.Contains(t, decision.Detail, "lookup panicked: runtime error: invalid memory address or nil pointer dereference")
}

func TestDecideNilLookupAndRules(t *testing.T) {
	decision := decideWithin(t, nil, nil)

	require.Equal(t, voicemailRoute, decision.Route)
	require.Equal(t, ReasonNoRuleMatched, decision.Reason)
}

func TestDecideUsesLocation(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)
	rs := mustCompile(t, Rule{Name: "weekend", When: `now.weekday in ["Sat", "Sun"]`, Route: telephony.Route{Kind: telephony.TargetHangup}})
	// Friday 2025-03-07 12:00 UTC is Saturday 01:00 in Auckland.
	at := time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	decision := Decide(ctx, rs, voicemailRoute, nil, inboundCall, at, auckland)

	require.Equal(t, "weekend", decision.Rule)
}
