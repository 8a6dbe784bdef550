package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
)

// Admin session settings.
const (
	// adminSessionCookie holds the session token. Its path is / so that
	// the CRM's OAuth redirect to /oauth/callback/crm carries it, and the
	// callback can send the admin back to the connection's page.
	adminSessionCookie = "switchboard_admin"
	// adminCSRFCookie holds the CSRF token that every form posts back.
	adminCSRFCookie = "switchboard_admin_csrf"
	// adminSessionTTL is how long a session lasts from sign-in: a working
	// day. There is no idle timeout.
	adminSessionTTL = 12 * time.Hour
	// adminCSRFContextKey is where echo's CSRF middleware puts the token.
	adminCSRFContextKey = "csrf"
)

// Context keys of the signed-in admin.
const (
	ctxAdminUser      = "switchboard.admin_user"
	ctxAdminWorkspace = "switchboard.admin_workspace"
	ctxAdminSession   = "switchboard.admin_session"
)

// secureCookies reports whether cookies of this request get the Secure
// flag: when the request came over TLS, directly or through a proxy that
// sets X-Forwarded-Proto, or when the public base URL is https.
func (s *Server) secureCookies(c echo.Context) bool {
	return c.Scheme() == "https" || strings.HasPrefix(s.cfg.PublicBaseURL, "https://")
}

// adminCSRF returns echo's CSRF middleware for the admin pages: a token
// in an HttpOnly cookie that each form repeats in its _csrf field, or an
// htmx request in its X-CSRF-Token header (set by hx-headers on <body>).
func (s *Server) adminCSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     adminCSRFContextKey,
		CookieName:     adminCSRFCookie,
		CookiePath:     "/admin",
		CookieHTTPOnly: true,
		CookieSecure:   strings.HasPrefix(s.cfg.PublicBaseURL, "https://"),
		CookieSameSite: http.SameSiteStrictMode,
		CookieMaxAge:   int(adminSessionTTL / time.Second),
		ErrorHandler: func(err error, c echo.Context) error {
			return newProblem(probForbidden, csrfFailure)
		},
		// A browser's Sec-Fetch-Site header decides first: same-origin and
		// none pass, cross-site is rejected with the same problem as a bad
		// token, and same-site falls back to the token.
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "cross-site" {
				return false, newProblem(probForbidden, csrfFailure)
			}
			return false, nil
		},
	})
}

// csrfFailure is the detail of a form the CSRF check rejected.
const csrfFailure = "The form's security token is missing or does not match; reload the page and submit it again."

// requireAdmin loads the session of the request's cookie and its user, and
// sends anyone without a valid admin session to the sign-in page.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, u, err := s.adminSession(c)
		if errors.Is(err, errNoAdminSession) {
			return adminRedirect(c, signInURL(c))
		}
		if err != nil {
			return err
		}
		w, err := s.store.GetWorkspace(c.Request().Context(), sess.WorkspaceID)
		if err != nil {
			return err
		}

		c.Set(ctxAdminSession, sess)
		c.Set(ctxAdminUser, u)
		c.Set(ctxAdminWorkspace, w)
		c.Set(ctxPrincipal, &Principal{WorkspaceID: u.WorkspaceID, UserID: u.ID, Scopes: roleScopes(u.Role), ExpiresAt: sess.ExpiresAt.Time})
		return next(c)
	}
}

var errNoAdminSession = errors.New("no admin session")

// signInURL returns the sign-in page that leads back to the page of the
// request. A form posted after the session ended leads back to the page
// that showed the form, named by the Referer header, because most form
// paths serve no page. A request that carried a session cookie gets a
// notice that the session ended.
func signInURL(c echo.Context) string {
	req := c.Request()
	next := req.URL.RequestURI()
	if req.Method != http.MethodGet {
		if ref, err := url.Parse(req.Referer()); err == nil && ref.Host == req.Host && strings.HasPrefix(ref.Path, "/admin") {
			next = ref.RequestURI()
		}
	}
	query := url.Values{"next": {next}}
	if cookie, err := c.Cookie(adminSessionCookie); err == nil && cookie.Value != "" {
		query.Set("notice", "session-ended")
		if req.Method != http.MethodGet {
			query.Set("notice", "session-ended-form")
		}
	}
	return "/admin/sign-in?" + query.Encode()
}

// adminSession returns the unexpired session of the request's cookie and
// its user, who must be an enabled admin, or errNoAdminSession.
func (s *Server) adminSession(c echo.Context) (store.AdminSession, store.User, error) {
	ctx := c.Request().Context()
	cookie, err := c.Cookie(adminSessionCookie)
	if err != nil || cookie.Value == "" {
		return store.AdminSession{}, store.User{}, errNoAdminSession
	}

	sess, err := s.store.GetAdminSession(ctx, secret.HashToken(cookie.Value))
	if errors.Is(err, store.ErrNotFound) || (err == nil && time.Now().After(sess.ExpiresAt.Time)) {
		return store.AdminSession{}, store.User{}, errNoAdminSession
	}
	if err != nil {
		return store.AdminSession{}, store.User{}, err
	}

	u, err := s.store.GetUser(ctx, sess.WorkspaceID, sess.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (u.Disabled || u.Role != agents.RoleAdmin)) {
		return store.AdminSession{}, store.User{}, errNoAdminSession
	}
	return sess, u, err
}

// signInPage is the data of the sign-in page.
type signInPage struct {
	Email string
	Next  string
}

func (s *Server) showAdminSignIn(c echo.Context) error {
	if _, _, err := s.adminSession(c); err == nil {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	return s.renderAdmin(c, http.StatusOK, "signin.html", &adminPage{
		Title: "Sign in", Data: signInPage{Next: safeNext(c.QueryParam("next"))},
	})
}

// adminSignIn checks the email and password as /v1/auth/sign-in does,
// with the same failure limit, and starts a session for an admin.
func (s *Server) adminSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	req := signInRequest{Email: c.FormValue("email"), Password: c.FormValue("password")}
	page := &adminPage{Title: "Sign in", Data: signInPage{Email: req.Email, Next: safeNext(c.FormValue("next"))}}

	if err := validateSignIn(req); err != nil {
		return s.renderAdminForm(c, "signin.html", page, err)
	}
	limitKey := strings.ToLower(strings.TrimSpace(req.Email)) + "|" + c.RealIP()
	if wait, limited := s.signIns.blocked(limitKey); limited {
		page.Failure = "Too many failed sign-ins for this email from this address; try again in a minute."
		c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
		return s.renderAdmin(c, http.StatusTooManyRequests, "signin.html", page)
	}
	u, err := s.checkPassword(ctx, req)
	if err == nil && u.Role != agents.RoleAdmin {
		err = errSignInFailed
	}
	if errors.Is(err, errSignInFailed) {
		s.signIns.fail(limitKey)
		page.Failure = "The email or password is wrong, or the user is not an enabled admin. Agents sign in at /agent."
		return s.renderAdmin(c, http.StatusUnauthorized, "signin.html", page)
	}
	if err != nil {
		return err
	}
	s.signIns.forget(limitKey)

	token := secret.RandomToken(32)
	sess := store.AdminSession{
		TokenHash: secret.HashToken(token), WorkspaceID: u.WorkspaceID, UserID: u.ID,
		ExpiresAt: store.Millis(time.Now().Add(adminSessionTTL)),
	}
	if err := s.store.CreateAdminSession(ctx, &sess); err != nil {
		return err
	}
	s.setAdminCookie(c, token, sess.ExpiresAt.Time)
	s.log.Info("admin signed in", zap.String("workspace_id", u.WorkspaceID), zap.String("user_id", u.ID))
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// adminSignOut ends the session on the server and clears its cookie.
func (s *Server) adminSignOut(c echo.Context) error {
	if cookie, err := c.Cookie(adminSessionCookie); err == nil && cookie.Value != "" {
		if err := s.store.DeleteAdminSession(c.Request().Context(), secret.HashToken(cookie.Value)); err != nil {
			return err
		}
	}
	s.setAdminCookie(c, "", time.Unix(0, 0))
	return c.Redirect(http.StatusSeeOther, "/admin/sign-in?notice=signed-out")
}

// setAdminCookie sets the session cookie, or clears it when token is
// empty. SameSite=Lax lets the CRM's OAuth redirect, a top-level GET from
// another site, carry it. CSRF tokens guard every form.
func (s *Server) setAdminCookie(c echo.Context, token string, expires time.Time) {
	cookie := &http.Cookie{
		Name: adminSessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secureCookies(c), SameSite: http.SameSiteLaxMode,
	}
	if token == "" {
		cookie.MaxAge = -1
	}
	c.SetCookie(cookie)
}

// safeNext returns next when it is a path under /admin, and /admin
// otherwise, so the sign-in form never redirects to another site.
func safeNext(next string) string {
	if next == "/admin" || (strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "/admin/sign-")) {
		if !strings.ContainsAny(next, "\\\r\n") && !strings.HasPrefix(next, "//") {
			return next
		}
	}
	return "/admin"
}

// adminSessionWorkspace returns the workspace of the request's admin
// session, or "" when it has none. The OAuth callback uses it to send an
// admin back to the admin UI.
func (s *Server) adminSessionWorkspace(c echo.Context) string {
	sess, _, err := s.adminSession(c)
	if err != nil {
		return ""
	}
	return sess.WorkspaceID
}
