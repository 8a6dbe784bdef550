package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/fakecrm"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// The Twilio account the admin connects.
const (
	adminTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	adminTwilioToken = "0123456789abcdef0123456789abcdef"
)

// TestAdminSetsUpRoutingEndToEnd walks the admin UI as a new admin would:
// sign in, connect Twilio and the fake HubSpot, map a CRM field, sync,
// import a CSV file with a bad row, write routing rules and test a caller.
func TestAdminSetsUpRoutingEndToEnd(t *testing.T) {
	b := newBrowser(t)
	e := setupAdmin(t)

	b.do("open the admin UI", chromedp.Navigate(e.URL+"/admin"), chromedp.WaitVisible(chromedp.ID("f-email")))
	b.adminShot("sign-in")
	b.do("sign in",
		chromedp.SendKeys(chromedp.ID("f-email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("f-password"), adminPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS("ol.steps")))
	b.adminShot("home")

	connID := b.createTwilioConnection(t, e)
	b.checkWebhookResults(t, e, connID)
	crmID := b.connectFakeCRM(t, e)
	b.mapTierField(t, crmID)
	b.syncCRM(t, crmID)
	b.importCSV(t)
	b.writeRules(t, connID)
	b.testCaller(t)
	b.manageUsers(t)

	b.checkNoProblems()
}

// createTwilioConnection creates the connection and returns its id, read
// from the voice webhook URL the page shows.
func (b *browser) createTwilioConnection(t *testing.T, e *adminEnv) string {
	t.Helper()
	b.do("choose Twilio",
		chromedp.Navigate(e.URL+"/admin/telephony/new"),
		chromedp.SetValue(chromedp.ID("f-provider"), "twilio"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/telephony/new"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-credentials-account_id")))
	b.do("fill the connection",
		chromedp.SendKeys(chromedp.ID("f-name"), "Main line"),
		chromedp.SendKeys(chromedp.ID("f-credentials-account_id"), adminTwilioSID),
		chromedp.SendKeys(chromedp.ID("f-credentials-auth_token"), adminTwilioToken),
		chromedp.SetValue(chromedp.ID("f-default_route-kind"), "queue"),
		chromedp.SendKeys(chromedp.ID("f-default_route-target"), "sales"))
	b.adminShot("telephony-new")
	b.do("create the connection",
		chromedp.Click(chromedp.CSS(`form[action="/admin/telephony"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("webhooks-title")))

	voiceURL := run(b, chromedp.Value(chromedp.ID("f-webhook-voice")))
	prefix := e.URL + "/hooks/twilio/"
	require.True(t, strings.HasPrefix(voiceURL, prefix), "voice webhook URL %q", voiceURL)
	require.True(t, strings.HasSuffix(voiceURL, "/voice"), "voice webhook URL %q", voiceURL)
	require.Contains(t, b.text(".notice"), "Created")
	require.Equal(t, e.URL+"/hooks/twilio/"+strings.TrimSuffix(strings.TrimPrefix(voiceURL, prefix), "/voice")+"/status",
		run(b, chromedp.Value(chromedp.ID("f-webhook-status"))))
	return strings.TrimSuffix(strings.TrimPrefix(voiceURL, prefix), "/voice")
}

// checkWebhookResults posts a signed and a forged webhook to the
// connection and checks that its page shows both with their signature
// check.
func (b *browser) checkWebhookResults(t *testing.T, e *adminEnv, connID string) {
	t.Helper()
	hookURL := e.URL + "/hooks/twilio/" + connID + "/voice"
	params := url.Values{"AccountSid": {adminTwilioSID}, "CallSid": {"CA" + randomHex(16)}, "From": {"+14155550199"},
		"To": {"+14155550100"}, "CallStatus": {"ringing"}, "Direction": {"inbound"}}
	require.Equal(t, http.StatusOK, postTwilio(t, hookURL, params, twilio.Signature(adminTwilioToken, hookURL, params)))
	require.Equal(t, http.StatusForbidden, postTwilio(t, hookURL, params, twilio.Signature("not-the-token", hookURL, params)))

	b.do("reload the connection", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("events-title")))
	require.Contains(t, b.text("#events-title + h3 + .table-wrap"), "rejected")
	require.Contains(t, b.text("#events-title ~ .table-wrap:last-of-type"), "verified")
	b.adminShot("telephony-connection")
}

// connectFakeCRM connects the fake HubSpot with a token, tests it and
// returns the connection's id.
func (b *browser) connectFakeCRM(t *testing.T, e *adminEnv) string {
	t.Helper()
	b.do("choose HubSpot",
		chromedp.Navigate(e.URL+"/admin/crm/new"),
		chromedp.SetValue(chromedp.ID("f-kind"), "hubspot"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/crm/new"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-auth-token")))
	b.do("fill the CRM connection",
		chromedp.SendKeys(chromedp.ID("f-name"), "Fake HubSpot"),
		chromedp.SendKeys(chromedp.ID("f-auth-token"), fakecrm.Token),
		chromedp.SendKeys(chromedp.ID("f-base_url"), e.CRMURL))
	b.adminShot("crm-new")
	b.do("create the CRM connection",
		chromedp.Click(chromedp.CSS(`form[action="/admin/crm"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("crm-test")))

	b.do("test the CRM connection", chromedp.Click(chromedp.ID("crm-test")), chromedp.WaitVisible(chromedp.ID("crm-test-result")))
	require.Contains(t, b.text("#crm-test-result"), "HubSpot portal "+strconv.Itoa(fakecrm.PortalID))
	require.Contains(t, b.text("#crm-auth"), "test passed")
	b.adminShot("crm-connection")

	location := run(b, chromedp.Location())
	u, err := url.Parse(location)
	require.NoError(t, err)
	return strings.TrimPrefix(u.Path, "/admin/crm/")
}

// mapTierField maps the CRM's customer_tier into extra_data.tier: first
// with a misspelt source, whose error shows beside its row, then right,
// previewed on a CRM record and saved.
func (b *browser) mapTierField(t *testing.T, crmID string) {
	t.Helper()
	b.do("open the mapping", chromedp.Click(chromedp.CSS(`a[href="/admin/crm/`+crmID+`/mapping"]`)), chromedp.WaitVisible(chromedp.ID("mapping-form")))
	require.Contains(t, b.text("main .card"), "fields listed live from the CRM")
	row := b.count(`tr[id^="row-"]`) - 2 // the first empty extra_data row
	target, sources := "#f-fields-"+strconv.Itoa(row)+"-target", "#f-fields-"+strconv.Itoa(row)+"-sources"

	b.do("map a field that does not exist",
		chromedp.SendKeys(chromedp.CSS(target), "tier"),
		chromedp.SendKeys(chromedp.CSS(sources), "customer_tierr"),
		chromedp.Click(chromedp.ID("mapping-preview")),
		chromedp.WaitVisible(chromedp.CSS(sources+"-error")))
	require.Contains(t, b.text(sources+"-error"), `"customer_tierr" is not a field of this CRM connection`)
	require.Equal(t, "true", b.attribute(sources, "aria-invalid"))
	b.adminShot("mapping-error")

	b.do("preview the mapping",
		chromedp.SetValue(chromedp.CSS(sources), "customer_tier"),
		chromedp.Click(chromedp.ID("mapping-preview")),
		chromedp.WaitVisible(chromedp.ID("preview-extra")))
	require.Contains(t, b.text("#preview-extra"), `"tier": "gold"`)
	require.Contains(t, b.text("#preview-contact"), "Lovelace")
	b.adminShot("mapping-preview")

	b.load("save the mapping", chromedp.Click(chromedp.ID("mapping-save")))
	require.Equal(t, "Saved.", b.text(".notice"))
	require.Equal(t, "customer_tier", run(b, chromedp.Value(chromedp.CSS(sources))))
}

// syncCRM presses Sync now and waits, without a reload, until the page
// has refreshed itself with the finished run.
func (b *browser) syncCRM(t *testing.T, crmID string) {
	t.Helper()
	b.do("open the connection", chromedp.Click(chromedp.CSS(`a[href="/admin/crm/`+crmID+`"]`)), chromedp.WaitVisible(chromedp.ID("crm-sync")))
	b.do("sync now", chromedp.Click(chromedp.ID("crm-sync")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	require.Contains(t, b.text(".notice"), "A sync run is queued")
	// The run is a background job; the page reloads its content every
	// 3 s while the run is queued or running.
	deadline := time.Now().Add(stepTimeout)
	for b.count(`#sync-runs .badge.good`) == 0 {
		require.True(t, time.Now().Before(deadline), "the sync card did not show a succeeded run in time: %s", b.textContent("main"))
		time.Sleep(200 * time.Millisecond)
	}
	require.Contains(t, b.text("#sync-runs tbody tr"), "succeeded")
	b.adminShot("crm-synced")
}

// importCSV creates a phonebook and imports a file whose second row has
// an invalid number.
func (b *browser) importCSV(t *testing.T) {
	t.Helper()
	csv := filepath.Join(t.TempDir(), "contacts.csv")
	require.NoError(t, os.WriteFile(csv, []byte("external_id,first_name,last_name,phone_mobile,extra_data.tier\n"+
		"csv-1,Grace,Hopper,+1 415 555 0142,silver\n"+
		"csv-2,Bad,Row,not a number,gold\n"), 0o644))

	b.do("create a phonebook",
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/phonebooks"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/phonebooks"]`)),
		chromedp.SendKeys(chromedp.ID("f-name"), "Imported"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/phonebooks"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-file")))
	b.do("import the file",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{csv}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)),
		chromedp.WaitVisible(chromedp.ID("import-report")))
	require.Contains(t, b.text("#import-report"), "2 rows read: 1 created")
	require.Contains(t, b.text("#import-report"), "1 failed")
	require.Equal(t, 1, b.count("#import-report .import-error"))
	require.Contains(t, b.text("#import-report .import-error"), "csv-2")
	require.Contains(t, b.text("#import-report .import-error"), "phone_mobile")
	require.Contains(t, b.text("#contacts"), "Grace Hopper")
	b.adminShot("phonebook-import")
}

// writeRules adds two rules, moves the second up and back down with the
// keyboard, and saves.
func (b *browser) writeRules(t *testing.T, connID string) {
	t.Helper()
	b.do("open the rules", chromedp.Navigate(b.url("/admin/telephony/"+connID+"/rules")), chromedp.WaitVisible(chromedp.ID("rules")))
	b.do("add a rule", chromedp.Click(chromedp.CSS(`button[value="add"]`)), chromedp.WaitVisible(chromedp.ID("f-routing_rules-0-name")))
	b.do("fill the rule",
		chromedp.SendKeys(chromedp.ID("f-routing_rules-0-name"), "Gold callers"),
		chromedp.SendKeys(chromedp.ID("f-routing_rules-0-when"), `contact != nil && contact.extra_data.tier == "gold"`),
		chromedp.SetValue(chromedp.ID("f-routing_rules-0-route-kind"), "queue"),
		chromedp.SendKeys(chromedp.ID("f-routing_rules-0-route-target"), "vip"),
		chromedp.Click(chromedp.CSS(`button[value="add"]`)),
		chromedp.WaitVisible(chromedp.ID("f-routing_rules-1-name")))
	b.do("fill the second rule",
		chromedp.SendKeys(chromedp.ID("f-routing_rules-1-name"), "Known callers"),
		chromedp.SendKeys(chromedp.ID("f-routing_rules-1-when"), "contact != nil"),
		chromedp.SetValue(chromedp.ID("f-routing_rules-1-route-kind"), "extension"),
		chromedp.SendKeys(chromedp.ID("f-routing_rules-1-route-target"), "201"))
	// Enter in a rule's field saves, rather than moving a rule.
	b.load("save the rules with Enter", chromedp.SendKeys(chromedp.ID("f-routing_rules-1-name"), "\r"))
	require.Equal(t, "Saved.", b.text(".notice"))

	b.load("move the second rule up with the keyboard",
		chromedp.Focus(chromedp.CSS(`button[value="up:1"]`)),
		chromedp.KeyEvent("\r"))
	require.Equal(t, "Known callers", run(b, chromedp.Value(chromedp.ID("f-routing_rules-0-name"))))
	b.load("move it back down", chromedp.Click(chromedp.CSS(`button[value="down:0"]`)))
	require.Equal(t, "Gold callers", run(b, chromedp.Value(chromedp.ID("f-routing_rules-0-name"))))
	b.adminShot("rules")
}

// testCaller tests Ada Lovelace's number, which the CRM sync brought in
// with tier gold.
func (b *browser) testCaller(t *testing.T) {
	t.Helper()
	b.do("test a caller",
		chromedp.SendKeys(chromedp.ID("f-from"), "+1 (415) 555-0101"),
		chromedp.Click(chromedp.CSS(`form[hx-post$="/test"] button`)),
		chromedp.WaitVisible(chromedp.ID("test-answer")))
	require.Contains(t, b.text("#test-contact"), "Ada Lovelace")
	require.Equal(t, `Rule 1: “Gold callers”`, b.text("#test-rule"))
	require.Equal(t, "queue vip", b.text("#test-route"))
	require.Contains(t, b.text("#test-answer"), "<Enqueue>vip</Enqueue>")
	b.adminShot("routing-test")

	b.do("test an unknown caller",
		chromedp.SetValue(chromedp.ID("f-from"), "+14155550199"),
		chromedp.Click(chromedp.CSS(`form[hx-post$="/test"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#test-contact`)))
	b.do("wait for the new answer", chromedp.Poll[chromedp.Void](`document.querySelector("#test-rule").textContent.startsWith("default route")`))
	require.Equal(t, "queue sales", b.text("#test-route"))

	b.do("test a caller that is not a number",
		chromedp.SetValue(chromedp.ID("f-from"), "abc"),
		chromedp.Click(chromedp.CSS(`form[hx-post$="/test"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-from-error")))
	require.Equal(t, `"abc" is not a phone number, SIP URI, client:identity or anonymous`, b.text("#f-from-error"))
	b.adminShot("routing-test-invalid")
}

// manageUsers invites an agent and creates and revokes an API key.
func (b *browser) manageUsers(t *testing.T) {
	t.Helper()
	b.do("open users", chromedp.Click(chromedp.CSS(`nav a[href="/admin/users"]`)), chromedp.WaitVisible(chromedp.ID("invite-title")))
	b.load("invite an agent",
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/users"] #f-email`), "alex@example.com"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/users"] #f-name`), "Alex Morgan"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/users"] #f-password`), "correct horse battery staple"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/users"] #f-extensions`), "201"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button`)))
	require.Contains(t, b.text("#users-title + p + .table-wrap"), "alex@example.com")

	b.do("create an API key",
		chromedp.SendKeys(chromedp.ID("f-key_name"), "Zapier"),
		chromedp.Click(chromedp.CSS(`input[name="scopes"][value="calls:read"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/keys"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-new_token")))
	require.True(t, strings.HasPrefix(run(b, chromedp.Value(chromedp.ID("f-new_token"))), "sbk_"))
	b.adminShot("users")

	b.load("revoke the key", chromedp.Click(chromedp.CSS(`button[aria-label="Revoke Zapier"]`)))
	require.Contains(t, b.text("main .card"), "401")
	b.adminShot("confirm-revoke")
	b.load("confirm the revoke", chromedp.Click(chromedp.ID("confirm-action")))
	require.Contains(t, b.text("#keys"), "revoked")
	require.False(t, b.visible("#f-new_token"), "the token is shown once")
}

// load runs actions that load a new page, such as a click on a submit
// button, and waits until the new page has replaced the current one and
// finished loading. Waiting for an element would pass at once when the
// current page has it too.
func (b *browser) load(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(step+": mark the current page", chromedp.Evaluate[chromedp.Void]("window.oldPage = true"))
	b.do(step, actions...)
	// Evaluating during the navigation fails, so each failure is retried
	// until the new page has loaded.
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.oldPage === undefined && document.readyState === 'complete'"))
		cancel()
		if err == nil && loaded {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "%s: the new page did not load in time (last error: %v)", step, err)
		time.Sleep(50 * time.Millisecond)
	}
}

// adminShot saves full-page screenshots of the current page at laptop
// and phone width.
func (b *browser) adminShot(name string) {
	b.t.Helper()
	for _, on := range []screen{laptop, phone} {
		b.screenshotTo(adminShotDir(), name, on, chromedp.FullScreenshot(100))
	}
}

// url returns the absolute URL of path on the page's host.
func (b *browser) url(path string) string {
	b.t.Helper()
	location := run(b, chromedp.Location())
	u, err := url.Parse(location)
	require.NoError(b.t, err)
	return u.Scheme + "://" + u.Host + path
}

// postTwilio posts params to hookURL with signature and returns the
// status code.
func postTwilio(t *testing.T, hookURL string, params url.Values, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, hookURL, strings.NewReader(params.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, signature)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminConnectsCRMWithOAuth connects the fake HubSpot with OAuth: the
// consent redirect ends back on the connection's admin page.
func TestAdminConnectsCRMWithOAuth(t *testing.T) {
	b := newBrowser(t)
	e := setupAdmin(t)
	b.do("sign in",
		chromedp.Navigate(e.URL+"/admin/sign-in"),
		chromedp.SendKeys(chromedp.ID("f-email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("f-password"), adminPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS("ol.steps")))

	b.do("fill an OAuth connection",
		chromedp.Navigate(e.URL+"/admin/crm/new?kind=hubspot"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "HubSpot OAuth"),
		chromedp.Click(chromedp.CSS(`input[name="auth.type"][value="oauth2"]`)),
		chromedp.Click(chromedp.CSS(`details summary`)),
		chromedp.SendKeys(chromedp.ID("f-auth-client_id"), "client-1"),
		chromedp.SendKeys(chromedp.ID("f-auth-client_secret"), "client-secret-1"),
		chromedp.SendKeys(chromedp.ID("f-auth-authorize_url"), e.CRMURL+"/oauth/authorize"),
		chromedp.SendKeys(chromedp.ID("f-auth-token_url"), e.CRMURL+"/oauth/v1/token"),
		chromedp.SendKeys(chromedp.ID("f-base_url"), e.CRMURL))
	require.Equal(t, e.URL+"/oauth/callback/crm", run(b, chromedp.Value(chromedp.ID("f-redirect_uri"))))
	b.load("create the connection", chromedp.Click(chromedp.CSS(`form[action="/admin/crm"] button[type=submit]`)))
	require.Contains(t, b.text("#crm-auth"), "not authorized")

	b.load("authorize at the CRM", chromedp.Click(chromedp.ID("crm-authorize")))
	location := run(b, chromedp.Location())
	require.True(t, strings.HasPrefix(location, e.URL+"/admin/crm/crm_"), "landed on %s", location)
	require.Contains(t, b.text(".notice"), "The CRM granted access")
	require.Contains(t, b.text("#crm-auth"), "set, press Test connection")
	b.do("test the connection", chromedp.Click(chromedp.ID("crm-test")), chromedp.WaitVisible(chromedp.ID("crm-test-result")))
	require.Contains(t, b.text("#crm-test-result"), "HubSpot portal")
	b.adminShot("crm-oauth")
	b.checkNoProblems()
}
