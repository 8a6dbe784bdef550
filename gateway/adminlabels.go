package gateway

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// adminFieldLabels names the fields of the admin forms, by the API field
// name they post, the way the form's labels read. The error summary shows
// these in place of the API's names.
var adminFieldLabels = map[string]string{
	"name":                                  "Name",
	"description":                           "Description",
	"email":                                 "Email",
	"password":                              "Password",
	"role":                                  "Role",
	"extensions":                            "Extensions",
	"queues":                                "Queues",
	"client_identities":                     "Softphone identities",
	"key_name":                              "Key name",
	"scopes":                                "Scopes",
	"kind":                                  "CRM",
	"provider":                              "VoIP platform",
	"base_url":                              "API base URL",
	"auth":                                  "Authentication",
	"auth.type":                             "Authentication",
	"auth.token":                            "Token",
	"auth.client_id":                        "Client ID",
	"auth.client_secret":                    "Client secret",
	"auth.scopes":                           "OAuth scopes",
	"auth.authorize_url":                    "Authorize URL",
	"auth.token_url":                        "Token URL",
	"settings":                              "Settings",
	"settings.generic":                      "Settings (JSON)",
	"settings.api_version":                  "API version",
	"settings.app_base_url":                 "App URL",
	"settings.company_domain":               "Company domain",
	"settings.instance_url":                 "Instance URL",
	"settings.objects":                      "Objects",
	"settings.portal_id":                    "Portal ID",
	"settings.call_log":                     "Call logging",
	"settings.call_log.enabled":             "Call logging",
	"settings.call_log.unknown_callers":     "Callers the CRM does not know",
	"settings.call_log.user_map":            "Agents and CRM users",
	"settings.call_log.requests_per_second": "Requests per second",
	"settings.call_log.burst":               "Burst",
	"settings.call_log.max_concurrency":     "Requests in flight",
	"phonebook_id":                          "Sync into",
	"sync_enabled":                          "Sync on a schedule",
	"sync_interval_seconds":                 "Sync every (seconds)",
	"enabled":                               "Enabled",
	"phonebook_ids":                         "Phonebooks searched for callers",
	"lookup_order":                          "Look callers up in",
	"crm_connection_id":                     "CRM connection",
	"crm_deadline_ms":                       "CRM step deadline",
	"deadline_ms":                           "Routing deadline",
	"default_route":                         "Default route",
	"default_route.kind":                    "Default route: route to",
	"default_route.target":                  "Default route: target",
	"signing_secret":                        "Signing secret",
	"file":                                  "CSV file",
	"from":                                  "Caller number",
	"to":                                    "Number called",
	"notes":                                 "Notes",
}

// adminRowFieldLabels names the inputs of one row of a repeated form
// part, by list and by the field's name inside the row.
var adminRowFieldLabels = map[string]map[string]string{
	"fields": {
		"":          "target",
		"target":    "target",
		"sources":   "source fields",
		"transform": "transform",
		"value":     "value or template",
		"label":     "phone label",
	},
	"routing_rules": {
		"":             "rule",
		"name":         "name",
		"when":         "condition",
		"route":        "route",
		"route.kind":   "route to",
		"route.target": "target",
		"target_expr":  "target expression",
	},
}

// adminRowNouns names a row of each repeated form part when the page
// gives it no name of its own.
var adminRowNouns = map[string]string{"fields": "Row", "routing_rules": "Rule"}

// rowFieldName matches a field inside a repeated form part, such as
// routing_rules[1].route.target: the list, the index and the rest.
var rowFieldName = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]\.?(.*)$`)

// adminFieldLabel returns the label of field as the form shows it. A
// page's own labels come first: they name credentials, rows and rules,
// such as "Rule 2 'Gold customers'" for routing_rules[1]. A field that
// is in no table is shown by its name with spaces.
func adminFieldLabel(field string, pageLabels map[string]string) string {
	if label, ok := pageLabels[field]; ok {
		return label
	}
	if label, ok := adminFieldLabels[field]; ok {
		return label
	}

	m := rowFieldName.FindStringSubmatch(field)
	if m == nil {
		return humanFieldName(field)
	}
	list, rest := m[1], m[3]
	index, _ := strconv.Atoi(m[2])
	row, ok := pageLabels[fmt.Sprintf("%s[%d]", list, index)]
	if !ok {
		noun, known := adminRowNouns[list]
		if !known {
			return humanFieldName(field)
		}
		row = fmt.Sprintf("%s %d", noun, index+1)
	}
	inner, ok := adminRowFieldLabels[list][rest]
	if !ok {
		inner = strings.ToLower(humanFieldName(rest))
	}
	return row + ": " + inner
}

// humanFieldName writes an API field name the way a sentence would:
// settings.call_log.burst becomes "Settings: call log: burst", and
// scopes[0] becomes "Scopes 1".
func humanFieldName(field string) string {
	name := rowIndex.ReplaceAllStringFunc(field, func(s string) string {
		n, _ := strconv.Atoi(strings.Trim(s, "[]"))
		return fmt.Sprintf(" %d", n+1)
	})
	name = strings.ReplaceAll(name, ".", ": ")
	return capitalise(strings.ReplaceAll(name, "_", " "))
}

// rowIndex matches an index in a field name, such as [0].
var rowIndex = regexp.MustCompile(`\[\d+\]`)

// renameFields returns err with each field error's name and reason passed
// through rename, so a handler can move an API field onto its form's
// input and reword a reason for the form. Errors other than validation
// errors are returned as they are.
func renameFields(err error, rename func(f validation.FieldError) validation.FieldError) error {
	var verr *validation.Error
	if !errors.As(err, &verr) {
		return err
	}
	out := &validation.Error{}
	for _, f := range verr.Fields {
		f = rename(f)
		out.Add(f.Field, "%s", f.Reason)
	}
	return out
}

// orList writes items as a sentence does: "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	last := len(items) - 1
	return strings.Join(items[:last], ", ") + " or " + items[last]
}
