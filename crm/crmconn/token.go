package crmconn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/switchboard-oss/switchboard/crm"
)

// Refresh timing.
const (
	// ExpiryMargin is how long before its expiry an access token is
	// refreshed, so a request never leaves with a token that expires on the
	// way.
	ExpiryMargin = time.Minute
	// refreshTimeout bounds one refresh, which runs apart from the request
	// that started it so that a caller with a short deadline does not
	// abort it for everyone waiting.
	refreshTimeout = 30 * time.Second
	// After a failed refresh, callers get its error without a new attempt
	// for a while, so that a broken connection does not send one refresh
	// per call. The wait is longer when the CRM rejected the refresh token,
	// because only a new authorization fixes that.
	rejectedHoldoff    = time.Minute
	unavailableHoldoff = 5 * time.Second
)

// tokenSource hands out the access token of one OAuth connection and
// refreshes it ExpiryMargin before it expires. One refresh runs at a time:
// the first caller that finds the token unusable starts a flight, and every
// caller until it lands waits for the same flight, so N concurrent
// requests on an expired token send one refresh request. A refreshed token
// is stored encrypted before it is used, so a restart keeps it.
//
// x/sync/singleflight is not a dependency of this module, and
// oauth2.ReuseTokenSource cannot forget a token the CRM rejected, so this
// is a small single flight of its own.
type tokenSource struct {
	svc         *Service
	kind        crm.Kind
	workspaceID string
	id          string

	mu    sync.Mutex
	token *oauth2.Token
	// rejected is an access token the CRM rejected with a 401. It is not
	// used again, even while its expiry lies ahead.
	rejected string
	flight   *flight
	// failure is the error of the last refresh, returned until
	// failedUntil.
	failure     error
	failedUntil time.Time
}

// flight is one refresh in progress; done closes when it lands.
type flight struct {
	done  chan struct{}
	token *oauth2.Token
	err   error
}

// source returns the token source of conn, creating it seeded with the
// stored tokens.
func (svc *Service) source(conn Connection) *tokenSource {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	ts, ok := svc.sources[conn.ID]
	if !ok {
		ts = &tokenSource{svc: svc, kind: conn.Kind, workspaceID: conn.WorkspaceID, id: conn.ID, token: conn.Auth.token()}
		svc.sources[conn.ID] = ts
	}
	return ts
}

// reset replaces the token in memory, after an authorization or a change
// of the OAuth client.
func (ts *tokenSource) reset(t *oauth2.Token) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.token, ts.rejected = t, ""
	ts.failure, ts.failedUntil = nil, time.Time{}
}

// reject marks accessToken as refused by the CRM, so the next Token call
// refreshes even if its expiry lies ahead. Salesforce, for one, returns no
// expires_in, because its tokens expire with the session, so only a 401
// shows that one expired.
func (ts *tokenSource) reject(accessToken string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rejected = accessToken
}

// usable reports whether t can be sent now: it is set, not rejected, and
// valid for at least ExpiryMargin. A token without expiry is usable until
// rejected.
func (ts *tokenSource) usable(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" || t.AccessToken == ts.rejected {
		return false
	}
	return t.Expiry.IsZero() || ts.svc.now().Add(ExpiryMargin).Before(t.Expiry)
}

// Token returns a usable access token, waiting for the refresh in flight
// or starting one. It returns when ctx ends, while the refresh goes on.
func (ts *tokenSource) Token(ctx context.Context) (*oauth2.Token, error) {
	ts.mu.Lock()
	if ts.usable(ts.token) {
		t := ts.token
		ts.mu.Unlock()
		return t, nil
	}
	if ts.failure != nil && ts.svc.now().Before(ts.failedUntil) {
		err := ts.failure
		ts.mu.Unlock()
		return nil, err
	}
	f := ts.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		ts.flight = f
		go ts.fly(f)
	}
	ts.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the OAuth token refresh of CRM connection %s: %w", crm.ErrUnavailable, ts.id, ctx.Err())
	}
}

// fly runs the refresh of f and lands it.
func (ts *tokenSource) fly(f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	token, err := ts.refresh(ctx)

	ts.mu.Lock()
	ts.failure = err
	switch {
	case err == nil:
		ts.token = token
	case errors.Is(err, crm.ErrUnauthorized):
		ts.failedUntil = ts.svc.now().Add(rejectedHoldoff)
	default:
		ts.failedUntil = ts.svc.now().Add(unavailableHoldoff)
	}
	ts.flight = nil
	f.token, f.err = token, err
	ts.mu.Unlock()
	close(f.done)
}

// refresh returns a usable token: the stored one when another instance
// already refreshed it, else a new one from the CRM's token endpoint,
// stored encrypted before it is returned.
func (ts *tokenSource) refresh(ctx context.Context) (*oauth2.Token, error) {
	conn, err := ts.svc.Get(ctx, ts.workspaceID, ts.id)
	if err != nil {
		return nil, fmt.Errorf("%w: load CRM connection %s for a token refresh: %w", crm.ErrUnavailable, ts.id, err)
	}
	ts.mu.Lock()
	stored := conn.Auth.token()
	adopt := ts.usable(stored)
	ts.mu.Unlock()
	if adopt {
		return stored, nil
	}
	if conn.Auth.Type != AuthOAuth2 || conn.Auth.RefreshToken == "" {
		return nil, fmt.Errorf("%w: CRM connection %s has no refresh token: authorize it again", crm.ErrUnauthorized, ts.id)
	}

	config := oauthConfig(conn.Kind, conn.Auth.AuthConfig, "")
	fresh, err := config.TokenSource(ts.svc.oauthContext(ctx), &oauth2.Token{RefreshToken: conn.Auth.RefreshToken}).Token()
	if err != nil {
		return nil, ts.refreshError(conn, err)
	}

	_, err = ts.svc.updateAuth(ctx, ts.workspaceID, ts.id, func(a *Auth) error {
		if a.ClientID != conn.Auth.ClientID {
			return errors.New("the OAuth client changed during the refresh")
		}
		*a = a.withToken(fresh)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: store the refreshed token of CRM connection %s: %w", crm.ErrUnavailable, ts.id, err)
	}
	ts.svc.log.Info("CRM access token refreshed", append(svcFields(conn), zap.Time("expires_at", fresh.Expiry))...)
	return fresh, nil
}

// refreshError maps a failed refresh: a token endpoint that rejects the
// refresh token or the client means the admin must authorize again.
func (ts *tokenSource) refreshError(conn Connection, err error) error {
	err = tokenError("refresh the access token", err)
	var authErr *AuthorizationError
	if errors.As(err, &authErr) {
		ts.svc.log.Warn("CRM rejected the refresh token", append(svcFields(conn), zap.String("oauth_error", authErr.Code))...)
		return fmt.Errorf("%w: CRM connection %s: %w; authorize the connection again", crm.ErrUnauthorized, ts.id, authErr)
	}
	ts.svc.log.Warn("CRM token refresh failed", append(svcFields(conn), zap.Error(err))...)
	return err
}
