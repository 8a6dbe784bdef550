package aircall

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// DefaultAPIBaseURL is the Aircall Public API base URL without the /v1 path.
const DefaultAPIBaseURL = "https://api.aircall.io"

// defaultTimeout bounds one transfer request of the default HTTP client.
const defaultTimeout = 10 * time.Second

// Options configures an Adapter. Zero fields take the defaults.
type Options struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 region used to read caller IDs
	// without a country code, such as "FR". Empty reads only numbers with one.
	DefaultRegion string
	// APIBaseURL is the Aircall API base URL without the /v1 path.
	// Credentials.APIBaseURL overrides it. Default https://api.aircall.io.
	APIBaseURL string
	// HTTPClient sends transfer requests. Default: a client with a 10-second
	// timeout.
	HTTPClient *http.Client
}

// Adapter implements telephony.Adapter and telephony.LiveCallController for
// Aircall. It is safe for concurrent use.
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
	if opts.APIBaseURL == "" {
		opts.APIBaseURL = DefaultAPIBaseURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Adapter{opts: opts}
}

// Provider returns telephony.ProviderAircall.
func (a *Adapter) Provider() telephony.Provider {
	return telephony.ProviderAircall
}

// Answer returns an empty 200 for every webhook: Aircall takes no routing
// answer, so Reroute carries out a routing decision.
func (a *Adapter) Answer(telephony.CallEvent, *telephony.Route) telephony.Answer {
	return telephony.Answer{Status: http.StatusOK}
}

// Verify checks that the token field of the body equals
// creds.WebhookToken. Every failure wraps telephony.ErrBadSignature. Aircall
// sends no timestamp header, so now is not used.
func (a *Adapter) Verify(req telephony.Request, creds telephony.Credentials, _ time.Time) error {
	if creds.WebhookToken == "" {
		return fmt.Errorf("%w: the connection has no Aircall webhook token; copy it from the Aircall webhook settings",
			telephony.ErrBadSignature)
	}

	var body struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return fmt.Errorf("%w: Aircall webhook body is not JSON, so it carries no token", telephony.ErrBadSignature)
	}
	if body.Token == "" {
		return fmt.Errorf("%w: Aircall webhook body has no token", telephony.ErrBadSignature)
	}

	// Comparing digests keeps the comparison constant-time for tokens of
	// different lengths too.
	got := sha256.Sum256([]byte(body.Token))
	want := sha256.Sum256([]byte(creds.WebhookToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: Aircall webhook token does not match the connection's token", telephony.ErrBadSignature)
	}
	return nil
}

// baseURL returns the API base URL for creds, without a trailing slash.
func (a *Adapter) baseURL(creds telephony.Credentials) string {
	base := a.opts.APIBaseURL
	if creds.APIBaseURL != "" {
		base = creds.APIBaseURL
	}
	return strings.TrimRight(base, "/")
}

// party turns a number as Aircall sent it into a telephony.Party.
func (a *Adapter) party(raw string) telephony.Party {
	id := phone.ParseCallerID(raw, a.opts.DefaultRegion)
	return telephony.Party{Raw: id.Raw, E164: id.E164, Kind: string(id.Kind)}
}
