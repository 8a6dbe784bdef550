package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"
)

// callView holds the fields of a call in the API's responses that the demo
// reads.
type callView struct {
	ID             string `json:"id"`
	Provider       string `json:"provider"`
	ProviderCallID string `json:"provider_call_id"`
	From           struct {
		Raw  string `json:"raw"`
		E164 string `json:"e164"`
	} `json:"from"`
	Status          string     `json:"status"`
	AnsweredAt      *time.Time `json:"answered_at"`
	EndedAt         *time.Time `json:"ended_at"`
	DurationSeconds int        `json:"duration_seconds"`
	ContactID       *string    `json:"contact_id"`
	Routing         struct {
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
		Route  struct {
			Kind   string `json:"kind"`
			Target string `json:"target"`
		} `json:"route"`
	} `json:"routing"`
}

// callDetail is GET /v1/calls/{id}: the call with its matched contact and
// stored events.
type callDetail struct {
	callView
	Contact *struct {
		DisplayName string `json:"display_name"`
	} `json:"contact"`
	Events []json.RawMessage `json:"events"`
}

// listCalls reads every call with GET /v1/calls, following next_url, and
// the events of each with GET /v1/calls/{id}.
func listCalls(ctx context.Context, api *apiClient) ([]callDetail, error) {
	var calls []callDetail
	path := "/v1/calls?limit=100"
	for path != "" {
		var page struct {
			Data    []callView `json:"data"`
			NextURL string     `json:"next_url"`
		}
		if err := api.call(ctx, http.MethodGet, path, nil, http.StatusOK, &page); err != nil {
			return nil, err
		}
		for _, c := range page.Data {
			var detail callDetail
			if err := api.call(ctx, http.MethodGet, "/v1/calls/"+c.ID, nil, http.StatusOK, &detail); err != nil {
				return nil, err
			}
			calls = append(calls, detail)
		}
		path = page.NextURL
	}
	return calls, nil
}

// printCalls writes one line per call.
func printCalls(p *printer, calls []callDetail) {
	w := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  PROVIDER\tFROM\tCONTACT\tSTATUS\tANSWERED\tENDED\tDURATION\tRULE\tROUTE\tEVENTS")
	for _, c := range calls {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\t%d s\t%s\t%s %s\t%d\n",
			c.Provider, c.From.E164, dash(contactName(c)), c.Status,
			clock(c.AnsweredAt), clock(c.EndedAt), c.DurationSeconds,
			ruleName(c.callView), c.Routing.Route.Kind, c.Routing.Route.Target, len(c.Events))
	}
	w.Flush()
}

// checkCalls compares the call list with the expected calls, matched by
// provider call id, and checks that the forged webhook left no call.
func checkCalls(p *printer, calls []callDetail, want []expectedCall, forgedSID string) {
	expectEqual(p, "the number of calls", len(calls), len(want))
	byID := map[string]callDetail{}
	for _, c := range calls {
		byID[c.ProviderCallID] = c
	}
	_, forged := byID[forgedSID]
	p.expect(!forged, "the forged webhook created call %s", forgedSID)

	for _, w := range want {
		c, ok := byID[w.providerCallID]
		if !ok {
			p.expect(false, "no call has provider call id %s", w.providerCallID)
			continue
		}
		name := "call " + w.providerCallID
		expectEqual(p, name+": provider", c.Provider, w.provider)
		expectEqual(p, name+": from", c.From.E164, w.fromE164)
		expectEqual(p, name+": contact", contactName(c), w.contact)
		expectEqual(p, name+": status", c.Status, w.status)
		expectEqual(p, name+": answered", c.AnsweredAt != nil, w.answered)
		expectTime(p, name+": answered_at", c.AnsweredAt, w.answeredAt)
		expectEqual(p, name+": ended", c.EndedAt != nil, true)
		expectTime(p, name+": ended_at", c.EndedAt, w.endedAt)
		expectEqual(p, name+": duration_seconds", c.DurationSeconds, w.duration)
		expectEqual(p, name+": rule", c.Routing.Rule, w.rule)
		expectEqual(p, name+": stored events", len(c.Events), w.events)
	}
}

// expectTime checks got against want when want is known.
func expectTime(p *printer, what string, got, want *time.Time) {
	if want == nil {
		return
	}
	p.expect(got != nil && got.Equal(*want), "%s is %s, expected %s", what, clock(got), clock(want))
}

// contactName returns the display name of the call's contact, its id when
// the contact was deleted since, and "" when no contact matched.
func contactName(c callDetail) string {
	switch {
	case c.Contact != nil:
		return c.Contact.DisplayName
	case c.ContactID != nil:
		return *c.ContactID
	}
	return ""
}

func ruleName(c callView) string {
	if c.Routing.Rule != "" {
		return strconv.Quote(c.Routing.Rule)
	}
	if c.Routing.Reason != "" {
		return "default route (" + c.Routing.Reason + ")"
	}
	return "default route"
}

// clock writes t as a UTC time of day, "–" for nil.
func clock(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.UTC().Format("15:04:05")
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
