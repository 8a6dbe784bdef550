package twilio

import (
	"encoding/xml"
	"fmt"
	"net/http"

	"github.com/switchboard-oss/switchboard/telephony"
)

// twimlContentType is the content type of every TwiML response.
const twimlContentType = "text/xml"

// The TwiML elements that Answer renders. encoding/xml escapes every value,
// so targets and caller names cannot inject markup.
type (
	response struct {
		XMLName xml.Name `xml:"Response"`
		Verbs   []any
	}
	dial struct {
		XMLName  xml.Name `xml:"Dial"`
		Action   string   `xml:"action,attr,omitempty"`
		Timeout  int      `xml:"timeout,attr,omitempty"`
		CallerID string   `xml:"callerId,attr,omitempty"`
		Number   *address `xml:"Number,omitempty"`
		SIP      *address `xml:"Sip,omitempty"`
		Client   *client  `xml:"Client,omitempty"`
	}
	// legCallbacks are the attributes of a <Dial> noun that request status
	// callbacks of the child leg it places.
	legCallbacks struct {
		StatusCallbackEvent string `xml:"statusCallbackEvent,attr,omitempty"`
		StatusCallback      string `xml:"statusCallback,attr,omitempty"`
	}
	// address is a <Number> or <Sip> noun: a phone number or SIP URI.
	address struct {
		legCallbacks
		Value string `xml:",chardata"`
	}
	// client is <Client>identity</Client>, or <Client> with <Identity> and
	// <Parameter> children when there are custom parameters to pass.
	client struct {
		legCallbacks
		Name       string      `xml:",chardata"`
		Identity   string      `xml:"Identity,omitempty"`
		Parameters []parameter `xml:"Parameter"`
	}
	parameter struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	enqueue struct {
		XMLName xml.Name `xml:"Enqueue"`
		Queue   string   `xml:",chardata"`
	}
	say struct {
		XMLName xml.Name `xml:"Say"`
		Text    string   `xml:",chardata"`
	}
	record struct {
		XMLName   xml.Name `xml:"Record"`
		Action    string   `xml:"action,attr,omitempty"`
		MaxLength int      `xml:"maxLength,attr"`
	}
	reject struct {
		XMLName xml.Name `xml:"Reject"`
	}
	hangup struct {
		XMLName xml.Name `xml:"Hangup"`
	}
)

// Answer renders route as TwiML for the voice webhook. Every other webhook,
// and a voice webhook without a route, gets an empty <Response>, which ends
// the call when it is the reply to the voice or dial hook. A route that
// cannot be rendered, such as an extension over SIP without Options.SIPDomain,
// gets status 500 so that Twilio plays its application error message and
// tries the number's fallback URL.
func (a *Adapter) Answer(ev telephony.CallEvent, route *telephony.Route) telephony.Answer {
	if !ev.NeedsRoute || route == nil {
		return twimlAnswer(mustMarshal(response{}))
	}

	body, err := a.renderRoute(*route, false)
	if err != nil {
		return telephony.Answer{
			Status:      http.StatusInternalServerError,
			ContentType: "text/plain; charset=utf-8",
			Body:        []byte(err.Error()),
		}
	}
	return twimlAnswer(body)
}

func twimlAnswer(body []byte) telephony.Answer {
	return telephony.Answer{Status: http.StatusOK, ContentType: twimlContentType, Body: body}
}

// renderRoute returns the TwiML document for route. live is true for a call
// already in progress, redirected through the REST API: its TwiML has no
// document URL to resolve relative action URLs against, so action URLs are
// absolute, built from Options.HookBaseURL, and left out without it. A
// live hangup uses <Hangup>, because <Reject> only applies to a call that
// has not been answered.
func (a *Adapter) renderRoute(route telephony.Route, live bool) ([]byte, error) {
	var verbs []any
	switch route.Kind {
	case telephony.TargetNumber, telephony.TargetSIP, telephony.TargetClient, telephony.TargetExtension:
		verb, err := a.dialVerb(route, live)
		if err != nil {
			return nil, err
		}
		verbs = []any{verb}
	case telephony.TargetQueue:
		// <Enqueue> puts the caller into the named queue to wait for an agent.
		// <Dial><Queue> is the agent's side: it takes the next caller out of
		// the queue, so it is not what a caller routed to a queue needs.
		if route.Target == "" {
			return nil, fmt.Errorf("invalid route: a queue route needs a queue name")
		}
		verbs = []any{enqueue{Queue: route.Target}}
	case telephony.TargetVoicemail:
		// Twilio has no mailboxes, so the route's optional mailbox name is
		// not used.
		rec := record{MaxLength: a.opts.VoicemailMaxSeconds, Action: a.actionURL(HookVoicemail, live)}
		verbs = []any{say{Text: a.opts.VoicemailGreeting}, rec}
	case telephony.TargetHangup:
		if live {
			verbs = []any{hangup{}}
		} else {
			verbs = []any{reject{}}
		}
	default:
		return nil, fmt.Errorf("invalid route: unknown target kind %q", route.Kind)
	}
	return mustMarshal(response{Verbs: verbs}), nil
}

// dialVerb returns the <Dial> for a route that rings a number, SIP URI,
// client or extension.
func (a *Adapter) dialVerb(route telephony.Route, live bool) (dial, error) {
	if route.Target == "" {
		return dial{}, fmt.Errorf("invalid route: a %s route needs a target", route.Kind)
	}

	verb := dial{Timeout: route.TimeoutSeconds, CallerID: a.opts.DialCallerID, Action: a.actionURL(HookDial, live)}

	kind := route.Kind
	target := route.Target
	if kind == telephony.TargetExtension {
		var err error
		kind, target, err = a.extensionTarget(target)
		if err != nil {
			return dial{}, err
		}
	}

	callbacks := a.legCallbacks()
	switch kind {
	case telephony.TargetNumber:
		verb.Number = &address{legCallbacks: callbacks, Value: target}
	case telephony.TargetSIP:
		verb.SIP = &address{legCallbacks: callbacks, Value: telephony.SIPURI(target)}
	default:
		verb.Client = newClient(target, route.CallerName)
		verb.Client.legCallbacks = callbacks
	}
	return verb, nil
}

// childLegEvents are the call progress events that a <Number>, <Client>
// or <Sip> noun requests status callbacks for. Twilio's TwiML reference
// lists these four values for <Number> and <Client>.
//
// NOTE: Twilio's <Sip> reference names the attribute but not its values,
// so <Sip> gets the same four on the assumption that they match.
const childLegEvents = "initiated ringing answered completed"

// legCallbacks returns the attributes that send the status callbacks of the
// child leg to the status hook. The ringing and answered callbacks of that
// leg are the only report of when the agent's phone rang and when the agent
// picked up. Twilio documents statusCallback as a URL without saying that a
// relative one is resolved against the document URL, so the attributes
// need an absolute URL and are left out when Options.HookBaseURL is empty.
func (a *Adapter) legCallbacks() legCallbacks {
	if a.opts.HookBaseURL == "" {
		return legCallbacks{}
	}
	return legCallbacks{StatusCallbackEvent: childLegEvents, StatusCallback: a.opts.HookBaseURL + HookStatus}
}

// actionURL returns the action URL that sends Twilio to hook: relative in
// the answer to a webhook, absolute on a live call, and "" on a live call
// when Options.HookBaseURL is empty.
func (a *Adapter) actionURL(hook string, live bool) string {
	switch {
	case !live:
		return hook
	case a.opts.HookBaseURL != "":
		return a.opts.HookBaseURL + hook
	default:
		return ""
	}
}

// extensionTarget turns an extension into the client identity or SIP URI
// that Options.ExtensionAs selects.
func (a *Adapter) extensionTarget(extension string) (telephony.TargetKind, string, error) {
	switch a.opts.ExtensionAs {
	case ExtensionAsClient, ExtensionAsSIP:
		return telephony.ExtensionTarget(extension, a.opts.ExtensionAs == ExtensionAsSIP, a.opts.SIPDomain)
	default:
		return "", "", fmt.Errorf("invalid configuration: ExtensionAs is %q, use %q or %q",
			a.opts.ExtensionAs, ExtensionAsClient, ExtensionAsSIP)
	}
}

// newClient returns the <Client> noun for identity. A caller name travels as
// the custom parameter CallerNameParameter, which needs the long form.
func newClient(identity, callerName string) *client {
	if callerName == "" {
		return &client{Name: identity}
	}
	return &client{
		Identity:   identity,
		Parameters: []parameter{{Name: CallerNameParameter, Value: callerName}},
	}
}

// mustMarshal renders a TwiML document. The element types above contain only
// strings and ints, which encoding/xml always marshals, so an error is a bug.
func mustMarshal(doc response) []byte {
	body, err := xml.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("twilio: marshal TwiML: %v", err))
	}
	return append([]byte(xml.Header), body...)
}
