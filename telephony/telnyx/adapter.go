package telnyx

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// Defaults for Options fields left zero.
const (
	DefaultTolerance  = 5 * time.Minute
	DefaultAPIBaseURL = "https://api.telnyx.com"
	DefaultSIPDomain  = "sip.telnyx.com"
	defaultTimeout    = 10 * time.Second
)

// Options configures an Adapter. Zero fields take the defaults above.
type Options struct {
	// Tolerance is the largest difference, in either direction, between the
	// telnyx-timestamp header and the current time. Default 5 minutes.
	Tolerance time.Duration
	// DefaultRegion is the ISO 3166-1 alpha-2 region used to read caller IDs
	// without a country code, such as "US". Empty reads only numbers with one.
	DefaultRegion string
	// APIBaseURL is the Call Control API base URL without the /v2 path.
	// Credentials.APIBaseURL overrides it. Default https://api.telnyx.com.
	APIBaseURL string
	// SIPDomain is the domain of the SIP URI rung for client and extension
	// targets. Default sip.telnyx.com, where Telnyx credential connections
	// register.
	SIPDomain string
	// HTTPClient sends Call Control commands. Default: a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// Adapter implements telephony.Adapter and telephony.LiveCallController for
// Telnyx Call Control v2. It is safe for concurrent use.
type Adapter struct {
	opts Options
}

// Compile-time checks that Adapter implements both interfaces.
var (
	_ telephony.Adapter            = (*Adapter)(nil)
	_ telephony.LiveCallController = (*Adapter)(nil)
)

// New returns an Adapter with opts, filling zero fields with defaults.
func New(opts Options) *Adapter {
	if opts.Tolerance <= 0 {
		opts.Tolerance = DefaultTolerance
	}
	if opts.APIBaseURL == "" {
		opts.APIBaseURL = DefaultAPIBaseURL
	}
	if opts.SIPDomain == "" {
		opts.SIPDomain = DefaultSIPDomain
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Adapter{opts: opts}
}

// Provider returns telephony.ProviderTelnyx.
func (a *Adapter) Provider() telephony.Provider {
	return telephony.ProviderTelnyx
}

// Answer returns an empty 200 for every webhook: Telnyx takes no routing
// answer in the response, so Route carries out the decision.
func (a *Adapter) Answer(telephony.CallEvent, *telephony.Route) telephony.Answer {
	return telephony.Answer{Status: http.StatusOK}
}

// baseURL returns the API base URL for creds, without a trailing slash.
func (a *Adapter) baseURL(creds telephony.Credentials) string {
	base := a.opts.APIBaseURL
	if creds.APIBaseURL != "" {
		base = creds.APIBaseURL
	}
	return strings.TrimRight(base, "/")
}

// party turns a caller ID as Telnyx sent it into a telephony.Party.
func (a *Adapter) party(raw string) telephony.Party {
	id := phone.ParseCallerID(raw, a.opts.DefaultRegion)
	return telephony.Party{Raw: id.Raw, E164: id.E164, Kind: string(id.Kind)}
}
