package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// maxAdminRules bounds the rules the form reads, so a crafted form
// cannot make the handler loop for long.
const maxAdminRules = 500

// rulesPage is the data of the routing rules page.
type rulesPage struct {
	ID, Name, Provider string
	Rules              []ruleRow
	DefaultKinds       []choice
	DefaultTarget      string
	// Unsaved is true when the list shown differs from the stored one.
	Unsaved bool
	Test    *routingTestResult
	From    string
	To      string
}

// ruleRow is one rule of the form with the choices of its kind select.
type ruleRow struct {
	routing.Rule
	Index int
	Kinds []choice
	Last  bool
}

// routingTestResult is the result of the test box.
type routingTestResult struct {
	inbound.RoutingTest
	ContactName string
	// Delivery describes how the platform receives the route.
	Delivery string
}

func (s *Server) showAdminRules(c echo.Context) error {
	p := principalOf(c)

	conn, err := s.telephonyConnections().Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	page := rulesPageOf(conn, conn.RoutingRules, conn.DefaultRoute)
	return s.renderAdmin(c, http.StatusOK, "rules.html", &adminPage{Title: "Routing rules: " + conn.Name, Section: "telephony", Data: page})
}

// saveAdminRules applies the button pressed (save, add, up:N, down:N or
// delete:N) to the submitted rules and stores them, except for add, which
// shows a blank rule to fill in first. Nothing is stored while any rule is
// invalid.
func (s *Server) saveAdminRules(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	svc := s.telephonyConnections()

	conn, err := svc.Get(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	rules := formRules(c)
	if i, ok := deletedRule(c.FormValue("action"), len(rules)); ok && !confirmed(c) {
		name := rules[i].Name
		if name == "" {
			name = fmt.Sprintf("rule %d", i+1)
		}
		return s.askConfirmation(c, "Delete "+name+"?",
			fmt.Sprintf("Deleting rule %d, %q, saves the rules at once, with every other change made on the page.", i+1, name),
			"Delete rule", "/admin/telephony/"+conn.ID+"/rules")
	}
	defaultRoute := telephony.Route{
		Kind: telephony.TargetKind(c.FormValue("default_route.kind")), Target: strings.TrimSpace(c.FormValue("default_route.target")),
	}
	rules, focus, save := applyRuleAction(rules, c.FormValue("action"))

	if save {
		_, err = svc.Update(ctx, p.WorkspaceID, conn.ID, connections.Patch{RoutingRules: &rules, DefaultRoute: &defaultRoute})
		if err == nil {
			return adminRedirect(c, fmt.Sprintf("/admin/telephony/%s/rules?notice=saved#%s", conn.ID, focus))
		}
	}

	page := rulesPageOf(conn, rules, defaultRoute)
	page.Unsaved = true
	adminPg := &adminPage{Title: "Routing rules: " + conn.Name, Section: "telephony", Data: page, Labels: ruleLabels(rules)}
	if err == nil {
		adminPg.Notice = "A blank rule is added at the end. Fill it in, then save."
		return s.renderAdmin(c, http.StatusOK, "rules.html", adminPg)
	}
	return s.renderAdminForm(c, "rules.html", adminPg, err)
}

// testAdminRouting runs the routing test of the stored rules for a
// caller's number and shows the matched contact, the rule that fired and
// the exact answer the platform would get.
func (s *Server) testAdminRouting(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	if s.inbound == nil {
		return newProblem(probUnavailable, "Telephony is not enabled on this server.")
	}

	conn, err := s.telephonyConnections().Get(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	page := rulesPageOf(conn, conn.RoutingRules, conn.DefaultRoute)
	page.From, page.To = c.FormValue("from"), c.FormValue("to")
	adminPg := &adminPage{Title: "Routing rules: " + conn.Name, Section: "telephony", Data: page}

	result, err := s.inbound.TestRoute(ctx, p.WorkspaceID, conn.ID, page.From, page.To)
	if err != nil {
		return s.renderAdminForm(c, "rules.html", adminPg, err)
	}
	page.Test = &routingTestResult{RoutingTest: result, Delivery: "in the webhook answer below"}
	if result.Command {
		page.Test.Delivery = "as a REST command to the platform's API; the webhook answer is an empty acknowledgement"
	}
	if result.Contact != nil {
		page.Test.ContactName = contactDisplayName(result.Contact.DisplayName, result.Contact.FirstName, result.Contact.LastName, result.Contact.Company)
	}
	return s.renderAdmin(c, http.StatusOK, "rules.html", adminPg)
}

func rulesPageOf(conn connections.Settings, rules []routing.Rule, defaultRoute telephony.Route) *rulesPage {
	page := &rulesPage{
		ID: conn.ID, Name: conn.Name, Provider: string(conn.Provider),
		DefaultKinds: routeKindChoices(defaultRoute.Kind), DefaultTarget: defaultRoute.Target,
	}
	for i, r := range rules {
		page.Rules = append(page.Rules, ruleRow{Rule: r, Index: i, Kinds: routeKindChoices(r.Route.Kind), Last: i == len(rules)-1})
	}
	return page
}

// ruleLabels names each rule by its position and name, such as
// "Rule 2 'Gold customers'", for the error summary.
func ruleLabels(rules []routing.Rule) map[string]string {
	labels := make(map[string]string, len(rules))
	for i, r := range rules {
		label := fmt.Sprintf("Rule %d", i+1)
		if r.Name != "" {
			label += " '" + r.Name + "'"
		}
		labels[fmt.Sprintf("routing_rules[%d]", i)] = label
	}
	return labels
}

// formRules reads routing_rules[i].… fields from i = 0 up to the first
// index the form does not have.
func formRules(c echo.Context) []routing.Rule {
	rules := []routing.Rule{}
	for i := 0; i < maxAdminRules; i++ {
		prefix := fmt.Sprintf("routing_rules[%d].", i)
		form, _ := c.FormParams()
		if _, ok := form[prefix+"name"]; !ok {
			break
		}
		rules = append(rules, routing.Rule{
			Name: strings.TrimSpace(c.FormValue(prefix + "name")),
			When: strings.TrimSpace(c.FormValue(prefix + "when")),
			Route: telephony.Route{
				Kind:   telephony.TargetKind(c.FormValue(prefix + "route.kind")),
				Target: strings.TrimSpace(c.FormValue(prefix + "route.target")),
			},
			TargetExpr: strings.TrimSpace(c.FormValue(prefix + "target_expr")),
		})
	}
	return rules
}

// applyRuleAction applies action to rules. It returns the new list, the
// anchor of the rule to show after the redirect, and whether to store
// the list.
func applyRuleAction(rules []routing.Rule, action string) ([]routing.Rule, string, bool) {
	verb, arg, _ := strings.Cut(action, ":")
	i, err := strconv.Atoi(arg)
	valid := err == nil && i >= 0 && i < len(rules)
	switch {
	case verb == "add":
		return append(rules, routing.Rule{Route: telephony.Route{Kind: telephony.TargetQueue}}), "", false
	case verb == "up" && valid && i > 0:
		rules[i-1], rules[i] = rules[i], rules[i-1]
		return rules, fmt.Sprintf("rule-%d", i-1), true
	case verb == "down" && valid && i < len(rules)-1:
		rules[i+1], rules[i] = rules[i], rules[i+1]
		return rules, fmt.Sprintf("rule-%d", i+1), true
	case verb == "delete" && valid:
		return append(rules[:i], rules[i+1:]...), "rules", true
	}
	return rules, "rules", true
}

// deletedRule returns the index of the rule that action deletes, if it is
// a delete of one of n rules.
func deletedRule(action string, n int) (int, bool) {
	verb, arg, _ := strings.Cut(action, ":")
	i, err := strconv.Atoi(arg)
	return i, verb == "delete" && err == nil && i >= 0 && i < n
}

// contactDisplayName returns the name to show for a contact: its display
// name, else its first and last name, else its company.
func contactDisplayName(display, first, last, company string) string {
	if display != "" {
		return display
	}
	if name := strings.TrimSpace(first + " " + last); name != "" {
		return name
	}
	return company
}
