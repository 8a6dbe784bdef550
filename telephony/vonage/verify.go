package vonage

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-oss/switchboard/telephony"
)

// webhookClaims are the claims of the JWT that Vonage puts in the
// Authorization header of a signed webhook. Vonage signs it with HS256 and
// the account's signature secret.
type webhookClaims struct {
	jwt.RegisteredClaims // iat, jti and iss, which is always "Vonage"
	// PayloadHash is the hex SHA-256 of the request body.
	PayloadHash string `json:"payload_hash,omitempty"`
	// APIKey is the API key of the account that the webhook belongs to.
	APIKey string `json:"api_key,omitempty"`
	// ApplicationID is the Voice application that made the call, if any.
	ApplicationID string `json:"application_id,omitempty"`
}

// Verify checks the signed-webhook JWT in the Authorization header of req.
// The token must carry an HS256 signature with creds.SigningSecret and an iat
// claim within Options.MaxTokenAge of now. Its api_key claim must equal
// creds.AccountID when both are set. For a request with a body, its
// payload_hash claim must equal the SHA-256 of that body.
//
// NOTE: a GET webhook has no body, so its query parameters are not covered
// by the check. Vonage hashes them as a JSON object it rebuilds in query
// order, and this adapter does not rebuild it.
func (a *Adapter) Verify(req telephony.Request, creds telephony.Credentials, now time.Time) error {
	token, ok := bearerToken(req.Header.Get("Authorization"))
	if !ok {
		return fmt.Errorf("%w: missing bearer token in the Authorization header", telephony.ErrBadSignature)
	}
	if creds.SigningSecret == "" {
		return fmt.Errorf("%w: the connection has no Vonage signature secret", telephony.ErrBadSignature)
	}

	claims, err := a.parseWebhookToken(token, creds.SigningSecret, now)
	if err != nil {
		return fmt.Errorf("%w: %w", telephony.ErrBadSignature, err)
	}

	if creds.AccountID != "" && claims.APIKey != "" && claims.APIKey != creds.AccountID {
		return fmt.Errorf("%w: the token is for API key %q, not this connection's", telephony.ErrBadSignature, claims.APIKey)
	}

	if len(req.Body) > 0 && !payloadMatches(req.Body, claims.PayloadHash) {
		return fmt.Errorf("%w: the body does not match the payload_hash claim", telephony.ErrBadSignature)
	}
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" value.
func bearerToken(header string) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}

	token = strings.TrimSpace(token)
	return token, token != ""
}

// parseWebhookToken checks the signature and times of a webhook JWT and
// returns its claims. Only HS256 is accepted, whatever alg the token names.
func (a *Adapter) parseWebhookToken(token, secret string, now time.Time) (*webhookClaims, error) {
	claims := &webhookClaims{}
	_, err := jwt.ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, err
	}

	if claims.IssuedAt == nil {
		return nil, errors.New("the token has no iat claim")
	}
	age := now.Sub(claims.IssuedAt.Time)
	if age > a.opts.MaxTokenAge || age < -a.opts.MaxTokenAge {
		return nil, fmt.Errorf("the token was issued at %s, more than %s from now",
			claims.IssuedAt.UTC().Format(time.RFC3339), a.opts.MaxTokenAge)
	}
	return claims, nil
}

// payloadMatches reports, in constant time, whether body hashes to want, a
// hex SHA-256 digest in either case. An empty want never matches.
func payloadMatches(body []byte, want string) bool {
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(want))) == 1
}
