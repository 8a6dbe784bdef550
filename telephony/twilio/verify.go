package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// SignatureHeader is the header in which Twilio sends a webhook's signature.
const SignatureHeader = "X-Twilio-Signature"

// bodyHashParam is the query parameter that Twilio appends to the webhook URL
// when the request has a JSON body: the hex SHA-256 of that body.
const bodyHashParam = "bodySHA256"

// Signature computes the X-Twilio-Signature value of a request to rawURL, the
// full URL with its query string, that carries the form parameters params.
// params is nil for a GET request or a JSON body. The value is the base64
// HMAC-SHA1, keyed with the auth token, of the URL followed by each parameter
// name and value, sorted by name. Repeated values of one name are sorted too.
func Signature(authToken, rawURL string, params url.Values) string {
	var data strings.Builder
	data.WriteString(rawURL)

	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		values := append([]string(nil), params[name]...)
		sort.Strings(values)
		for _, value := range values {
			data.WriteString(name)
			data.WriteString(value)
		}
	}

	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(data.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks the X-Twilio-Signature header of req against the auth token
// in creds.AuthToken. The signed URL is req.PublicURL. Because Twilio signs
// some requests with the URL's default port and some without it, the URL is
// also tried with the port added or removed. For a request with a JSON body
// the URL carries bodySHA256, only the URL is signed, and the body must hash
// to that value. now is unused: Twilio signatures carry no timestamp.
//
// NOTE: requests signed with a Webhooks Rule's shared key and HMAC-SHA256
// (header X-Twilio-Webhooks-Signature-Settings) fail this check.
func (a *Adapter) Verify(req telephony.Request, creds telephony.Credentials, _ time.Time) error {
	signature := req.Header.Get(SignatureHeader)
	if signature == "" {
		return fmt.Errorf("%w: missing %s header", telephony.ErrBadSignature, SignatureHeader)
	}
	if creds.AuthToken == "" {
		return fmt.Errorf("%w: the connection has no Twilio auth token", telephony.ErrBadSignature)
	}

	publicURL, err := url.Parse(req.PublicURL)
	if err != nil || publicURL.Host == "" {
		return fmt.Errorf("%w: invalid public URL %q", telephony.ErrBadSignature, req.PublicURL)
	}

	bodyHash := publicURL.Query().Get(bodyHashParam)
	var params url.Values
	if bodyHash == "" {
		params, err = signedParams(req)
		if err != nil {
			return fmt.Errorf("%w: %w", telephony.ErrBadSignature, err)
		}
	}

	if !matchesAnyURL(signature, creds.AuthToken, req.PublicURL, publicURL, params) {
		return fmt.Errorf("%w: %s does not match", telephony.ErrBadSignature, SignatureHeader)
	}

	if bodyHash != "" && !bodyMatches(req.Body, bodyHash) {
		return fmt.Errorf("%w: the body does not match %s", telephony.ErrBadSignature, bodyHashParam)
	}
	return nil
}

// signedParams returns the form parameters that Twilio signs: those of a
// POST body. Query parameters are signed as part of the URL.
func signedParams(req telephony.Request) (url.Values, error) {
	if !strings.EqualFold(req.Method, http.MethodPost) || len(req.Body) == 0 {
		return nil, nil
	}

	params, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, fmt.Errorf("invalid form body: %w", err)
	}
	return params, nil
}

// matchesAnyURL reports whether signature is the signature of one of the
// forms of the public URL, comparing in constant time.
func matchesAnyURL(signature, authToken, rawURL string, publicURL *url.URL, params url.Values) bool {
	matched := false
	for _, candidate := range urlForms(rawURL, publicURL) {
		expected := Signature(authToken, candidate, params)
		if subtle.ConstantTimeCompare([]byte(expected), []byte(signature)) == 1 {
			matched = true
		}
	}
	return matched
}

// urlForms returns rawURL as given and with its port toggled: the scheme's
// default port added when there is none, the port removed when there is one.
func urlForms(rawURL string, parsed *url.URL) []string {
	toggled := *parsed
	if parsed.Port() == "" {
		toggled.Host = net.JoinHostPort(parsed.Hostname(), defaultPort(parsed.Scheme))
	} else {
		toggled.Host = parsed.Hostname()
		if strings.Contains(toggled.Host, ":") {
			toggled.Host = "[" + toggled.Host + "]" // IPv6 literal
		}
	}
	return []string{rawURL, toggled.String()}
}

func defaultPort(scheme string) string {
	if strings.EqualFold(scheme, "http") {
		return "80"
	}
	return "443"
}

// bodyMatches reports, in constant time, whether body hashes to want, a hex
// SHA-256 digest in either case.
func bodyMatches(body []byte, want string) bool {
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(want))) == 1
}
