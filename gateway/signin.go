package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// DefaultUserTokenTTL is the lifetime of user tokens when
// Config.UserTokenTTL is zero: a working day, so an agent signs in once
// per shift.
const DefaultUserTokenTTL = 12 * time.Hour

// Sign-in failure limits: each email and client IP pair may fail
// signInBurst times in a row, then once per signInRefill.
const (
	signInBurst  = 5
	signInRefill = time.Minute
	// signInLimiterMax bounds the pairs remembered. Past it, pairs whose
	// bucket is full again are forgotten.
	signInLimiterMax = 10_000
)

// errSignInFailed is the one response for an unknown email, a wrong
// password and a disabled user, so it reveals nothing about which
// accounts exist.
var errSignInFailed = newProblem(probUnauthorized, "The email or password is wrong, or the user is disabled.")

// roleScopes returns the scopes a user of role holds.
func roleScopes(role string) []string {
	if role == agents.RoleAdmin {
		return []string{ScopeAdmin}
	}
	return []string{ScopeCallsRead, ScopeDirectoryRead, ScopeAgent}
}

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type signInResponse struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresIn   int64    `json:"expires_in"`
	User        userView `json:"user"`
}

// signIn checks an email and password and returns a user token.
func (s *Server) signIn(c echo.Context) error {
	ctx := c.Request().Context()

	var req signInRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validateSignIn(req); err != nil {
		return err
	}

	limitKey := strings.ToLower(strings.TrimSpace(req.Email)) + "|" + c.RealIP()
	if wait, limited := s.signIns.blocked(limitKey); limited {
		c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
		return newProblem(probRateLimited, "Too many failed sign-ins for this email from this address; retry after %d second(s).", wait)
	}

	u, err := s.checkPassword(ctx, req)
	if errors.Is(err, errSignInFailed) {
		s.signIns.fail(limitKey)
	}
	if err != nil {
		return err
	}
	s.signIns.forget(limitKey)

	token, expires, err := s.IssueUserToken(u)
	if err != nil {
		return err
	}
	s.log.Info("user signed in", zap.String("workspace_id", u.WorkspaceID), zap.String("user_id", u.ID))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, signInResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int64(time.Until(expires).Round(time.Second) / time.Second),
		User:        viewUser(u),
	})
}

func validateSignIn(req signInRequest) error {
	var v validation.Error
	if strings.TrimSpace(req.Email) == "" {
		v.Add("email", "is missing")
	}
	if req.Password == "" {
		v.Add("password", "is missing")
	}
	if len(req.Password) > agents.MaxPasswordBytes {
		v.Add("password", "is longer than %d bytes", agents.MaxPasswordBytes)
	}
	return v.Err()
}

// checkPassword returns the user with the email of req when the password
// matches and the user is enabled, and errSignInFailed otherwise. An
// unknown email costs a hash computation too, so timing does not reveal
// which emails exist.
func (s *Server) checkPassword(ctx context.Context, req signInRequest) (store.User, error) {
	u, err := s.store.GetUserByEmail(ctx, strings.TrimSpace(req.Email))
	if errors.Is(err, store.ErrNotFound) {
		agents.VerifyNothing(req.Password)
		return store.User{}, errSignInFailed
	}
	if err != nil {
		return store.User{}, err
	}

	ok, err := agents.VerifyPassword(u.PasswordHash, req.Password)
	if err != nil {
		return store.User{}, fmt.Errorf("check password of user %s: %w", u.ID, err)
	}
	if !ok || u.Disabled {
		return store.User{}, errSignInFailed
	}
	return u, nil
}

// IssueUserToken signs a user token for u, valid for Config.UserTokenTTL.
// Sign-in calls it; so may tools and benchmarks that create users directly.
func (s *Server) IssueUserToken(u store.User) (string, time.Time, error) {
	ttl := s.cfg.UserTokenTTL
	if ttl <= 0 {
		ttl = DefaultUserTokenTTL
	}
	issued := time.Now()
	expires := issued.Add(ttl)
	claims := accessClaims{
		WorkspaceID: u.WorkspaceID,
		Scope:       strings.Join(roleScopes(u.Role), " "),
		Kind:        tokenKindUser,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{tokenAudience},
			IssuedAt:  jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(expires),
			ID:        secret.RandomToken(12),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.auth.jwtKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign user token: %w", err)
	}
	return signed, expires, nil
}

// authenticateUser checks that the user of a user token still exists and
// is enabled, and gives the principal the scopes of the user's current
// role, so a demoted admin loses admin rights at once.
func (a *authenticator) authenticateUser(ctx context.Context, p *Principal) (*Principal, error) {
	u, err := a.store.GetUser(ctx, p.WorkspaceID, p.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, newProblem(probUnauthorized, "The user this access token was issued to is disabled or deleted.")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate user token: %w", err)
	}
	p.Scopes = roleScopes(u.Role)
	return p, nil
}

// signInLimiter counts failed sign-ins per email and client IP with a
// token bucket each.
//
// NOTE: the client IP is echo's RealIP, which trusts X-Forwarded-For and
// X-Real-IP. A client reaching the gateway without a proxy that overwrites
// them can rotate the address and escape the per-IP part of the limit.
type signInLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newSignInLimiter() *signInLimiter {
	return &signInLimiter{buckets: map[string]*rate.Limiter{}}
}

// blocked reports whether key has no failures left, and if so how many
// whole seconds until it has one.
func (l *signInLimiter) blocked(key string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok || b.Tokens() >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - b.Tokens()) * float64(signInRefill))
	return int(wait/time.Second) + 1, true
}

// fail spends one failure of key.
func (l *signInLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= signInLimiterMax {
			l.pruneLocked()
		}
		b = rate.NewLimiter(rate.Every(signInRefill), signInBurst)
		l.buckets[key] = b
	}
	b.Allow()
}

// forget drops the failures of key after a successful sign-in.
func (l *signInLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
}

func (l *signInLimiter) pruneLocked() {
	for key, b := range l.buckets {
		if b.Tokens() >= signInBurst {
			delete(l.buckets, key)
		}
	}
}
