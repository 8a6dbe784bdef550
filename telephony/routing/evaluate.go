package routing

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Reasons for using the default route, stable enough for metric labels.
const (
	ReasonNoRuleMatched    = "no_rule_matched"
	ReasonRuleError        = "rule_error"
	ReasonDeadlineExceeded = "deadline_exceeded" // also used when the context is cancelled
	ReasonLookupFailed     = "lookup_failed"
)

// Decision is the outcome of routing one call.
type Decision struct {
	Route telephony.Route `json:"route"`
	// Rule is the name of the rule that fired, "" for the default route.
	Rule string `json:"rule,omitempty"`
	// RuleIndex is the position of the rule that fired, -1 for the default route.
	RuleIndex int `json:"rule_index"`
	// Reason is one of the Reason constants when the default route is used and
	// "" when a rule fired. Detail explains it for people.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// ContactID is the id of the contact the rules saw, "" when none matched.
	ContactID string `json:"contact_id,omitempty"`
	// ContactIDs are the ids of every contact with the caller's number.
	ContactIDs []string `json:"contact_ids,omitempty"`
	// Skipped lists the rules whose condition was true but whose target_expr
	// gave no usable target, in rule order.
	Skipped []Skip `json:"skipped,omitempty"`
	// LookupWarning is the reason the rules ran without a contact source, such
	// as a CRM lookup that failed or timed out; "" when every source
	// answered.
	LookupWarning string `json:"lookup_warning,omitempty"`
	// Replaces is the route a call had before this decision rerouted it,
	// after a CRM responded too late for the first decision; nil otherwise.
	Replaces *telephony.Route `json:"replaces,omitempty"`
}

// Agent returns the party the decision rings, for a call whose provider
// names no agent: the target of an extension, client, sip or number
// route. A sip or number target counts because screen pops match its user
// part to an extension or client identity, and a CRM's user_map can map a
// forwarding number to its owner. Queue, voicemail and hangup routes ring
// no one in particular, so they return "".
func (d Decision) Agent() string {
	switch d.Route.Kind {
	case telephony.TargetExtension, telephony.TargetClient, telephony.TargetSIP, telephony.TargetNumber:
		return strings.TrimSpace(d.Route.Target)
	}
	return ""
}

// Skip is a rule that matched but did not fire.
type Skip struct {
	RuleIndex int    `json:"rule_index"`
	Rule      string `json:"rule"`
	Message   string `json:"message"`
}

// Evaluate runs the rules in order against env and returns the route of the
// first rule that fires. A rule fires when its condition is true and, with a
// target_expr, the expression produces a valid target.
//
// When no rule fires, the decision has RuleIndex -1, Reason
// ReasonNoRuleMatched and a zero Route: the caller supplies the default
// route. A runtime error in a rule stops the evaluation, because a later
// rule must not take a call that the failing rule might have claimed. The
// decision then has Reason ReasonRuleError and the error is returned too.
func (rs *Ruleset) Evaluate(env Env) (Decision, error) {
	decision := Decision{RuleIndex: -1}
	if rs == nil {
		decision.Reason = ReasonNoRuleMatched
		decision.Detail = "no rules"
		return decision, nil
	}

	var input any = newExprEnv(env)

	for i, rule := range rs.rules {
		route, skip, err := rs.run(rule, input)
		if err != nil {
			err = fmt.Errorf("rule %d (%q): %w", i, rule.name, err)
			decision.Reason = ReasonRuleError
			decision.Detail = err.Error()
			return decision, err
		}
		if skip != "" {
			decision.Skipped = append(decision.Skipped, Skip{RuleIndex: i, Rule: rule.name, Message: skip})
			continue
		}
		if route == nil {
			continue
		}

		decision.Route = *route
		decision.Rule = rule.name
		decision.RuleIndex = i
		return decision, nil
	}

	decision.Reason = ReasonNoRuleMatched
	decision.Detail = fmt.Sprintf("none of %d rules matched", len(rs.rules))
	return decision, nil
}

// run evaluates one rule. It returns the route when the rule fires, a skip
// message when the condition is true but the target is unusable, and
// neither when the condition is false.
func (rs *Ruleset) run(rule compiledRule, input any) (*telephony.Route, string, error) {
	matched, err := vm.Run(rule.when, input)
	if err != nil {
		return nil, "", fmt.Errorf("when: %s", expressionMessage(err))
	}
	if ok, isBool := matched.(bool); !isBool || !ok {
		return nil, "", nil
	}

	route := rule.route
	if rule.target == nil {
		return &route, "", nil
	}

	value, err := vm.Run(rule.target, input)
	if err != nil {
		return nil, "", fmt.Errorf("target_expr: %s", expressionMessage(err))
	}

	target, problem := formatTarget(value)
	if problem != "" {
		return nil, "target_expr " + problem, nil
	}
	route.Target, err = normalizeTarget(route.Kind, target, rs.defaultRegion)
	if err != nil {
		return nil, fmt.Sprintf("target_expr produced an invalid %s target: %v", route.Kind, err), nil
	}

	return &route, "", nil
}

// formatTarget turns the value of a target_expr into a target. Integral
// numbers are written without decimals, because extensions and numbers stored
// in JSON extra data arrive as float64. It returns a problem for nil, empty,
// fractional and non-scalar values.
func formatTarget(value any) (string, string) {
	switch v := value.(type) {
	case nil:
		return "", "produced nil"
	case string:
		if v == "" {
			return "", "produced an empty string"
		}
		return v, ""
	case int:
		return strconv.Itoa(v), ""
	case int8, int16, int32, int64:
		return fmt.Sprintf("%d", v), ""
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprintf("%d", v), ""
	case float32:
		return formatFloat(float64(v))
	case float64:
		return formatFloat(v)
	default:
		return "", fmt.Sprintf("produced a %T, not a string or a number", value)
	}
}

func formatFloat(f float64) (string, string) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return "", fmt.Sprintf("produced %v, which is not a whole number", f)
	}
	return strconv.FormatFloat(f, 'f', 0, 64), ""
}
