package gateway

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// callLogForm is the call logging part of a CRM connection page.
type callLogForm struct {
	Settings crmconn.CallLogSettings
	// Defaults is the pace the connection's kind uses when a field is
	// left empty.
	Defaults crmconn.CallLogLimit
	// UserMap is settings.call_log.user_map as the textarea shows it: one
	// "agent = CRM user id" a line.
	UserMap string
	// FailedLogs counts the connection's failed logs, up to
	// adminFailedLogsShown; MoreFailedLogs is set when there are more.
	FailedLogs     int
	MoreFailedLogs bool
}

func newCallLogForm(kind string, settings crmconn.CallLogSettings) callLogForm {
	return callLogForm{
		Settings: settings, Defaults: crmconn.CallLogSettings{}.Limit(crm.Kind(kind)), UserMap: formatUserMap(settings.UserMap),
	}
}

// callLogSettingsOf reads the call logging fields of the form over
// stored, which keeps what the form does not show: the call mapping and
// associate_all_matches.
func callLogSettingsOf(v *validation.Error, c echo.Context, stored *crmconn.CallLogSettings) *crmconn.CallLogSettings {
	var out crmconn.CallLogSettings
	if stored != nil {
		out = *stored
	}
	out.Enabled = c.FormValue("settings.call_log.enabled") == "on"
	out.UnknownCallers = c.FormValue("settings.call_log.unknown_callers")
	if rate := strings.TrimSpace(c.FormValue("settings.call_log.requests_per_second")); rate == "" {
		out.RequestsPerSecond = 0
	} else if n, err := strconv.ParseFloat(rate, 64); err != nil {
		v.Add("settings.call_log.requests_per_second", "%q is not a number", rate)
	} else {
		out.RequestsPerSecond = n
	}
	out.Burst = zeroIfNil(formInt(v, c, "settings.call_log.burst"))
	out.MaxConcurrency = zeroIfNil(formInt(v, c, "settings.call_log.max_concurrency"))
	out.UserMap = parseUserMap(v, c.FormValue("settings.call_log.user_map"))
	return &out
}

func zeroIfNil(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// parseUserMap reads lines of "agent = CRM user id". Blank lines are
// left out.
func parseUserMap(v *validation.Error, text string) map[string]string {
	users := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		agent, id, ok := strings.Cut(line, "=")
		if !ok {
			v.Add("settings.call_log.user_map", "line %d, %q, has no \"=\": write agent = CRM user id", i+1, line)
			continue
		}
		users[strings.TrimSpace(agent)] = strings.TrimSpace(id)
	}
	if len(users) == 0 {
		return nil
	}
	return users
}

// userMapFormField moves the error of one user_map entry, which the API
// names settings.call_log.user_map.<agent>, onto the user map textarea.
func userMapFormField(f validation.FieldError) validation.FieldError {
	if agent, ok := strings.CutPrefix(f.Field, "settings.call_log.user_map."); ok {
		f.Field = "settings.call_log.user_map"
		f.Reason = fmt.Sprintf("the line of %s: %s", agent, f.Reason)
	}
	return f
}

// formatUserMap writes users as parseUserMap reads them, sorted by agent.
func formatUserMap(users map[string]string) string {
	agents := make([]string, 0, len(users))
	for agent := range users {
		agents = append(agents, agent)
	}
	slices.Sort(agents)
	var b strings.Builder
	for _, agent := range agents {
		fmt.Fprintf(&b, "%s = %s\n", agent, users[agent])
	}
	return b.String()
}

// callLogOf returns the call log settings of settings, the zero value
// (disabled) when it has none.
func callLogOf(settings crmconn.Settings) crmconn.CallLogSettings {
	if settings.CallLog == nil {
		return crmconn.CallLogSettings{}
	}
	return *settings.CallLog
}
