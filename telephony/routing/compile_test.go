package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

func queueRoute(name string) telephony.Route {
	return telephony.Route{Kind: telephony.TargetQueue, Target: name}
}

func TestCompileErrors(t *testing.T) {
	valid := Rule{Name: "first", When: "true", Route: queueRoute("sales")}

	tests := []struct {
		name    string
		rule    Rule
		field   string
		message string // substring of RuleError.Message
	}{
		{
			name:    "syntax error",
			rule:    Rule{Name: "vip", When: `contact.extra_data.tier ==`, Route: queueRoute("vip")},
			field:   "when",
			message: "unexpected token EOF (line 1, column 26)",
		},
		{
			name:    "unknown field",
			rule:    Rule{Name: "vip", When: `contact != nil && contact.tir == "vip"`, Route: queueRoute("vip")},
			field:   "when",
			message: "has no field tir (line 1, column 27)",
		},
		{
			name:    "unknown name",
			rule:    Rule{Name: "vip", When: `contct.tier == "vip"`, Route: queueRoute("vip")},
			field:   "when",
			message: "unknown name contct",
		},
		{
			name:    "type mismatch",
			rule:    Rule{Name: "late", When: `now > 17`, Route: queueRoute("vip")},
			field:   "when",
			message: "invalid operation: > (mismatched types now and int) (line 1, column 5)",
		},
		{
			name:    "non-bool when",
			rule:    Rule{Name: "vip", When: `contact.first_name`, Route: queueRoute("vip")},
			field:   "when",
			message: "expected bool, but got string",
		},
		{
			name:    "empty when",
			rule:    Rule{Name: "vip", When: "  ", Route: queueRoute("vip")},
			field:   "when",
			message: "missing: write true for a rule that matches every call",
		},
		{
			name:    "bad route kind",
			rule:    Rule{Name: "vip", When: "true", Route: telephony.Route{Kind: "conference", Target: "room"}},
			field:   "route.kind",
			message: `unknown kind "conference"`,
		},
		{
			name:    "missing route kind",
			rule:    Rule{Name: "vip", When: "true"},
			field:   "route.kind",
			message: "missing",
		},
		{
			name:    "bad number target",
			rule:    Rule{Name: "vip", When: "true", Route: telephony.Route{Kind: telephony.TargetNumber, Target: "12"}},
			field:   "route.target",
			message: `"12"`,
		},
		{
			name:    "number target with extension",
			rule:    Rule{Name: "vip", When: "true", Route: telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550100 ext. 12"}},
			field:   "route.target",
			message: "has an extension",
		},
		{
			name:    "sip target without scheme",
			rule:    Rule{Name: "vip", When: "true", Route: telephony.Route{Kind: telephony.TargetSIP, Target: "alice@example.com"}},
			field:   "route.target",
			message: "invalid SIP URI",
		},
		{
			name:    "queue name with space",
			rule:    Rule{Name: "vip", When: "true", Route: queueRoute("vip desk")},
			field:   "route.target",
			message: "contains a space",
		},
		{
			name:    "hangup with target",
			rule:    Rule{Name: "block", When: "true", Route: telephony.Route{Kind: telephony.TargetHangup, Target: "busy"}},
			field:   "route.target",
			message: "takes no target",
		},
		{
			name:    "timeout out of range",
			rule:    Rule{Name: "vip", When: "true", Route: telephony.Route{Kind: telephony.TargetQueue, Target: "vip", TimeoutSeconds: 601}},
			field:   "route.timeout_seconds",
			message: "601 is out of range",
		},
		{
			name:    "target and target_expr",
			rule:    Rule{Name: "owner", When: "true", Route: telephony.Route{Kind: telephony.TargetExtension, Target: "101"}, TargetExpr: "contact.owner"},
			field:   "route.target",
			message: "not both",
		},
		{
			name:    "target_expr on hangup",
			rule:    Rule{Name: "owner", When: "true", Route: telephony.Route{Kind: telephony.TargetHangup}, TargetExpr: "contact.owner"},
			field:   "target_expr",
			message: "takes no target",
		},
		{
			name:    "target_expr of type bool",
			rule:    Rule{Name: "owner", When: "true", Route: telephony.Route{Kind: telephony.TargetExtension}, TargetExpr: "contact != nil"},
			field:   "target_expr",
			message: "must produce a string or a number, not bool",
		},
		{
			name:    "target_expr timeout out of range",
			rule:    Rule{Name: "owner", When: "true", Route: telephony.Route{Kind: telephony.TargetExtension, TimeoutSeconds: -1}, TargetExpr: "contact.owner"},
			field:   "route.timeout_seconds",
			message: "-1 is out of range",
		},
		{
			name:    "business_hours bad day",
			rule:    Rule{Name: "open", When: `business_hours("Mon-Fry", "09:00", "17:00")`, Route: queueRoute("sales")},
			field:   "when",
			message: `business_hours: invalid day "Fry"`,
		},
		{
			name:    "business_hours bad time",
			rule:    Rule{Name: "open", When: `now.hour > 3 && business_hours("Mon-Fri", "9:00", "17:00")`, Route: queueRoute("sales")},
			field:   "when",
			message: `business_hours: opening time: invalid time "9:00"`,
		},
		{
			name:    "empty name",
			rule:    Rule{Name: "", When: "true", Route: queueRoute("sales")},
			field:   "name",
			message: "missing",
		},
		{
			name:    "duplicate name",
			rule:    Rule{Name: "first", When: "true", Route: queueRoute("sales")},
			field:   "name",
			message: "rule 0 has the same name",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile([]Rule{valid, tt.rule}, "US")
			require.Error(t, err)

			var ruleErr *RuleError
			require.ErrorAs(t, err, &ruleErr)
			require.Equal(t, 1, ruleErr.Index)
			require.Equal(t, tt.rule.Name, ruleErr.Name)
			require.Equal(t, tt.field, ruleErr.Field)
			require.Contains(t, ruleErr.Message, tt.message)
			require.NotContains(t, ruleErr.Message, "\n")
		})
	}
}

func TestCompileErrorText(t *testing.T) {
	rules := []Rule{
		{Name: "first", When: "true", Route: queueRoute("sales")},
		{Name: "second", When: "true", Route: queueRoute("sales")},
		{Name: "vip", When: `contact.tir == "vip"`, Route: queueRoute("vip")},
	}

	_, err := Compile(rules, "US")

	require.EqualError(t, err, `rule 2 ("vip"): when: contact has no field tir (line 1, column 9)`)
}

func TestCompileTooManyRules(t *testing.T) {
	rules := make([]Rule, MaxRules+1)

	_, err := Compile(rules, "US")

	require.ErrorIs(t, err, ErrTooManyRules)
}

func TestCompileNormalisesNumberTarget(t *testing.T) {
	rules := []Rule{{Name: "office", When: "true", Route: telephony.Route{Kind: telephony.TargetNumber, Target: "(415) 555-0100"}}}

	rs, err := Compile(rules, "US")
	require.NoError(t, err)

	decision, err := rs.Evaluate(Env{})
	require.NoError(t, err)
	require.Equal(t, "+14155550100", decision.Route.Target)
}

func TestCompileLongExpression(t *testing.T) {
	when := "true" + strings.Repeat(" && true", MaxExpressionLength/8)

	_, err := Compile([]Rule{{Name: "long", When: when, Route: queueRoute("sales")}}, "US")

	var ruleErr *RuleError
	require.ErrorAs(t, err, &ruleErr)
	require.Equal(t, "when", ruleErr.Field)
	require.Equal(t, "longer than 2000 characters", ruleErr.Message)
}

func TestCheckReportsEveryField(t *testing.T) {
	rules := []Rule{
		{Name: "ok", When: "true", Route: queueRoute("sales")},
		{Name: "broken", When: "caller.number ==", Route: telephony.Route{Kind: telephony.TargetQueue}},
		{Name: "ok", When: "true", Route: queueRoute("support")},
	}

	ruleErrs, err := Check(rules, "US")

	require.NoError(t, err)
	var got []string
	for _, e := range ruleErrs {
		got = append(got, fmt.Sprintf("%d %s", e.Index, e.Field))
	}
	require.Equal(t, []string{"1 when", "1 route.target", "2 name"}, got)
	require.Equal(t, "broken", ruleErrs[0].Name)
}

func TestCheckValidRules(t *testing.T) {
	ruleErrs, err := Check([]Rule{{Name: "all", When: "true", Route: queueRoute("sales")}}, "US")

	require.NoError(t, err)
	require.Empty(t, ruleErrs)
}

func TestCheckTooManyRules(t *testing.T) {
	_, err := Check(make([]Rule, MaxRules+1), "US")

	require.ErrorIs(t, err, ErrTooManyRules)
}

func TestValidateDefaultRoute(t *testing.T) {
	tests := []struct {
		name  string
		route telephony.Route
		want  telephony.Route
		field string // "" when valid
	}{
		{name: "queue", route: queueRoute("sales"), want: queueRoute("sales")},
		{name: "voicemail without mailbox", route: telephony.Route{Kind: telephony.TargetVoicemail}, want: telephony.Route{Kind: telephony.TargetVoicemail}},
		{name: "hangup", route: telephony.Route{Kind: telephony.TargetHangup}, want: telephony.Route{Kind: telephony.TargetHangup}},
		{name: "sip", route: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:desk@pbx.example.com"}, want: telephony.Route{Kind: telephony.TargetSIP, Target: "sip:desk@pbx.example.com"}},
		{name: "national number", route: telephony.Route{Kind: telephony.TargetNumber, Target: "030 1234567"}, want: telephony.Route{Kind: telephony.TargetNumber, Target: "+49301234567"}},
		{name: "empty route", route: telephony.Route{}, field: "kind"},
		{name: "number missing", route: telephony.Route{Kind: telephony.TargetNumber}, field: "target"},
		{name: "client missing", route: telephony.Route{Kind: telephony.TargetClient}, field: "target"},
		{name: "caller name control character", route: telephony.Route{Kind: telephony.TargetQueue, Target: "sales", CallerName: "Ann\x07"}, field: "caller_name"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateDefaultRoute(tt.route, "DE")

			if tt.field == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			var routeErr *RouteError
			require.True(t, errors.As(err, &routeErr), "error %v is not a *RouteError", err)
			require.Equal(t, tt.field, routeErr.Field)
		})
	}
}
