package routing

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // Pacific/Auckland without relying on the host's zone files

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

// wednesdayMorning is 10:15 on Wednesday 2025-03-05 in UTC.
var wednesdayMorning = NewTimeEnv(time.Date(2025, 3, 5, 10, 15, 0, 0, time.UTC), nil)

func mustCompile(t testing.TB, rules ...Rule) *Ruleset {
	t.Helper()
	rs, err := Compile(rules, "US")
	require.NoError(t, err)
	return rs
}

func contactWith(extra map[string]any) *ContactEnv {
	return &ContactEnv{ID: "c-1", FirstName: "Ada", Owner: "ada@example.com", ExtraData: extra}
}

// standardRules is a typical connection: VIPs to their queue, known contacts
// to their owner's extension, unknown callers to sales.
func standardRules() []Rule {
	return []Rule{
		{Name: "blocked", When: `contact?.extra_data?.blocked == true`, Route: telephony.Route{Kind: telephony.TargetHangup}},
		{Name: "vip", When: `contact != nil && contact.extra_data.tier == "vip"`, Route: queueRoute("vip")},
		{Name: "owner", When: `contact != nil`, Route: telephony.Route{Kind: telephony.TargetExtension, TimeoutSeconds: 20}, TargetExpr: `contact.extra_data.owner_extension`},
		{Name: "unknown", When: `contact == nil`, Route: queueRoute("sales")},
	}
}

func TestEvaluate(t *testing.T) {
	rs := mustCompile(t, standardRules()...)

	tests := []struct {
		name      string
		contact   *ContactEnv
		wantRule  string
		wantIndex int
		wantRoute telephony.Route
		wantSkips []Skip
	}{
		{
			name:      "vip contact",
			contact:   contactWith(map[string]any{"tier": "vip", "owner_extension": "101"}),
			wantRule:  "vip",
			wantIndex: 1,
			wantRoute: queueRoute("vip"),
		},
		{
			name:      "owner extension from target_expr",
			contact:   contactWith(map[string]any{"tier": "standard", "owner_extension": "101"}),
			wantRule:  "owner",
			wantIndex: 2,
			wantRoute: telephony.Route{Kind: telephony.TargetExtension, Target: "101", TimeoutSeconds: 20},
		},
		{
			name:      "owner extension stored as a JSON number",
			contact:   contactWith(map[string]any{"owner_extension": float64(204)}),
			wantRule:  "owner",
			wantIndex: 2,
			wantRoute: telephony.Route{Kind: telephony.TargetExtension, Target: "204", TimeoutSeconds: 20},
		},
		{
			name:      "no contact goes to sales",
			contact:   nil,
			wantRule:  "unknown",
			wantIndex: 3,
			wantRoute: queueRoute("sales"),
		},
		{
			name:      "first matching rule wins",
			contact:   contactWith(map[string]any{"blocked": true, "tier": "vip", "owner_extension": "101"}),
			wantRule:  "blocked",
			wantIndex: 0,
			wantRoute: telephony.Route{Kind: telephony.TargetHangup},
		},
		{
			name:      "missing owner extension falls through",
			contact:   contactWith(map[string]any{"tier": "standard"}),
			wantRule:  "",
			wantIndex: -1,
			wantSkips: []Skip{{RuleIndex: 2, Rule: "owner", Message: "target_expr produced nil"}},
		},
		{
			name:      "fractional extension falls through",
			contact:   contactWith(map[string]any{"owner_extension": 10.5}),
			wantRule:  "",
			wantIndex: -1,
			wantSkips: []Skip{{RuleIndex: 2, Rule: "owner", Message: "target_expr produced 10.5, which is not a whole number"}},
		},
		{
			name:      "nil extra data reads as missing keys",
			contact:   &ContactEnv{ID: "c-2"},
			wantRule:  "",
			wantIndex: -1,
			wantSkips: []Skip{{RuleIndex: 2, Rule: "owner", Message: "target_expr produced nil"}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := rs.Evaluate(Env{Contact: tt.contact, Now: wednesdayMorning})
			require.NoError(t, err)

			require.Equal(t, tt.wantRule, decision.Rule)
			require.Equal(t, tt.wantIndex, decision.RuleIndex)
			require.Equal(t, tt.wantRoute, decision.Route)
			require.Equal(t, tt.wantSkips, decision.Skipped)
			if tt.wantIndex < 0 {
				require.Equal(t, ReasonNoRuleMatched, decision.Reason)
			} else {
				require.Empty(t, decision.Reason)
			}
		})
	}
}

func TestEvaluateFallsThroughToNextRule(t *testing.T) {
	rs := mustCompile(t,
		Rule{Name: "owner", When: "true", Route: telephony.Route{Kind: telephony.TargetExtension}, TargetExpr: `contact?.extra_data?.owner_extension`},
		Rule{Name: "everyone", When: "true", Route: queueRoute("sales")},
	)

	decision, err := rs.Evaluate(Env{Contact: contactWith(nil)})
	require.NoError(t, err)

	require.Equal(t, "everyone", decision.Rule)
	require.Equal(t, queueRoute("sales"), decision.Route)
	require.Equal(t, []Skip{{RuleIndex: 0, Rule: "owner", Message: "target_expr produced nil"}}, decision.Skipped)
}

func TestEvaluateTargetExprNumber(t *testing.T) {
	rs := mustCompile(t, Rule{
		Name:       "mobile",
		When:       "contact != nil",
		Route:      telephony.Route{Kind: telephony.TargetNumber},
		TargetExpr: `contact.extra_data.mobile`,
	})

	tests := []struct {
		name       string
		mobile     any
		wantTarget string
		wantSkip   string
	}{
		{name: "national form", mobile: "(415) 555-0100", wantTarget: "+14155550100"},
		{name: "json number", mobile: float64(14155550100), wantTarget: "+14155550100"},
		{name: "not a number", mobile: "call me", wantSkip: `target_expr produced an invalid number target: `},
		{name: "list", mobile: []any{"+14155550100"}, wantSkip: "target_expr produced a []interface {}, not a string or a number"},
		{name: "empty", mobile: "", wantSkip: "target_expr produced an empty string"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := rs.Evaluate(Env{Contact: contactWith(map[string]any{"mobile": tt.mobile})})
			require.NoError(t, err)

			if tt.wantSkip == "" {
				require.Equal(t, 0, decision.RuleIndex)
				require.Equal(t, tt.wantTarget, decision.Route.Target)
				return
			}
			require.Equal(t, -1, decision.RuleIndex)
			require.Len(t, decision.Skipped, 1)
			require.Contains(t, decision.Skipped[0].Message, tt.wantSkip)
		})
	}
}

func TestEvaluateSafeNavigation(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "vip", When: `contact?.extra_data?.tier == "vip"`, Route: queueRoute("vip")})

	tests := []struct {
		name      string
		contact   *ContactEnv
		wantIndex int
	}{
		{name: "no contact", contact: nil, wantIndex: -1},
		{name: "no extra data", contact: &ContactEnv{ID: "c-1"}, wantIndex: -1},
		{name: "other tier", contact: contactWith(map[string]any{"tier": "gold"}), wantIndex: -1},
		{name: "vip", contact: contactWith(map[string]any{"tier": "vip"}), wantIndex: 0},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := rs.Evaluate(Env{Contact: tt.contact})
			require.NoError(t, err)
			require.Equal(t, tt.wantIndex, decision.RuleIndex)
		})
	}
}

func TestEvaluateRuntimeErrorStops(t *testing.T) {
	rs := mustCompile(t,
		Rule{Name: "vip", When: `contact.extra_data.tier == "vip"`, Route: queueRoute("vip")},
		Rule{Name: "everyone", When: "true", Route: queueRoute("sales")},
	)

	decision, err := rs.Evaluate(Env{Contact: nil})

	require.EqualError(t, err, `rule 0 ("vip"): when: cannot get extra_data from contact (line 1, column 1)`)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonRuleError, decision.Reason)
	require.Equal(t, err.Error(), decision.Detail)
	require.Equal(t, telephony.Route{}, decision.Route)
}

func TestEvaluateNonBoolValueIsError(t *testing.T) {
	rs := mustCompile(t, Rule{Name: "flag", When: `contact.extra_data.flag`, Route: queueRoute("vip")})

	decision, err := rs.Evaluate(Env{Contact: contactWith(map[string]any{"flag": "yes"})})

	require.Error(t, err)
	require.Equal(t, ReasonRuleError, decision.Reason)
}

func TestEvaluateNilRuleset(t *testing.T) {
	var rs *Ruleset

	decision, err := rs.Evaluate(Env{})

	require.NoError(t, err)
	require.Equal(t, -1, decision.RuleIndex)
	require.Equal(t, ReasonNoRuleMatched, decision.Reason)
}

func TestEvaluateTimeZone(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)

	rs := mustCompile(t,
		Rule{Name: "friday-morning", When: `now.weekday == "Fri" && now.weekday_number == 5 && now.hour == 9 && now.date == "2025-03-07"`, Route: queueRoute("friday")},
		Rule{Name: "open", When: `business_hours("Mon-Fri", "09:00", "17:30")`, Route: queueRoute("sales")},
		Rule{Name: "closed", When: "true", Route: telephony.Route{Kind: telephony.TargetVoicemail}},
	)

	tests := []struct {
		name     string
		at       time.Time
		loc      *time.Location
		wantRule string
	}{
		// Thursday 20:30 UTC is Friday 09:30 in Auckland (UTC+13 in March).
		{name: "thursday evening utc", at: time.Date(2025, 3, 6, 20, 30, 0, 0, time.UTC), loc: time.UTC, wantRule: "closed"},
		{name: "friday morning auckland", at: time.Date(2025, 3, 6, 20, 30, 0, 0, time.UTC), loc: auckland, wantRule: "friday-morning"},
		// Friday 11:30 UTC is Saturday 00:30 in Auckland.
		{name: "friday noon utc", at: time.Date(2025, 3, 7, 11, 30, 0, 0, time.UTC), loc: time.UTC, wantRule: "open"},
		{name: "saturday night auckland", at: time.Date(2025, 3, 7, 11, 30, 0, 0, time.UTC), loc: auckland, wantRule: "closed"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := rs.Evaluate(Env{Now: NewTimeEnv(tt.at, tt.loc)})
			require.NoError(t, err)
			require.Equal(t, tt.wantRule, decision.Rule)
		})
	}
}

func TestNewTimeEnv(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)

	got := NewTimeEnv(time.Date(2025, 3, 8, 22, 5, 0, 0, time.UTC), auckland)

	want := TimeEnv{Hour: 11, Minute: 5, Weekday: "Sun", WeekdayNumber: 7, Date: "2025-03-09", Time: "11:05"}
	require.Equal(t, want, got)
}

func TestNewCallEnv(t *testing.T) {
	ev := telephony.CallEvent{
		Provider:  telephony.ProviderTwilio,
		Direction: telephony.DirectionInbound,
		From:      telephony.Party{Raw: "+1 (415) 555-0100", E164: "+14155550100", Kind: "number"},
		To:        telephony.Party{Raw: "client:desk", Kind: "client"},
	}

	got := NewCallEnv(ev, "conn-1")

	want := CallEnv{
		From: "+14155550100", To: "client:desk", FromRaw: "+1 (415) 555-0100", ToRaw: "client:desk",
		Direction: "inbound", Provider: "twilio", ConnectionID: "conn-1",
	}
	require.Equal(t, want, got)
}

func BenchmarkEvaluate(b *testing.B) {
	rules := make([]Rule, 0, 10)
	for i := range 8 {
		rules = append(rules, Rule{
			Name:  fmt.Sprintf("tier-%d", i),
			When:  fmt.Sprintf(`contact != nil && contact.extra_data.tier == "tier-%d" && call.to == "+14155550199"`, i),
			Route: queueRoute(fmt.Sprintf("tier-%d", i)),
		})
	}
	rules = append(rules,
		Rule{Name: "after-hours", When: `!business_hours("Mon-Fri", "09:00", "17:30")`, Route: telephony.Route{Kind: telephony.TargetVoicemail}},
		Rule{Name: "owner", When: `contact != nil`, Route: telephony.Route{Kind: telephony.TargetExtension}, TargetExpr: `contact.extra_data.owner_extension`},
	)
	rs := mustCompile(b, rules...)

	env := Env{
		Contact: contactWith(map[string]any{"tier": "gold", "owner_extension": float64(101)}),
		Call:    CallEnv{From: "+14155550100", To: "+14155550199", Direction: "inbound", Provider: "twilio"},
		Now:     wednesdayMorning,
		Matches: 1,
	}

	b.ReportAllocs()
	for b.Loop() {
		decision, err := rs.Evaluate(env)
		if err != nil || decision.Rule != "owner" {
			b.Fatalf("decision %+v, error %v", decision, err)
		}
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	rs := mustCompile(t, standardRules()...)
	contacts := []*ContactEnv{nil, contactWith(map[string]any{"tier": "vip"}), contactWith(map[string]any{"owner_extension": "101"})}
	wantRules := []string{"unknown", "vip", "owner"}

	errs := make(chan error, 8*len(contacts))
	for range 8 {
		for i, contact := range contacts {
			go func() {
				decision, err := rs.Evaluate(Env{Contact: contact})
				if err == nil && decision.Rule != wantRules[i] {
					err = fmt.Errorf("contact %d: rule %q, want %q", i, decision.Rule, wantRules[i])
				}
				errs <- err
			}()
		}
	}

	for range cap(errs) {
		require.NoError(t, <-errs)
	}
}
