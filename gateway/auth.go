package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// APIKeyPrefix starts every API key, so keys are recognisable in config
// files and secret scanners, and tell apart from JWT access tokens.
const APIKeyPrefix = "sbk_"

// Access token claims values.
const (
	tokenIssuer   = "switchboard"
	tokenAudience = "switchboard-api"
)

// Scopes. A write scope includes the read scope of its family; admin
// includes every scope.
const (
	ScopeAdmin            = "admin"
	ScopeDirectoryRead    = "directory:read"
	ScopeDirectoryWrite   = "directory:write"
	ScopeCallsRead        = "calls:read"
	ScopeCallsWrite       = "calls:write"
	ScopeConnectionsRead  = "connections:read"
	ScopeConnectionsWrite = "connections:write"
	ScopeWebhooksRead     = "webhooks:read"
	ScopeWebhooksWrite    = "webhooks:write"
	// ScopeAgent opens the agent console's stream and reads the signed-in
	// user's own calls; only user tokens from /v1/auth/sign-in can use it.
	ScopeAgent = "agent"
)

// AllScopes lists every scope a key may hold.
var AllScopes = []string{
	ScopeAdmin,
	ScopeDirectoryRead, ScopeDirectoryWrite,
	ScopeCallsRead, ScopeCallsWrite,
	ScopeConnectionsRead, ScopeConnectionsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite,
	ScopeAgent,
}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool { return slices.Contains(AllScopes, s) }

// Principal is who is asking: the workspace and the scopes of the
// credential.
type Principal struct {
	WorkspaceID string
	// CredentialID is the API key id; an access token carries the id of the
	// key it was issued for.
	CredentialID string
	Scopes       []string
	// UserID is the signed-in user of a user token, "" for API keys and
	// their access tokens.
	UserID string
	// ExpiresAt is when the access token expires, zero for an API key.
	ExpiresAt time.Time
}

// Has reports whether the principal holds scope, directly or through
// admin or the write scope of the same family.
func (p *Principal) Has(scope string) bool {
	for _, s := range p.Scopes {
		if s == ScopeAdmin || s == scope {
			return true
		}
		if family, ok := strings.CutSuffix(scope, ":read"); ok && s == family+":write" {
			return true
		}
	}
	return false
}

func principalOf(c echo.Context) *Principal {
	p, _ := c.Get(ctxPrincipal).(*Principal)
	return p
}

// accessClaims are the claims of an access token.
type accessClaims struct {
	WorkspaceID string `json:"ws"`
	Scope       string `json:"scope"`
	// Kind is tokenKindUser for a user token, whose subject is a user id;
	// empty for an access token of an API key.
	Kind string `json:"kind,omitempty"`
	jwt.RegisteredClaims
}

// tokenKindUser marks the access tokens that /v1/auth/sign-in issues.
const tokenKindUser = "user"

type authenticator struct {
	store   *store.Store
	jwtKey  []byte
	ttl     time.Duration
	log     *zap.Logger
	limiter *rateLimiter

	keys *keyCache

	mu        sync.Mutex
	lastTouch map[string]time.Time
}

func newAuthenticator(cfg Config, st *store.Store, kr *secret.Keyring, log *zap.Logger) *authenticator {
	a := &authenticator{
		store:     st,
		jwtKey:    kr.Subkey(secret.LabelJWT),
		ttl:       cfg.TokenTTL,
		log:       log,
		keys:      newKeyCache(time.Now),
		lastTouch: map[string]time.Time{},
	}
	if cfg.RateLimit > 0 {
		a.limiter = newRateLimiter(cfg.RateLimit)
	}
	return a
}

var errNoCredential = errors.New("no credential")

// requireAuth reads the bearer credential, answers 401 when it is missing
// or invalid and 429 when its rate limit is spent.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.auth.authenticate(c.Request().Context(), c.Request().Header.Get("Authorization"))
		if err != nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
			if errors.Is(err, errNoCredential) {
				return newProblem(probUnauthorized, "Missing credential: send an API key or access token as `Authorization: Bearer <token>`.")
			}
			var p *Problem
			if errors.As(err, &p) {
				return p
			}
			return err
		}
		c.Set(ctxPrincipal, p)

		if s.auth.limiter != nil {
			if ok, wait := s.auth.limiter.allow(p.CredentialID); !ok {
				return &errRateLimited{retryAfter: wait}
			}
		}
		return next(c)
	}
}

// requireScope rejects the request with 403 unless the principal holds
// scope.
func requireScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !principalOf(c).Has(scope) {
				return newProblem(probForbidden, "This credential lacks the %q scope this operation needs.", scope)
			}
			return next(c)
		}
	}
}

func (a *authenticator) authenticate(ctx context.Context, header string) (*Principal, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if header == "" {
		return nil, errNoCredential
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, newProblem(probUnauthorized, "The Authorization header must be `Bearer <token>`.")
	}
	token = strings.TrimSpace(token)

	if strings.HasPrefix(token, APIKeyPrefix) {
		return a.authenticateKey(ctx, token)
	}
	p, err := a.authenticateJWT(token)
	if err != nil {
		return nil, err
	}
	if p.UserID != "" {
		return a.authenticateUser(ctx, p)
	}

	// A token dies with its key: revoking the key ends its tokens at once
	// rather than when they expire.
	key, err := a.keyByID(ctx, p.WorkspaceID, p.CredentialID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && key.RevokedAt != nil) {
		return nil, newProblem(probUnauthorized, "The API key this access token was issued for was revoked.")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate access token: %w", err)
	}
	return p, nil
}

func (a *authenticator) authenticateKey(ctx context.Context, token string) (*Principal, error) {
	key, err := a.keyByHash(ctx, secret.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, newProblem(probUnauthorized, "The API key is not valid.")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate api key: %w", err)
	}
	if key.RevokedAt != nil {
		return nil, newProblem(probUnauthorized, "The API key %s was revoked.", key.Prefix)
	}
	a.touch(ctx, key.ID)
	return &Principal{WorkspaceID: key.WorkspaceID, CredentialID: key.ID, Scopes: key.Scopes}, nil
}

// keyByHash returns the key whose token hashes to hash, from the cache
// when it was read within keyCacheTTL.
func (a *authenticator) keyByHash(ctx context.Context, hash string) (store.APIKey, error) {
	if key, ok := a.keys.byTokenHash(hash); ok {
		return key, nil
	}
	key, err := a.store.GetAPIKeyByHash(ctx, hash)
	if err == nil {
		a.keys.put(key)
	}
	return key, err
}

// keyByID returns the key id of workspaceID, from the cache when it was
// read within keyCacheTTL.
func (a *authenticator) keyByID(ctx context.Context, workspaceID, id string) (store.APIKey, error) {
	if key, ok := a.keys.byKeyID(id); ok && key.WorkspaceID == workspaceID {
		return key, nil
	}
	key, err := a.store.GetAPIKey(ctx, workspaceID, id)
	if err == nil {
		a.keys.put(key)
	}
	return key, err
}

// touch records the key's last use at most once a minute per key and
// process, so busy keys do not turn every read into a write. Several
// instances each write their own minute.
func (a *authenticator) touch(ctx context.Context, keyID string) {
	t := time.Now()
	a.mu.Lock()
	last := a.lastTouch[keyID]
	due := t.Sub(last) >= time.Minute
	if due {
		a.lastTouch[keyID] = t
	}
	a.mu.Unlock()

	if due {
		if err := a.store.TouchAPIKey(ctx, keyID, store.Millis(t)); err != nil {
			a.log.Warn("record api key use failed", zap.String("api_key_id", keyID), zap.Error(err))
		}
	}
}

func (a *authenticator) authenticateJWT(token string) (*Principal, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.jwtKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(tokenAudience),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired) && claims.Kind == tokenKindUser:
			return nil, newProblem(probUnauthorized, "The access token has expired; sign in again at /v1/auth/sign-in.")
		case errors.Is(err, jwt.ErrTokenExpired):
			return nil, newProblem(probUnauthorized, "The access token has expired; request a new one at /oauth/token.")
		}
		return nil, newProblem(probUnauthorized, "The access token is not valid.")
	}
	p := &Principal{WorkspaceID: claims.WorkspaceID, CredentialID: claims.Subject, Scopes: strings.Fields(claims.Scope)}
	if claims.ExpiresAt != nil {
		p.ExpiresAt = claims.ExpiresAt.Time
	}
	if claims.Kind == tokenKindUser {
		p.UserID = claims.Subject
	}
	return p, nil
}

// issueToken signs an access token for key with scopes.
func (a *authenticator) issueToken(key store.APIKey, scopes []string) (string, time.Time, error) {
	issued := time.Now()
	expires := issued.Add(a.ttl)
	claims := accessClaims{
		WorkspaceID: key.WorkspaceID,
		Scope:       strings.Join(scopes, " "),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   key.ID,
			Audience:  jwt.ClaimStrings{tokenAudience},
			IssuedAt:  jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(expires),
			ID:        secret.RandomToken(12),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.jwtKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, expires, nil
}
