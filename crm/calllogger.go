package crm

import (
	"context"
	"html"
	"strings"
	"time"
)

// Call outcomes, the telephony statuses a final call can have. Each
// connector maps them onto its CRM's own outcome or disposition values.
const (
	OutcomeCompleted = "completed"
	OutcomeMissed    = "missed"
	OutcomeBusy      = "busy"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
	OutcomeVoicemail = "voicemail"
)

// CallLog is one call as a connector writes it into a CRM.
type CallLog struct {
	// CallID is the Switchboard call id. Connectors write it into the
	// entry (the marker) so FindCallLog can find the entry again.
	CallID string
	// Direction is "inbound" or "outbound".
	Direction string
	// From and To are the parties' numbers, E.164 when they are dialable.
	From, To  string
	StartedAt time.Time
	// EndedAt is zero for a call that has not ended.
	EndedAt time.Time
	// DurationSeconds is the talk time, 0 when nobody talked.
	DurationSeconds int
	// Outcome is one of the Outcome constants.
	Outcome string
	// Agent is the agent as the telephony provider named them.
	Agent string
	// OwnerID is the CRM user the call is logged for, "" for the
	// connection's own user.
	OwnerID      string
	RecordingURL string
	Notes        string
	Title        string
	// ContactIDs are the CRM records the call is logged on, the chosen
	// record first; empty logs the call against no record. Connectors that
	// link one record per entry use the first.
	ContactIDs []string
	// ContactObject is the CRM object type of ContactIDs, such as
	// "contact", "person", "Contact" or "Lead".
	ContactObject string
	// Location is the workspace's time zone, for CRM fields that take a
	// local date or time. Nil means UTC.
	Location *time.Location
	// Fields are more CRM fields of the entry, by CRM field name, from
	// the connection's call mapping. They override the fields the
	// connector sets itself.
	Fields map[string]string
}

// Local returns t in the log's time zone.
func (l CallLog) Local(t time.Time) time.Time {
	if l.Location == nil {
		return t.UTC()
	}
	return t.In(l.Location)
}

// LoggedCall is a call entry in a CRM.
type LoggedCall struct {
	ID string
	// URL opens the entry, or the record it is logged on, in the CRM's web
	// app; "" when the connector cannot build one.
	URL string
}

// CallLogger writes calls into a CRM. Every built-in connector implements
// it. Implementations return the errors Connector methods return:
// *RateLimitedError for a 429, errors wrapping ErrUnavailable for
// failures worth retrying, ErrUnauthorized, and other errors for requests
// the CRM rejects.
type CallLogger interface {
	// LogCall creates the CRM entry of log.
	LogCall(ctx context.Context, log CallLog) (LoggedCall, error)
	// UpdateCallLog writes log over the existing entry id.
	UpdateCallLog(ctx context.Context, id string, log CallLog) (LoggedCall, error)
	// FindCallLog returns the entry that carries log.CallID, and false
	// when the CRM has none.
	FindCallLog(ctx context.Context, log CallLog) (LoggedCall, bool, error)
	// FindUserID returns the id of the CRM user with the email address,
	// or "" when the CRM has none or cannot search users.
	FindUserID(ctx context.Context, email string) (string, error)
	// CreateContact creates a record for a caller the CRM does not know,
	// with the E.164 number as its phone and name.
	CreateContact(ctx context.Context, e164 string) (Record, error)
}

// CallMarker returns the line connectors write into a call entry's notes
// so that FindCallLog can find the entry of callID again.
func CallMarker(callID string) string {
	return "Switchboard call " + callID
}

// CallNotes returns the notes text of an entry: log.Notes, the recording
// link and the marker, one paragraph each.
func CallNotes(log CallLog) string {
	var parts []string
	if log.Notes != "" {
		parts = append(parts, log.Notes)
	}
	if log.RecordingURL != "" {
		parts = append(parts, "Recording: "+log.RecordingURL)
	}
	parts = append(parts, CallMarker(log.CallID))
	return strings.Join(parts, "\n\n")
}

// CallNotesHTML returns CallNotes as HTML for CRMs whose notes are rich
// text (HubSpot's hs_call_body, Pipedrive's note): escaped, so the notes
// show as typed, one paragraph per part and <br> per line break. Notes
// from a browser form have CRLF line breaks, which it reads as LF.
func CallNotesHTML(log CallLog) string {
	notes := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(CallNotes(log))
	var b strings.Builder
	for _, part := range strings.Split(notes, "\n\n") {
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(part), "\n", "<br>") + "</p>")
	}
	return b.String()
}

// HasCallMarker reports whether text holds the marker of callID as a
// whole word, so the marker of call_12 does not match call_123.
func HasCallMarker(text, callID string) bool {
	marker := CallMarker(callID)
	for rest := text; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			return false
		}
		rest = rest[i+len(marker):]
		if rest == "" || !isIDByte(rest[0]) {
			return true
		}
	}
}

func isIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}
