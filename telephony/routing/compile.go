package routing

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Limits on a connection's rules.
const (
	MaxRules            = 100  // rules per connection
	MaxNameLength       = 100  // characters in a rule name
	MaxExpressionLength = 2000 // characters in a when or target_expr expression
)

// ErrTooManyRules is returned (wrapped) by Compile for more than MaxRules rules.
var ErrTooManyRules = errors.New("too many routing rules")

// Rule is one routing rule as an admin writes it. When its condition is true,
// the call goes to Route, with the target taken from TargetExpr when that is set.
type Rule struct {
	Name string `json:"name"`
	// When is an expr boolean expression such as
	// `contact != nil && contact.extra_data.tier == "vip"`.
	When  string          `json:"when"`
	Route telephony.Route `json:"route"`
	// TargetExpr is an expr expression producing the target, such as
	// `contact?.extra_data?.owner_extension`. It replaces Route.Target.
	TargetExpr string `json:"target_expr,omitempty"`
}

// RuleError is an invalid rule. Index is the rule's position in the list and
// Field the JSON path of the field at fault inside the rule: "name", "when",
// "target_expr", "route.kind", "route.target", "route.timeout_seconds" or
// "route.caller_name". An API reports it as routing_rules[Index].Field.
type RuleError struct {
	Index   int
	Name    string
	Field   string
	Message string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %d (%q): %s: %s", e.Index, e.Name, e.Field, e.Message)
}

// Ruleset is a compiled, ordered list of rules. It is immutable and safe for
// concurrent use. The nil *Ruleset has no rules.
type Ruleset struct {
	rules         []compiledRule
	defaultRegion string
}

type compiledRule struct {
	name   string
	when   *vm.Program
	target *vm.Program // nil when the route has a static target
	route  telephony.Route
}

// Len returns the number of rules.
func (rs *Ruleset) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.rules)
}

// Compile checks and compiles rules once, when they are saved. Numbers
// without a country code, in static targets and in what target_expr
// produces, are read in defaultRegion. The first invalid rule is reported
// as a *RuleError, while Check reports every one.
func Compile(rules []Rule, defaultRegion string) (*Ruleset, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%w: %d rules, the maximum is %d", ErrTooManyRules, len(rules), MaxRules)
	}

	rs := &Ruleset{rules: make([]compiledRule, 0, len(rules)), defaultRegion: defaultRegion}
	seen := make(map[string]int, len(rules))

	for i, rule := range rules {
		compiled, errs := compileRule(rule, defaultRegion)
		if len(errs) > 0 {
			errs[0].Index = i
			errs[0].Name = rule.Name
			return nil, errs[0]
		}

		if first, ok := seen[rule.Name]; ok {
			return nil, &RuleError{Index: i, Name: rule.Name, Field: "name", Message: fmt.Sprintf("rule %d has the same name", first)}
		}
		seen[rule.Name] = i

		rs.rules = append(rs.rules, compiled)
	}

	return rs, nil
}

// Check validates rules as Compile does, but returns every invalid field
// of every rule, in order, where Compile stops at the first. More than
// MaxRules rules return ErrTooManyRules (wrapped) and no rule errors.
func Check(rules []Rule, defaultRegion string) ([]*RuleError, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%w: %d rules, the maximum is %d", ErrTooManyRules, len(rules), MaxRules)
	}

	var all []*RuleError
	seen := make(map[string]int, len(rules))
	for i, rule := range rules {
		_, errs := compileRule(rule, defaultRegion)
		if first, ok := seen[rule.Name]; ok && strings.TrimSpace(rule.Name) != "" {
			errs = append([]*RuleError{{Field: "name", Message: fmt.Sprintf("rule %d has the same name", first)}}, errs...)
		} else if !ok {
			seen[rule.Name] = i
		}
		for _, err := range errs {
			err.Index, err.Name = i, rule.Name
			all = append(all, err)
		}
	}
	return all, nil
}

// compileRule compiles one rule. It returns an error for each invalid
// field: the name, the condition, and the route or target expression.
func compileRule(rule Rule, defaultRegion string) (compiledRule, []*RuleError) {
	out := compiledRule{name: rule.Name}
	var errs []*RuleError

	if err := checkRuleName(rule.Name); err != nil {
		errs = append(errs, &RuleError{Field: "name", Message: err.Error()})
	}

	if strings.TrimSpace(rule.When) == "" {
		errs = append(errs, &RuleError{Field: "when", Message: "missing: write true for a rule that matches every call"})
	} else if when, err := compileExpression(rule.When, expr.AsBool()); err != nil {
		errs = append(errs, &RuleError{Field: "when", Message: err.Error()})
	} else {
		out.when = when
	}

	if rule.TargetExpr == "" {
		route, err := validateRoute(rule.Route, defaultRegion)
		if err != nil {
			return out, append(errs, routeRuleError(err))
		}
		out.route = route
		return out, errs
	}

	if rerr := checkTargetExprRoute(rule.Route); rerr != nil {
		return out, append(errs, rerr)
	}
	target, err := compileTargetExpression(rule.TargetExpr)
	if err != nil {
		return out, append(errs, &RuleError{Field: "target_expr", Message: err.Error()})
	}
	out.target = target
	out.route = rule.Route
	return out, errs
}

// checkTargetExprRoute checks the route of a rule that has a target_expr. The
// kind must take a target and Route.Target must be empty. The target itself
// is checked each time the expression runs.
func checkTargetExprRoute(route telephony.Route) *RuleError {
	if err := validateKind(route.Kind); err != nil {
		return routeRuleError(err)
	}
	if !takesTarget(route.Kind) {
		return &RuleError{Field: "target_expr", Message: fmt.Sprintf("a %s route takes no target", route.Kind)}
	}
	if route.Target != "" {
		return &RuleError{Field: "route.target", Message: "set either route.target or target_expr, not both"}
	}

	// Check the remaining fields with a placeholder queue target.
	probe := route
	probe.Kind = telephony.TargetQueue
	probe.Target = "placeholder"
	if _, err := validateRoute(probe, ""); err != nil {
		return routeRuleError(err)
	}

	return nil
}

func routeRuleError(err error) *RuleError {
	var re *RouteError
	if errors.As(err, &re) {
		return &RuleError{Field: "route." + re.Field, Message: re.Message}
	}
	return &RuleError{Field: "route", Message: err.Error()}
}

func checkRuleName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("missing: give the rule a name, such as vip")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("longer than %d characters", MaxNameLength)
	default:
		return checkText(name)
	}
}

func compileExpression(source string, options ...expr.Option) (*vm.Program, error) {
	if strings.TrimSpace(source) == "" {
		return nil, errors.New("missing expression")
	}
	if utf8.RuneCountInString(source) > MaxExpressionLength {
		return nil, fmt.Errorf("longer than %d characters", MaxExpressionLength)
	}

	options = append([]expr.Option{expr.Env(exprEnv{})}, options...)
	program, err := expr.Compile(source, options...)
	if err != nil {
		return nil, errors.New(expressionMessage(err))
	}

	if err := checkBusinessHoursCalls(program); err != nil {
		return nil, err
	}
	return program, nil
}

// compileTargetExpression compiles a target_expr and rejects one whose type is
// known at compile time to be neither a string nor a number.
func compileTargetExpression(source string) (*vm.Program, error) {
	program, err := compileExpression(source)
	if err != nil {
		return nil, err
	}

	t := program.Node().Type()
	if t == nil {
		return program, nil
	}
	switch t.Kind() {
	case reflect.String, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return program, nil
	default:
		return nil, fmt.Errorf("must produce a string or a number, not %s", t)
	}
}

// goTypeNames replaces the Go types of the environment in expr's messages with
// the names that expressions use for them.
var goTypeNames = strings.NewReplacer(
	"type routing.ContactEnv", "contact", "routing.ContactEnv", "contact",
	"type routing.CallEnv", "call", "routing.CallEnv", "call",
	"type routing.TimeEnv", "now", "routing.TimeEnv", "now",
)

// expressionMessage returns expr's error on one line, with the 1-based line
// and column, and without the source excerpt that expr adds below it.
func expressionMessage(err error) string {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return goTypeNames.Replace(err.Error())
	}

	message := goTypeNames.Replace(fe.Message)
	if fe.Line == 0 {
		return message
	}
	return fmt.Sprintf("%s (line %d, column %d)", message, fe.Line, fe.Column+1)
}

// checkBusinessHoursCalls parses the arguments of every business_hours call
// made with string literals, so a bad day or time is rejected when the rule
// is saved rather than on a live call.
func checkBusinessHoursCalls(program *vm.Program) error {
	node := program.Node()
	checker := &hoursChecker{}
	ast.Walk(&node, checker)
	return checker.err
}

type hoursChecker struct {
	err error
}

func (c *hoursChecker) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || c.err != nil || len(call.Arguments) != 3 {
		return
	}
	if callee, ok := call.Callee.(*ast.IdentifierNode); !ok || callee.Value != "business_hours" {
		return
	}

	var args [3]string
	for i, arg := range call.Arguments {
		literal, ok := arg.(*ast.StringNode)
		if !ok {
			return
		}
		args[i] = literal.Value
	}

	if _, err := parseHours(args[0], args[1], args[2]); err != nil {
		c.err = fmt.Errorf("business_hours: %w", err)
	}
}
