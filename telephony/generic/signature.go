package generic

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every Standard Webhooks signing secret.
const secretPrefix = "whsec_"

// ErrInvalidSecret is returned (wrapped) for a signing secret that is not
// base64, with or without the whsec_ prefix, or decodes to no bytes.
var ErrInvalidSecret = errors.New("signing secret must be whsec_ followed by base64")

// Sign returns the webhook-signature header value, "v1," and the base64
// HMAC-SHA256 of "{id}.{ts in Unix seconds}.{body}", keyed with secret.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

// Verify checks the Standard Webhooks signature of req against
// creds.SigningSecret and the timestamp against Options.Tolerance. Every
// failure wraps telephony.ErrBadSignature.
func (a *Adapter) Verify(req telephony.Request, creds telephony.Credentials, now time.Time) error {
	id := req.Header.Get(HeaderID)
	timestamp := req.Header.Get(HeaderTimestamp)
	signatures := req.Header.Get(HeaderSignature)
	if id == "" || timestamp == "" || signatures == "" {
		return fmt.Errorf("%w: missing %s, %s or %s header", telephony.ErrBadSignature, HeaderID, HeaderTimestamp, HeaderSignature)
	}

	if err := a.checkTimestamp(timestamp, now); err != nil {
		return err
	}

	key, err := decodeSecret(creds.SigningSecret)
	if err != nil {
		return fmt.Errorf("%w: the connection's %w", telephony.ErrBadSignature, err)
	}

	expected := mac(key, id, timestamp, req.Body)
	for _, signature := range strings.Fields(signatures) {
		version, encoded, found := strings.Cut(signature, ",")
		if !found || version != "v1" {
			continue
		}
		decoded, err := base64.StdEncoding.DecodeString(encoded)
		if err == nil && hmac.Equal(decoded, expected) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature in %s matches the body", telephony.ErrBadSignature, HeaderSignature)
}

// checkTimestamp rejects a webhook-timestamp that is not Unix seconds or lies
// further than the tolerance from now, in the past or the future.
func (a *Adapter) checkTimestamp(header string, now time.Time) error {
	seconds, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", telephony.ErrBadSignature, HeaderTimestamp, header)
	}

	skew := now.Sub(time.Unix(seconds, 0))
	if skew > a.opts.Tolerance || skew < -a.opts.Tolerance {
		return fmt.Errorf("%w: %s is %s away from now, more than the %s tolerance",
			telephony.ErrBadSignature, HeaderTimestamp, skew.Abs().Round(time.Second), a.opts.Tolerance)
	}
	return nil
}

// decodeSecret returns the HMAC key of a whsec_ secret. A secret without the
// prefix is read as base64 too, as the Standard Webhooks libraries do.
func decodeSecret(secret string) ([]byte, error) {
	encoded := strings.TrimPrefix(strings.TrimSpace(secret), secretPrefix)
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) == 0 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// mac computes HMAC-SHA256 over "{id}.{timestamp}.{body}".
func mac(key []byte, id, timestamp string, body []byte) []byte {
	hash := hmac.New(sha256.New, key)
	hash.Write([]byte(id + "." + timestamp + "."))
	hash.Write(body)
	return hash.Sum(nil)
}
