package inbound

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// testCallID is the provider call id of the call TestRoute routes.
const testCallID = "routing-test"

// RoutingTest is what an incoming call would get: the matched contact, the
// decision and the exact webhook answer.
type RoutingTest struct {
	// Event is the incoming call as the rules saw it.
	Event    telephony.CallEvent
	Decision routing.Decision
	// Contact is the matched phonebook contact, nil when none matched.
	Contact *store.Contact
	// CRMContact is the contact a real-time CRM lookup found, nil when
	// the caller was found in a phonebook, or nowhere.
	CRMContact *routing.ContactEnv
	// Answer is the webhook answer the provider would get. Telnyx and
	// Aircall take the route as a REST command instead, so theirs is an
	// empty acknowledgement and Command is true.
	Answer  telephony.Answer
	Command bool
}

// TestRoute routes an imaginary incoming call from from to to on the
// connection connectionID of workspaceID, with the same lookup, rules,
// deadline and answer as a real webhook, and stores nothing. from is
// required; to may be empty. Both are read like provider input, so
// "anonymous" and SIP URIs are valid. The connection need not be enabled.
func (s *Service) TestRoute(ctx context.Context, workspaceID, connectionID, from, to string) (RoutingTest, error) {
	conn, err := s.load(ctx, workspaceID, connectionID)
	if err != nil {
		return RoutingTest{}, err
	}

	var verr validation.Error
	if strings.TrimSpace(from) == "" {
		verr.Add("from", "is required: the caller's number, such as +14155550123, or anonymous")
	} else {
		checkTestParty(&verr, "from", from, conn.Region)
	}
	if strings.TrimSpace(to) != "" {
		checkTestParty(&verr, "to", to, conn.Region)
	}
	if err := verr.Err(); err != nil {
		return RoutingTest{}, err
	}

	ev := telephony.CallEvent{
		Provider:       conn.Provider,
		ProviderCallID: testCallID,
		Direction:      telephony.DirectionInbound,
		From:           party(from, conn.Region),
		To:             party(to, conn.Region),
		Status:         telephony.StatusRinging,
		OccurredAt:     s.now(),
		NeedsRoute:     true,
	}

	budget, cancel := context.WithTimeout(ctx, conn.deadline)
	defer cancel()
	d := s.decide(budget, conn, ev, false)

	return RoutingTest{
		Event:      ev,
		Decision:   d.Decision,
		Contact:    d.Contact,
		CRMContact: d.CRMContact,
		Answer:     conn.adapter.Answer(ev, &d.Route),
		Command:    asyncRouting(conn.Provider),
	}, nil
}

// MaxTestPartyLength is the longest caller or called address a routing
// test reads, in characters. It leaves room for a long SIP URI.
const MaxTestPartyLength = 256

// checkTestParty adds an error for raw, a caller or called address typed
// into a routing test, when a webhook could not route a call from it: it
// is too long, or phone.ParseCallerID cannot classify it. Numbers, SIP
// URIs, client:identity and withheld caller IDs such as anonymous pass.
func checkTestParty(v *validation.Error, field, raw, region string) {
	raw = strings.TrimSpace(raw)
	if n := utf8.RuneCountInString(raw); n > MaxTestPartyLength {
		v.Add(field, "is %d characters long; the limit is %d characters", n, MaxTestPartyLength)
		return
	}
	if phone.ParseCallerID(raw, region).Kind == phone.CallerUnknown {
		v.Add(field, "%q is not a phone number, SIP URI, client:identity or anonymous", raw)
	}
}

// party reads a number or address as a provider would send it.
func party(raw, region string) telephony.Party {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return telephony.Party{}
	}
	id := phone.ParseCallerID(raw, region)
	return telephony.Party{Raw: id.Raw, E164: id.E164, Kind: string(id.Kind)}
}
