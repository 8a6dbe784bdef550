package telnyx

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/telephony"
)

// Header names of the Telnyx webhook signature.
const (
	HeaderSignature = "telnyx-signature-ed25519"
	HeaderTimestamp = "telnyx-timestamp"
)

// Verify checks the Ed25519 signature over telnyx-timestamp, "|" and the raw
// body against creds.PublicKey, and that the timestamp lies within
// Options.Tolerance of now. Every failure wraps telephony.ErrBadSignature.
func (a *Adapter) Verify(req telephony.Request, creds telephony.Credentials, now time.Time) error {
	signatureHeader := strings.TrimSpace(req.Header.Get(HeaderSignature))
	timestampHeader := strings.TrimSpace(req.Header.Get(HeaderTimestamp))
	if signatureHeader == "" || timestampHeader == "" {
		return fmt.Errorf("%w: missing %s or %s header", telephony.ErrBadSignature, HeaderSignature, HeaderTimestamp)
	}

	if err := a.checkTimestamp(timestampHeader, now); err != nil {
		return err
	}

	publicKey, err := decodePublicKey(creds.PublicKey)
	if err != nil {
		return err
	}

	signature, err := base64.StdEncoding.DecodeString(signatureHeader)
	if err != nil || len(signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: %s is not a base64 Ed25519 signature", telephony.ErrBadSignature, HeaderSignature)
	}

	message := make([]byte, 0, len(timestampHeader)+1+len(req.Body))
	message = append(message, timestampHeader...)
	message = append(message, '|')
	message = append(message, req.Body...)
	if !ed25519.Verify(publicKey, message, signature) {
		return fmt.Errorf("%w: Ed25519 signature does not match the body", telephony.ErrBadSignature)
	}
	return nil
}

// checkTimestamp rejects a telnyx-timestamp that is not Unix seconds or lies
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

// decodePublicKey decodes the connection's base64 Ed25519 public key. A
// missing or invalid key fails verification, so no webhook is trusted until
// the connection is configured correctly.
func decodePublicKey(encoded string) (ed25519.PublicKey, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: the connection's Telnyx public key must be base64 of %d bytes; copy it from the Telnyx portal",
			telephony.ErrBadSignature, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(key), nil
}
