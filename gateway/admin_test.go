package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

const adminTestPassword = "correct horse battery"

// adminBrowser is a client with a cookie jar that does not follow
// redirects, like a browser whose every step the test checks.
type adminBrowser struct {
	t       *testing.T
	baseURL string
	client  *http.Client
	// csrf is the token of the last page read.
	csrf string
}

func newAdminBrowser(t *testing.T, baseURL string) *adminBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &adminBrowser{t: t, baseURL: baseURL, client: client}
}

// csrfInput matches the hidden CSRF input of a page.
var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *adminBrowser) get(path string) *testResponse {
	b.t.Helper()
	resp, err := b.client.Get(b.baseURL + path)
	require.NoError(b.t, err)
	return b.read(resp)
}

// post sends form with the CSRF token of the last page read, unless form
// sets _csrf itself.
func (b *adminBrowser) post(path string, form url.Values) *testResponse {
	b.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	resp, err := b.client.PostForm(b.baseURL+path, form)
	require.NoError(b.t, err)
	return b.read(resp)
}

func (b *adminBrowser) read(resp *http.Response) *testResponse {
	b.t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	if m := csrfInput.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return &testResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// signIn signs in as email and requires the redirect to /admin.
func (b *adminBrowser) signIn(email string) {
	b.t.Helper()
	b.get("/admin/sign-in")
	resp := b.post("/admin/sign-in", url.Values{"email": {email}, "password": {adminTestPassword}})
	require.Equal(b.t, http.StatusSeeOther, resp.Status, "body: %s", resp.Body)
	require.Equal(b.t, "/admin", resp.Header.Get("Location"))
}

// newAdminUser creates a user of role in workspaceID with
// adminTestPassword.
func newAdminUser(t *testing.T, st *store.Store, workspaceID, email, role string) store.User {
	t.Helper()
	u, err := CreateUser(context.Background(), st.Queries, workspaceID, NewUserInput{Email: email, Name: "Test " + role, Password: adminTestPassword, Role: role})
	require.NoError(t, err)
	return u
}

func TestAdminTemplatesParse(t *testing.T) {
	pages := adminTemplates()

	for _, name := range []string{"signin.html", "home.html", "telephony_list.html", "telephony_new.html", "telephony_show.html",
		"rules.html", "crm_list.html", "crm_new.html", "crm_show.html", "mapping.html", "phonebooks.html", "phonebook.html",
		"contact.html", "calls.html", "call.html", "users.html", "error.html"} {
		require.Contains(t, pages, name)
	}
}

func TestAdminPageRedirectsWithoutSession(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, store.SQLite))
	b := newAdminBrowser(t, ts.URL)

	resp := b.get("/admin/telephony")

	require.Equal(t, http.StatusSeeOther, resp.Status)
	require.Equal(t, "/admin/sign-in?next=%2Fadmin%2Ftelephony", resp.Header.Get("Location"))
}

func TestAdminSignInSetsSessionCookie(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
		b := newAdminBrowser(t, ts.URL)

		b.get("/admin/sign-in")
		resp := b.post("/admin/sign-in", url.Values{"email": {"ann@example.com"}, "password": {adminTestPassword}})

		require.Equal(t, http.StatusSeeOther, resp.Status)
		cookie := sessionCookie(resp)
		require.NotEmpty(t, cookie)
		require.Contains(t, cookie, "HttpOnly")
		require.Contains(t, cookie, "SameSite=Lax")
		require.NotContains(t, cookie, "Secure", "the test server is plain HTTP")
		page := b.get("/admin")
		require.Equal(t, http.StatusOK, page.Status)
		require.Contains(t, string(page.Body), "ann@example.com")
		require.Contains(t, page.Header.Get("Content-Security-Policy"), "script-src 'self'")
	})
}

func TestAdminSessionCookieSecureOverHTTPS(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st, func(cfg *Config) { cfg.PublicBaseURL = "https://switchboard.test" })
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)

	b.get("/admin/sign-in")
	resp := b.post("/admin/sign-in", url.Values{"email": {"ann@example.com"}, "password": {adminTestPassword}})

	require.Equal(t, http.StatusSeeOther, resp.Status)
	require.Contains(t, sessionCookie(resp), "Secure")
}

func TestAdminSignInRejectsWrongPassword(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)

	b.get("/admin/sign-in")
	resp := b.post("/admin/sign-in", url.Values{"email": {"ann@example.com"}, "password": {"wrong password"}})

	require.Equal(t, http.StatusUnauthorized, resp.Status)
	require.Contains(t, string(resp.Body), "The email or password is wrong")
	require.Empty(t, sessionCookie(resp))
}

func TestAdminSignInRejectsAgent(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "alex@example.com", "agent")
	b := newAdminBrowser(t, ts.URL)

	b.get("/admin/sign-in")
	resp := b.post("/admin/sign-in", url.Values{"email": {"alex@example.com"}, "password": {adminTestPassword}})

	require.Equal(t, http.StatusUnauthorized, resp.Status)
	require.Contains(t, string(resp.Body), "Agents sign in at /agent")
}

func TestAdminSignInKeepsNextWithinAdmin(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")

	for next, want := range map[string]string{
		"/admin/calls":           "/admin/calls",
		"https://evil.example/x": "/admin",
		"//evil.example/admin/":  "/admin",
		"/admin/sign-out":        "/admin",
	} {
		b := newAdminBrowser(t, ts.URL)
		b.get("/admin/sign-in")
		resp := b.post("/admin/sign-in", url.Values{"email": {"ann@example.com"}, "password": {adminTestPassword}, "next": {next}})
		require.Equal(t, want, resp.Header.Get("Location"), "next=%s", next)
	}
}

func TestAdminSignOutEndsSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
		b := newAdminBrowser(t, ts.URL)
		b.signIn("ann@example.com")
		b.get("/admin")
		jar := b.client.Jar
		u, err := url.Parse(ts.URL)
		require.NoError(t, err)
		stolen := jar.Cookies(u)

		resp := b.post("/admin/sign-out", url.Values{})

		require.Equal(t, http.StatusSeeOther, resp.Status)
		require.Equal(t, http.StatusSeeOther, b.get("/admin").Status)
		// The old cookie no longer works either: the session is gone on
		// the server, not only in the browser.
		replay := newAdminBrowser(t, ts.URL)
		replay.client.Jar.SetCookies(u, stolen)
		require.Equal(t, http.StatusSeeOther, replay.get("/admin").Status)
	})
}

func TestAdminDisabledUserLosesSession(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	u := newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")

	u.Disabled = true
	require.NoError(t, st.UpdateUser(t.Context(), &u))

	require.Equal(t, http.StatusSeeOther, b.get("/admin").Status)
}

func TestAdminFormRejectsMissingCSRFToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
		b := newAdminBrowser(t, ts.URL)
		b.signIn("ann@example.com")
		b.get("/admin/phonebooks")

		missing := b.post("/admin/phonebooks", url.Values{"_csrf": {""}, "name": {"Sales"}})
		forged := b.post("/admin/phonebooks", url.Values{"_csrf": {"forged-token-0123456789abcdef01"}, "name": {"Sales"}})

		require.Equal(t, http.StatusForbidden, missing.Status)
		require.Equal(t, http.StatusForbidden, forged.Status)
		require.Contains(t, string(forged.Body), "security token")
		books, _, err := st.ListPhonebooks(t.Context(), ts.Workspace.ID, nil, 10)
		require.NoError(t, err)
		require.Empty(t, books, "a rejected form changes nothing")
	})
}

func TestAdminFormAcceptsCSRFHeader(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/phonebooks")

	req, err := http.NewRequest(http.MethodPost, ts.URL+"/admin/phonebooks", strings.NewReader("name=Sales"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.csrf)
	req.Header.Set("HX-Request", "true")
	resp := b.read(must(b.client.Do(req)))

	require.Equal(t, http.StatusNoContent, resp.Status, "body: %s", resp.Body)
	require.Regexp(t, `^/admin/phonebooks/pb_`, resp.Header.Get("HX-Redirect"))
}

func TestAdminShowsFieldErrorsBesideFields(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/new?provider=twilio")

	resp := b.post("/admin/telephony", url.Values{
		"provider": {"twilio"}, "name": {""}, "credentials.account_id": {"AC0123"},
		"default_route.kind": {"number"}, "default_route.target": {"12"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	body := string(resp.Body)
	require.Contains(t, body, `id="f-name" name="name"`)
	require.Contains(t, body, `id="f-name-error"`)
	require.Contains(t, body, `id="f-credentials-auth_token-error"`)
	require.Contains(t, body, `id="f-credentials-account_id-error"`, "an Account SID is AC and 32 hex characters")
	require.Contains(t, body, `id="f-default_route-target-error"`)
	require.Contains(t, body, `value="AC0123"`, "non-secret input is kept")
	list, err := st.ListTelephonyConnections(t.Context(), ts.Workspace.ID)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestAdminIsolatesWorkspaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ts := newTestServer(t, st)
		other, _ := ts.newWorkspace(t, "Other", "GB")
		newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
		theirs := store.Phonebook{WorkspaceID: other.ID, Name: "Theirs"}
		require.NoError(t, st.CreatePhonebook(t.Context(), &theirs))
		b := newAdminBrowser(t, ts.URL)
		b.signIn("ann@example.com")

		list := b.get("/admin/phonebooks")
		shown := b.get("/admin/phonebooks/" + theirs.ID)
		b.get("/admin/phonebooks")
		renamed := b.post("/admin/users/"+newAdminUser(t, st, other.ID, "bob@example.com", "agent").ID, url.Values{"role": {"admin"}})

		require.Equal(t, http.StatusOK, list.Status)
		require.NotContains(t, string(list.Body), "Theirs")
		require.Equal(t, http.StatusNotFound, shown.Status)
		require.Equal(t, http.StatusNotFound, renamed.Status)
	})
}

func TestAdminConnectionPageListsRejectedWebhook(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTelephonyServer(t, st)
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	path := "/hooks/twilio/" + conn.ID + "/voice"
	params := url.Values{"CallSid": {"CA1"}, "From": {"+14155550100"}, "To": {"+14155550199"}, "CallStatus": {"ringing"}}
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(params.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Signature("not-the-auth-token", "http://switchboard.test"+path, params))
	hook := must(http.DefaultClient.Do(req))
	hook.Body.Close()
	require.Equal(t, http.StatusForbidden, hook.StatusCode)
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")

	page := b.get("/admin/telephony/" + conn.ID)

	require.Equal(t, http.StatusOK, page.Status)
	body := string(page.Body)
	require.Contains(t, body, "rejected")
	require.Contains(t, body, "http://switchboard.test/hooks/twilio/"+conn.ID+"/voice")
	require.NotContains(t, body, hookTwilioToken, "the auth token is never shown")
}

// sessionCookie returns the Set-Cookie header of the session cookie, or
// "" when the response sets none.
func sessionCookie(resp *testResponse) string {
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, adminSessionCookie+"=") {
			return c
		}
	}
	return ""
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAdminCallPageShowsCRMLogs(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	f := setupCallLogs(t, st)
	newAdminUser(t, st, f.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, f.URL)
	b.signIn("ann@example.com")

	list := b.get("/admin/calls")
	failed := b.get("/admin/calls?crm_log=failed")
	logged := b.get("/admin/calls/" + f.logged.CallID)

	require.Equal(t, http.StatusOK, list.Status)
	require.Contains(t, string(list.Body), `<span class="badge bad">failed</span>`)
	require.Contains(t, string(list.Body), `<span class="badge good">logged</span>`)
	require.Equal(t, http.StatusOK, failed.Status)
	require.Contains(t, string(failed.Body), "/admin/calls/"+f.failed.CallID)
	require.NotContains(t, string(failed.Body), "/admin/calls/"+f.logged.CallID)
	require.Contains(t, string(failed.Body), "Retry all failed")
	require.Contains(t, string(logged.Body), `href="https://app.hubspot.com/contacts/4242/record/0-1/151"`)
}

func TestAdminRetryMakesFailedLogPending(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		newAdminUser(t, st, f.Workspace.ID, "ann@example.com", "admin")
		b := newAdminBrowser(t, f.URL)
		b.signIn("ann@example.com")
		b.get("/admin/calls/" + f.failed.CallID)

		resp := b.post("/admin/call-logs/"+f.failed.ID+"/retry", url.Values{})

		require.Equal(t, http.StatusSeeOther, resp.Status, "body: %s", resp.Body)
		require.Equal(t, "/admin/calls/"+f.failed.CallID+"?notice=log-retried#crm-log", resp.Header.Get("Location"))
		l, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.failed.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogPending, l.Status)
		require.Equal(t, 0, l.Attempts)
	})
}

func TestAdminRetryAllFailedLogs(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	f := setupCallLogs(t, st)
	newAdminUser(t, st, f.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, f.URL)
	b.signIn("ann@example.com")
	b.get("/admin/calls?crm_log=failed")

	resp := b.post("/admin/call-logs/retry", url.Values{"crm_connection_id": {f.conn.ID}})

	require.Equal(t, http.StatusSeeOther, resp.Status, "body: %s", resp.Body)
	l, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.failed.ID)
	require.NoError(t, err)
	require.Equal(t, store.CallLogPending, l.Status)
}

func TestAdminRetryRequiresCSRFToken(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	f := setupCallLogs(t, st)
	newAdminUser(t, st, f.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, f.URL)
	b.signIn("ann@example.com")
	b.get("/admin/calls/" + f.failed.CallID)

	resp := b.post("/admin/call-logs/"+f.failed.ID+"/retry", url.Values{"_csrf": {""}})

	require.Equal(t, http.StatusForbidden, resp.Status)
	l, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.failed.ID)
	require.NoError(t, err)
	require.Equal(t, store.CallLogFailed, l.Status, "a rejected form changes nothing")
}

func TestAdminCallLogsIsolateWorkspaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setupCallLogs(t, st)
		other, _ := f.newWorkspace(t, "Other", "GB")
		newAdminUser(t, st, other.ID, "bob@example.com", "admin")
		b := newAdminBrowser(t, f.URL)
		b.signIn("bob@example.com")
		b.get("/admin/calls")

		retried := b.post("/admin/call-logs/"+f.failed.ID+"/retry", url.Values{})
		skipped := b.post("/admin/call-logs/"+f.pending.ID+"/skip", url.Values{"confirm": {"yes"}})
		noted := b.post("/admin/calls/"+f.call.ID+"/notes", url.Values{"notes": {"theirs"}})
		b.post("/admin/call-logs/retry", url.Values{})

		require.Equal(t, http.StatusNotFound, retried.Status)
		require.Equal(t, http.StatusNotFound, skipped.Status)
		require.Equal(t, http.StatusNotFound, noted.Status)
		l, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.failed.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogFailed, l.Status, "another workspace's retry all leaves this log alone")
		pending, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.pending.ID)
		require.NoError(t, err)
		require.Equal(t, store.CallLogPending, pending.Status)
	})
}

func TestAdminSkipAsksForConfirmation(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	f := setupCallLogs(t, st)
	newAdminUser(t, st, f.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, f.URL)
	b.signIn("ann@example.com")
	b.get("/admin/calls/" + f.pending.CallID)

	confirmation := b.post("/admin/call-logs/"+f.pending.ID+"/skip", url.Values{})
	before, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.pending.ID)
	require.NoError(t, err)
	done := b.post("/admin/call-logs/"+f.pending.ID+"/skip", url.Values{"confirm": {"yes"}})

	require.Equal(t, http.StatusOK, confirmation.Status)
	require.Contains(t, string(confirmation.Body), `name="confirm" value="yes"`)
	require.Equal(t, store.CallLogPending, before.Status, "nothing is skipped before the confirmation")
	require.Equal(t, http.StatusSeeOther, done.Status, "body: %s", done.Body)
	after, err := st.GetCallLog(t.Context(), f.Workspace.ID, f.pending.ID)
	require.NoError(t, err)
	require.Equal(t, store.CallLogSkipped, after.Status)
}

func TestAdminDeleteRuleAsksForConfirmation(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTelephonyServer(t, st)
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/" + conn.ID + "/rules")
	form := url.Values{
		"routing_rules[0].name": {"Gold"}, "routing_rules[0].when": {"true"},
		"routing_rules[0].route.kind": {"queue"}, "routing_rules[0].route.target": {"vip"},
		"default_route.kind": {"queue"}, "default_route.target": {"main"}, "action": {"save"},
	}
	require.Equal(t, http.StatusSeeOther, b.post("/admin/telephony/"+conn.ID+"/rules", form).Status)
	b.get("/admin/telephony/" + conn.ID + "/rules")

	form.Set("action", "delete:0")
	confirmation := b.post("/admin/telephony/"+conn.ID+"/rules", form)
	kept := b.get("/admin/telephony/" + conn.ID + "/rules")
	form.Set("confirm", "yes")
	deleted := b.post("/admin/telephony/"+conn.ID+"/rules", form)

	require.Equal(t, http.StatusOK, confirmation.Status)
	require.Contains(t, string(confirmation.Body), `name="routing_rules[0].when" value="true"`, "the confirmation posts the rules again")
	require.Contains(t, string(kept.Body), `value="Gold"`, "nothing is deleted before the confirmation")
	require.Equal(t, http.StatusSeeOther, deleted.Status, "body: %s", deleted.Body)
	after := b.get("/admin/telephony/" + conn.ID + "/rules")
	require.NotContains(t, string(after.Body), `value="Gold"`)
}

func TestAdminEndedSessionLeadsBackToForm(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/phonebooks")
	other := newAdminBrowser(t, ts.URL)
	base, err := url.Parse(ts.URL)
	require.NoError(t, err)
	other.client.Jar.SetCookies(base, b.client.Jar.Cookies(base))
	other.get("/admin")
	other.post("/admin/sign-out", url.Values{})

	req, err := http.NewRequest(http.MethodPost, ts.URL+"/admin/phonebooks", strings.NewReader(url.Values{"name": {"Sales"}, "_csrf": {b.csrf}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", ts.URL+"/admin/phonebooks?q=ada")
	resp := b.read(must(b.client.Do(req)))

	require.Equal(t, http.StatusSeeOther, resp.Status, "body: %s", resp.Body)
	location := resp.Header.Get("Location")
	require.Equal(t, "/admin/sign-in?next=%2Fadmin%2Fphonebooks%3Fq%3Dada&notice=session-ended-form", location)
	page := b.get(location)
	require.Contains(t, string(page.Body), "nothing was saved")
}

func TestAdminTelephonyFormShowsEveryError(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/new?provider=twilio")

	resp := b.post("/admin/telephony", url.Values{
		"provider": {"twilio"}, "name": {""}, "deadline_ms": {"abc"},
		"default_route.kind": {"teleport"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, "Name</a>: is required")
	require.Contains(t, summary, "Account SID</a>: is required")
	require.Contains(t, summary, "Default route: route to</a>:")
	require.Contains(t, summary, `Routing deadline</a>: &#34;abc&#34; is not a whole number`)
	require.NotContains(t, summary, "credentials.", "the summary names fields by their labels")
}

func TestAdminRulesSummaryNamesRules(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTelephonyServer(t, st)
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/" + conn.ID + "/rules")

	resp := b.post("/admin/telephony/"+conn.ID+"/rules", url.Values{
		"routing_rules[0].name": {"Gold customers"}, "routing_rules[0].when": {"contact.extra_data.tier =="},
		"routing_rules[0].route.kind": {"queue"}, "routing_rules[0].route.target": {""},
		"default_route.kind": {"queue"}, "default_route.target": {"main"}, "action": {"save"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, "Rule 1 &#39;Gold customers&#39;: condition</a>:")
	require.Contains(t, summary, "Rule 1 &#39;Gold customers&#39;: target</a>:")
}

func TestAdminKeyFormErrorsInFormWords(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/users")

	resp := b.post("/admin/keys", url.Values{"key_name": {""}})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, `href="#f-key_name">Key name</a>`)
	require.Contains(t, summary, `href="#f-scopes">Scopes</a>: is empty: tick at least one scope`)
	require.Contains(t, string(resp.Body), `<fieldset id="f-scopes">`, "the summary links to the scopes")
	require.NotContains(t, summary, "[", "no Go list formatting")
}

func TestAdminFormTooLargeInMiB(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/phonebooks")

	resp := b.post("/admin/phonebooks", url.Values{"name": {strings.Repeat("a", 9<<20)}})

	require.Equal(t, http.StatusRequestEntityTooLarge, resp.Status)
	require.Contains(t, string(resp.Body), "over the limit of 8 MiB")
}

// errorSummary returns the error summary block of an admin page.
func errorSummary(t *testing.T, resp *testResponse) string {
	t.Helper()
	body := string(resp.Body)
	start := strings.Index(body, `class="failure error-summary"`)
	require.GreaterOrEqual(t, start, 0, "no error summary in: %s", body)
	end := strings.Index(body[start:], "</div>")
	require.Greater(t, end, 0)
	return body[start : start+end]
}

func TestAdminRoutingTestRejectsInvalidCaller(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTelephonyServer(t, st)
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/" + conn.ID + "/rules")

	resp := b.post("/admin/telephony/"+conn.ID+"/test", url.Values{"from": {"abc"}, "to": {"not a number"}})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	body := string(resp.Body)
	require.Contains(t, body, `<p class="error" id="f-from-error">&#34;abc&#34; is not a phone number`)
	require.Contains(t, body, `<p class="error" id="f-to-error">&#34;not a number&#34; is not a phone number`)
	require.NotContains(t, body, `id="test-answer"`, "no routing result is shown")
}

func TestAdminMappingErrorsAndPreviewWarning(t *testing.T) {
	ts, api, hs := setupCRM(t)
	conn := createHubSpot(t, api, hs, "pat-valid")
	newAdminUser(t, ts.Store, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/crm/" + conn.ID + "/mapping")
	row := func(i int, target, sources, transform, value string) url.Values {
		p := fmt.Sprintf("fields[%d].", i)
		return url.Values{p + "target": {target}, p + "sources": {sources}, p + "transform": {transform}, p + "value": {value}}
	}
	form := row(0, "first_name", "firstname", "none", "")
	for k, v := range row(1, "bad key with spaces!", "no_such_field", "none", "") {
		form[k] = v
	}
	form.Set("fields[1].extra", "1")

	saved := b.post("/admin/crm/"+conn.ID+"/mapping", form)

	require.Equal(t, http.StatusUnprocessableEntity, saved.Status)
	summary := errorSummary(t, saved)
	require.Contains(t, summary, `Row 2 (extra_data bad key with spaces!): target</a>`)
	require.Contains(t, summary, `Row 2 (extra_data bad key with spaces!): source fields</a>: &#34;no_such_field&#34; is not a field`)

	form = row(0, "display_name", "", "template", "{{firstname}} {{nonexistent}")
	preview := b.post("/admin/crm/"+conn.ID+"/mapping/preview", form)

	require.Equal(t, http.StatusOK, preview.Status, "body: %s", preview.Body)
	require.Contains(t, string(preview.Body), `<p class="warning" role="status">Row 1: the template &#34;{{firstname}} {{nonexistent}&#34; has a {{ or }} outside`)
}

func TestAdminLookupWithoutCRMAsksToChoose(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTelephonyServer(t, st)
	conn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/telephony/" + conn.ID)

	resp := b.post("/admin/telephony/"+conn.ID, url.Values{
		"name": {"Main line"}, "enabled": {"on"}, "lookup_order": {"phonebook_then_crm"}, "crm_connection_id": {""},
		"deadline_ms": {"3000"}, "crm_deadline_ms": {"2000"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, "CRM connection</a>: is required when callers are looked up in the CRM: choose a CRM connection")
	require.NotContains(t, summary, "crm_0", "no example id for a drop-down")
}

func TestAdminCRMFormUserMapError(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/crm/new?kind=pipedrive")

	resp := b.post("/admin/crm", url.Values{
		"kind": {"pipedrive"}, "name": {"Pipedrive"}, "auth.type": {"token"}, "auth.token": {"token-1"},
		"settings.call_log.user_map": {"201 = alex"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, `href="#f-settings-call_log-user_map">Agents and CRM users</a>:`)
	require.Contains(t, summary, "the line of 201")
	require.Contains(t, summary, "is not a Pipedrive user id")
}

func TestAdminCRMFormErrorsUseLabels(t *testing.T) {
	st := testdb.Open(t, store.SQLite)
	ts := newTestServer(t, st)
	newAdminUser(t, st, ts.Workspace.ID, "ann@example.com", "admin")
	b := newAdminBrowser(t, ts.URL)
	b.signIn("ann@example.com")
	b.get("/admin/crm/new?kind=hubspot")

	resp := b.post("/admin/crm", url.Values{
		"kind": {"hubspot"}, "name": {"HubSpot"}, "auth.type": {"token"}, "auth.token": {""}, "base_url": {"ftp://crm.example.com"},
	})

	require.Equal(t, http.StatusUnprocessableEntity, resp.Status)
	summary := errorSummary(t, resp)
	require.Contains(t, summary, `href="#f-auth-token">Token</a>:`)
	require.Contains(t, summary, `href="#f-base_url">API base URL</a>:`)
	require.NotContains(t, summary, "<code>", "no API field names")
}
