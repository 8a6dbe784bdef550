package routing

import (
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Env is the input of one evaluation. Expressions see its fields under the
// snake_case names of the expr tags: contact, call, now and match_count.
type Env struct {
	Contact *ContactEnv `expr:"contact"` // nil when no contact has the caller's number
	Call    CallEnv     `expr:"call"`
	Now     TimeEnv     `expr:"now"`
	Matches int         `expr:"match_count"` // contacts that share the caller's number ("matches" is an expr operator)
}

// ContactEnv is the contact that matched the caller's number.
type ContactEnv struct {
	ID           string         `expr:"id"`
	PhonebookID  string         `expr:"phonebook_id"`
	ExternalID   string         `expr:"external_id"`
	FirstName    string         `expr:"first_name"`
	LastName     string         `expr:"last_name"`
	DisplayName  string         `expr:"display_name"`
	Company      string         `expr:"company"`
	Emails       []string       `expr:"emails"`
	PhoneNumbers []string       `expr:"phone_numbers"` // E.164
	ExtraData    map[string]any `expr:"extra_data"`    // a missing key reads as nil
	Owner        string         `expr:"owner"`         // owner in the CRM, such as an agent's email
	CRMURL       string         `expr:"crm_url"`       // link to the record in the CRM
}

// CallEnv is the call being routed. From and To hold the E.164 form when
// the party is a dialable number and the raw value otherwise.
type CallEnv struct {
	From         string `expr:"from"`
	To           string `expr:"to"`
	FromRaw      string `expr:"from_raw"`
	ToRaw        string `expr:"to_raw"`
	Direction    string `expr:"direction"` // "inbound" or "outbound"
	Provider     string `expr:"provider"`  // "twilio", "telnyx", "vonage", "aircall" or "generic"
	ConnectionID string `expr:"connection_id"`
}

// NewCallEnv builds the call fields of Env from a normalised call event.
func NewCallEnv(ev telephony.CallEvent, connectionID string) CallEnv {
	return CallEnv{
		From:         partyValue(ev.From),
		To:           partyValue(ev.To),
		FromRaw:      ev.From.Raw,
		ToRaw:        ev.To.Raw,
		Direction:    string(ev.Direction),
		Provider:     string(ev.Provider),
		ConnectionID: connectionID,
	}
}

func partyValue(p telephony.Party) string {
	if p.E164 != "" {
		return p.E164
	}
	return p.Raw
}

// TimeEnv is the time of the call in the workspace's time zone.
type TimeEnv struct {
	Hour          int    `expr:"hour"`           // 0 to 23
	Minute        int    `expr:"minute"`         // 0 to 59
	Weekday       string `expr:"weekday"`        // "Mon" to "Sun"
	WeekdayNumber int    `expr:"weekday_number"` // ISO 8601: 1 is Monday, 7 is Sunday
	Date          string `expr:"date"`           // "2006-01-02"
	Time          string `expr:"time"`           // "15:04"
}

// NewTimeEnv converts t to loc and splits it into the fields of TimeEnv. A nil
// loc means UTC.
func NewTimeEnv(t time.Time, loc *time.Location) TimeEnv {
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)

	weekday := int(local.Weekday())
	if weekday == 0 {
		weekday = 7
	}

	return TimeEnv{
		Hour:          local.Hour(),
		Minute:        local.Minute(),
		Weekday:       local.Format("Mon"),
		WeekdayNumber: weekday,
		Date:          local.Format(time.DateOnly),
		Time:          local.Format("15:04"),
	}
}

// exprEnv is Env plus the helper functions. Its fields are copied rather than
// embedded because expr reports a nil contact in an embedded struct as an
// index-out-of-range error instead of "cannot get id from contact".
type exprEnv struct {
	Contact       *ContactEnv                                  `expr:"contact"`
	Call          CallEnv                                      `expr:"call"`
	Now           TimeEnv                                      `expr:"now"`
	Matches       int                                          `expr:"match_count"`
	BusinessHours func(days, open, close string) (bool, error) `expr:"business_hours"`
}

func newExprEnv(env Env) exprEnv {
	return exprEnv{
		Contact:       env.Contact,
		Call:          env.Call,
		Now:           env.Now,
		Matches:       env.Matches,
		BusinessHours: env.Now.inBusinessHours,
	}
}
