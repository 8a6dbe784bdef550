package connections

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/aircall"
	"github.com/switchboard-oss/switchboard/telephony/generic"
	"github.com/switchboard-oss/switchboard/telephony/phone"
	"github.com/switchboard-oss/switchboard/telephony/telnyx"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
	"github.com/switchboard-oss/switchboard/telephony/vonage"
)

// Options are the provider settings of a connection. Each field names the
// providers that read it, and setting one that the provider does not read
// is a validation error. Zero fields take the adapter's default.
type Options struct {
	// ExtensionAs selects how an extension route rings: "client" or "sip"
	// on Twilio, "app" or "sip" on Vonage.
	ExtensionAs string `json:"extension_as,omitempty"`
	// SIPDomain is the host of extensions rung over SIP (Twilio, Vonage),
	// or of client and extension targets (Telnyx, default sip.telnyx.com).
	SIPDomain string `json:"sip_domain,omitempty"`
	// DialCallerID is the number shown to the agent, in E.164 (Twilio).
	DialCallerID string `json:"dial_caller_id,omitempty"`
	// VoicemailGreeting is spoken before the beep (Twilio, Vonage).
	VoicemailGreeting string `json:"voicemail_greeting,omitempty"`
	// VoicemailMaxSeconds caps a voicemail message: 1 to 3600 on Twilio,
	// 3 to 7200 on Vonage. Default 120.
	VoicemailMaxSeconds int `json:"voicemail_max_seconds,omitempty"`
	// HoldMusicURL is an MP3 played to callers waiting in a queue (Vonage).
	HoldMusicURL string `json:"hold_music_url,omitempty"`
	// TalkLanguage is the language of the voicemail greeting, such as
	// "de-DE" (Vonage).
	TalkLanguage string `json:"talk_language,omitempty"`
}

// MaxGreetingLength caps the voicemail greeting, in characters.
const MaxGreetingLength = 1000

// Names of the options, their JSON names.
const (
	optionExtensionAs  = "extension_as"
	optionSIPDomain    = "sip_domain"
	optionDialCallerID = "dial_caller_id"
	optionGreeting     = "voicemail_greeting"
	optionMaxSeconds   = "voicemail_max_seconds"
	optionHoldMusicURL = "hold_music_url"
	optionTalkLanguage = "talk_language"
)

// providerOptions lists the options each provider reads.
var providerOptions = map[telephony.Provider][]string{
	telephony.ProviderTwilio:  {optionExtensionAs, optionSIPDomain, optionDialCallerID, optionGreeting, optionMaxSeconds},
	telephony.ProviderVonage:  {optionExtensionAs, optionSIPDomain, optionGreeting, optionMaxSeconds, optionHoldMusicURL, optionTalkLanguage},
	telephony.ProviderTelnyx:  {optionSIPDomain},
	telephony.ProviderAircall: {},
	telephony.ProviderGeneric: {},
}

// set returns the JSON names of the options that are not zero.
func (o Options) set() []string {
	var names []string
	add := func(name string, isSet bool) {
		if isSet {
			names = append(names, name)
		}
	}
	add(optionExtensionAs, o.ExtensionAs != "")
	add(optionSIPDomain, o.SIPDomain != "")
	add(optionDialCallerID, o.DialCallerID != "")
	add(optionGreeting, o.VoicemailGreeting != "")
	add(optionMaxSeconds, o.VoicemailMaxSeconds != 0)
	add(optionHoldMusicURL, o.HoldMusicURL != "")
	add(optionTalkLanguage, o.TalkLanguage != "")
	return names
}

// sipDomainPattern matches a host name or IPv4 address with an optional
// port, such as example.sip.twilio.com or pbx.example.com:5061.
var sipDomainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)

// languageTagPattern matches a BCP 47 language tag such as en-US or de-DE.
var languageTagPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// checkOptions adds an error under options.{name} for every invalid option
// of provider p, and normalises o: DialCallerID becomes E.164, read in
// region when it has no country code.
func checkOptions(v *validation.Error, p telephony.Provider, o *Options, region string) {
	known, ok := providerOptions[p]
	if !ok {
		return
	}
	for _, name := range o.set() {
		if !slices.Contains(known, name) {
			v.Add("options."+name, "is not an option of %s connections", p)
		}
	}

	switch p {
	case telephony.ProviderTwilio:
		checkExtensionAs(v, o, twilio.ExtensionAsClient, twilio.ExtensionAsSIP)
		checkMaxSeconds(v, o.VoicemailMaxSeconds, 1, 3600)
		checkDialCallerID(v, o, region)
	case telephony.ProviderVonage:
		checkExtensionAs(v, o, vonage.ExtensionAsApp, vonage.ExtensionAsSIP)
		checkMaxSeconds(v, o.VoicemailMaxSeconds, 3, 7200)
		if o.HoldMusicURL != "" {
			if reason := checkHTTPURL(o.HoldMusicURL); reason != "" {
				v.Add("options."+optionHoldMusicURL, "%s", reason)
			}
		}
		if o.TalkLanguage != "" && !languageTagPattern.MatchString(o.TalkLanguage) {
			v.Add("options."+optionTalkLanguage, "%q is not a language tag such as en-US or de-DE", o.TalkLanguage)
		}
	}

	if o.SIPDomain != "" && !sipDomainPattern.MatchString(o.SIPDomain) {
		v.Add("options."+optionSIPDomain, "%q is not a host name such as pbx.example.com: leave out sip: and any user part", o.SIPDomain)
	}
	if o.VoicemailGreeting != "" {
		checkGreeting(v, o.VoicemailGreeting)
	}
}

func checkExtensionAs(v *validation.Error, o *Options, defaultMode, sipMode string) {
	switch o.ExtensionAs {
	case "", defaultMode:
	case sipMode:
		if o.SIPDomain == "" {
			v.Add("options."+optionSIPDomain, "is required when extension_as is %q", sipMode)
		}
	default:
		v.Add("options."+optionExtensionAs, "%q is invalid: use %q (the default) or %q", o.ExtensionAs, defaultMode, sipMode)
	}
}

func checkMaxSeconds(v *validation.Error, seconds, low, high int) {
	if seconds != 0 && (seconds < low || seconds > high) {
		v.Add("options."+optionMaxSeconds, "%d is out of range: use %d to %d seconds", seconds, low, high)
	}
}

func checkDialCallerID(v *validation.Error, o *Options, region string) {
	if o.DialCallerID == "" {
		return
	}
	number, err := phone.Parse(o.DialCallerID, region)
	if err != nil || number.E164 == "" {
		v.Add("options."+optionDialCallerID, "%q is not a phone number in E.164 form such as +14155550100", o.DialCallerID)
		return
	}
	o.DialCallerID = number.E164
}

func checkGreeting(v *validation.Error, greeting string) {
	switch {
	case utf8.RuneCountInString(greeting) > MaxGreetingLength:
		v.Add("options."+optionGreeting, "is longer than %d characters", MaxGreetingLength)
	case !utf8.ValidString(greeting) || strings.IndexFunc(greeting, unicode.IsControl) >= 0:
		v.Add("options."+optionGreeting, "contains a control character or invalid UTF-8")
	}
}

// aircallRouteKinds are the route kinds the Aircall transfer API can carry
// out (see package aircall).
var aircallRouteKinds = []telephony.TargetKind{
	telephony.TargetNumber, telephony.TargetClient, telephony.TargetExtension, telephony.TargetQueue,
}

// checkRouteKind returns why provider p cannot carry out a route of kind,
// or "" when it can.
func checkRouteKind(p telephony.Provider, kind telephony.TargetKind) string {
	if p != telephony.ProviderAircall || kind == "" {
		return ""
	}
	if slices.Contains(aircallRouteKinds, kind) {
		return ""
	}
	return fmt.Sprintf("aircall connections cannot route to %s: use number, client, extension (an Aircall user id) or queue (an Aircall team id)", kind)
}

// NewAdapter returns the adapter of the connection's provider, configured
// with its options and the workspace's default region. client sends the
// REST API requests of Telnyx, Aircall, Twilio and Vonage; nil selects the
// adapter's default client. publicBaseURL is the URL the provider reaches
// Switchboard at. A Twilio adapter builds the action URLs of rerouted calls
// from it, so without it those calls report no ringing outcome.
func NewAdapter(c Connection, client *http.Client, publicBaseURL string) (telephony.Adapter, error) {
	o := c.Options
	switch c.Provider {
	case telephony.ProviderTwilio:
		return twilio.New(twilio.Options{
			ExtensionAs: o.ExtensionAs, SIPDomain: o.SIPDomain, DefaultRegion: c.Region, DialCallerID: o.DialCallerID,
			VoicemailGreeting: o.VoicemailGreeting, VoicemailMaxSeconds: o.VoicemailMaxSeconds, HTTPClient: client,
			HookBaseURL: twilioHookBaseURL(publicBaseURL, c.ID),
		}), nil
	case telephony.ProviderVonage:
		return vonage.New(vonage.Options{
			ExtensionAs: o.ExtensionAs, SIPDomain: o.SIPDomain, DefaultRegion: c.Region, HoldMusicURL: o.HoldMusicURL,
			TalkLanguage: o.TalkLanguage, VoicemailGreeting: o.VoicemailGreeting, VoicemailMaxSeconds: o.VoicemailMaxSeconds,
			HTTPClient: client,
		}), nil
	case telephony.ProviderTelnyx:
		return telnyx.New(telnyx.Options{DefaultRegion: c.Region, SIPDomain: o.SIPDomain, HTTPClient: client}), nil
	case telephony.ProviderAircall:
		return aircall.New(aircall.Options{DefaultRegion: c.Region, HTTPClient: client}), nil
	case telephony.ProviderGeneric:
		return generic.New(generic.Options{DefaultRegion: c.Region}), nil
	}
	return nil, fmt.Errorf("telephony connection %s: unknown provider %q", c.ID, c.Provider)
}

// twilioHookBaseURL returns the hook base URL of Twilio connection id, or
// "" without a public base URL.
func twilioHookBaseURL(publicBaseURL, id string) string {
	if publicBaseURL == "" {
		return ""
	}
	return HookBaseURL(publicBaseURL, telephony.ProviderTwilio, id)
}
