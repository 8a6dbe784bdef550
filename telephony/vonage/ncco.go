package vonage

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/switchboard-oss/switchboard/telephony"
)

// nccoContentType is the content type of every NCCO response.
const nccoContentType = "application/json"

// NCCO actions that Answer renders. Field names follow the NCCO reference,
// and the field order here is the order in the JSON.
type (
	connectAction struct {
		Action           string     `json:"action"`
		From             string     `json:"from,omitempty"`
		RandomFromNumber bool       `json:"randomFromNumber,omitempty"`
		Timeout          int        `json:"timeout,omitempty"`
		Endpoint         []endpoint `json:"endpoint"`
	}
	endpoint struct {
		Type   string `json:"type"`
		Number string `json:"number,omitempty"`
		URI    string `json:"uri,omitempty"`
		User   string `json:"user,omitempty"`
	}
	conversationAction struct {
		Action         string   `json:"action"`
		Name           string   `json:"name"`
		StartOnEnter   bool     `json:"startOnEnter"`
		MusicOnHoldURL []string `json:"musicOnHoldUrl,omitempty"`
	}
	talkAction struct {
		Action   string `json:"action"`
		Text     string `json:"text"`
		Language string `json:"language,omitempty"`
	}
	recordAction struct {
		Action       string `json:"action"`
		EndOnSilence int    `json:"endOnSilence"`
		EndOnKey     string `json:"endOnKey"`
		TimeOut      int    `json:"timeOut"`
		BeepStart    bool   `json:"beepStart"`
	}
)

// Answer renders route as an NCCO for the answer webhook. A webhook that
// needs no route gets 204 No Content. An answer webhook without a route gets
// an empty NCCO, which ends the call. A route that cannot be rendered, such
// as an extension over SIP without Options.SIPDomain, gets status 500 so that
// Vonage tries the application's fallback answer URL.
func (a *Adapter) Answer(ev telephony.CallEvent, route *telephony.Route) telephony.Answer {
	if !ev.NeedsRoute {
		return telephony.Answer{Status: http.StatusNoContent}
	}
	if route == nil {
		return nccoAnswer([]any{})
	}

	ncco, err := a.renderRoute(*route, connectFrom(ev))
	if err != nil {
		return telephony.Answer{
			Status:      http.StatusInternalServerError,
			ContentType: "text/plain; charset=utf-8",
			Body:        []byte(err.Error()),
		}
	}
	return nccoAnswer(ncco)
}

func nccoAnswer(ncco []any) telephony.Answer {
	body, err := json.Marshal(ncco)
	if err != nil {
		panic(fmt.Sprintf("vonage: marshal NCCO: %v", err)) // the action types hold only strings, ints and bools
	}
	return telephony.Answer{Status: http.StatusOK, ContentType: nccoContentType, Body: body}
}

// connectFrom returns the caller ID for connecting an incoming call to a
// phone: the Vonage number that was called, without the "+". Vonage only
// presents its own numbers as caller ID. Empty means no such number is known.
func connectFrom(ev telephony.CallEvent) string {
	if ev.Direction != telephony.DirectionInbound || ev.To.E164 == "" {
		return ""
	}
	return strings.TrimPrefix(ev.To.E164, "+")
}

// renderRoute returns the NCCO actions for route. from is the caller ID for
// phone endpoints. When it is empty, Vonage picks one of the application's
// numbers (randomFromNumber).
func (a *Adapter) renderRoute(route telephony.Route, from string) ([]any, error) {
	switch route.Kind {
	case telephony.TargetNumber, telephony.TargetSIP, telephony.TargetClient, telephony.TargetExtension:
		action, err := a.connect(route, from)
		if err != nil {
			return nil, err
		}
		return []any{action}, nil
	case telephony.TargetQueue:
		return a.queue(route)
	case telephony.TargetVoicemail:
		// Vonage has no mailboxes, so the route's optional mailbox name is
		// not used. The record action stops after 3 seconds of silence, on
		// "#" or at the maximum length, and the call ends with the NCCO.
		return []any{
			talkAction{Action: "talk", Text: a.opts.VoicemailGreeting, Language: a.opts.TalkLanguage},
			recordAction{Action: "record", EndOnSilence: 3, EndOnKey: "#", TimeOut: a.opts.VoicemailMaxSeconds, BeepStart: true},
		}, nil
	case telephony.TargetHangup:
		// The NCCO has no reject action. A call ends when all actions of its
		// NCCO are complete, so an empty NCCO ends it at once.
		// NOTE: untested against Vonage, which might take an empty NCCO as
		// invalid and request the application's fallback answer URL.
		return []any{}, nil
	default:
		return nil, fmt.Errorf("invalid route: unknown target kind %q", route.Kind)
	}
}

// queue renders a queue as the closest NCCO equivalent, a conversation named
// after the queue that callers join with startOnEnter false: they wait,
// hearing Options.HoldMusicURL, until an agent joins the conversation of the
// same name with startOnEnter true.
func (a *Adapter) queue(route telephony.Route) ([]any, error) {
	if route.Target == "" {
		return nil, fmt.Errorf("invalid route: a queue route needs a queue name")
	}

	action := conversationAction{Action: "conversation", Name: route.Target, StartOnEnter: false}
	if a.opts.HoldMusicURL != "" {
		action.MusicOnHoldURL = []string{a.opts.HoldMusicURL}
	}
	return []any{action}, nil
}

// connect returns the connect action for a route that rings a number, SIP
// URI, app user or extension. Route.CallerName is not used: no endpoint type
// has a field for it.
func (a *Adapter) connect(route telephony.Route, from string) (connectAction, error) {
	if route.Target == "" {
		return connectAction{}, fmt.Errorf("invalid route: a %s route needs a target", route.Kind)
	}

	kind, target := route.Kind, route.Target
	if kind == telephony.TargetExtension {
		var err error
		kind, target, err = a.extensionTarget(target)
		if err != nil {
			return connectAction{}, err
		}
	}

	action := connectAction{Action: "connect", Timeout: route.TimeoutSeconds}
	switch kind {
	case telephony.TargetNumber:
		action.Endpoint = []endpoint{{Type: "phone", Number: strings.TrimPrefix(target, "+")}}
		action.From = from
		action.RandomFromNumber = from == ""
	case telephony.TargetSIP:
		action.Endpoint = []endpoint{{Type: "sip", URI: telephony.SIPURI(target)}}
	default:
		action.Endpoint = []endpoint{{Type: "app", User: target}}
	}
	return action, nil
}

// extensionTarget turns an extension into the app user or SIP URI that
// Options.ExtensionAs selects.
func (a *Adapter) extensionTarget(extension string) (telephony.TargetKind, string, error) {
	switch a.opts.ExtensionAs {
	case ExtensionAsApp, ExtensionAsSIP:
		return telephony.ExtensionTarget(extension, a.opts.ExtensionAs == ExtensionAsSIP, a.opts.SIPDomain)
	default:
		return "", "", fmt.Errorf("invalid configuration: ExtensionAs is %q, use %q or %q",
			a.opts.ExtensionAs, ExtensionAsApp, ExtensionAsSIP)
	}
}
