package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// TestAdminShowsCallLogsAndRetries turns call logging on for the fake
// HubSpot in the admin UI and ends a call, which shows as logged. It
// ends a second call while the CRM rejects calls, which shows as failed,
// and retries it once the CRM accepts calls again.
func TestAdminShowsCallLogsAndRetries(t *testing.T) {
	b := newBrowser(t)
	e := setupAdmin(t)
	b.do("sign in",
		chromedp.Navigate(e.URL+"/admin"),
		chromedp.SendKeys(chromedp.ID("f-email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("f-password"), adminPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS("ol.steps")))
	connID := b.createTwilioConnection(t, e)
	crmID := b.connectFakeCRM(t, e)

	b.do("turn call logging on", chromedp.Click(chromedp.CSS(`input[name="settings.call_log.enabled"]`)))
	b.adminShot("crm-call-logging")
	b.load("save the CRM settings", chromedp.Click(chromedp.CSS(`form[action="/admin/crm/`+crmID+`"] button[type=submit]`)))
	require.Contains(t, b.text(".notice"), "Saved")

	first := endTwilioCall(t, e, connID, "+14155550101")
	b.openCallLog(t, e, first)
	b.do("wait for the log", chromedp.WaitVisible(chromedp.CSS(`#crm-log .badge.good`)))
	require.Contains(t, b.text("#crm-log"), "open in the CRM")
	require.Len(t, e.CRM.Calls(), 1)
	b.adminShot("call-logged")

	e.CRM.FailCalls("Property values were not valid")
	second := endTwilioCall(t, e, connID, "+14155550103")
	b.openCallLog(t, e, second)
	b.do("wait for the failure", chromedp.WaitVisible(chromedp.CSS(`#crm-log .badge.bad`)))
	require.Contains(t, b.text("#crm-log"), "Property values were not valid")
	b.adminShot("call-log-failed")

	b.load("list failed logs", chromedp.Navigate(e.URL+"/admin/calls?crm_log=failed"))
	require.Contains(t, b.text("#calls"), "failed")
	require.True(t, b.visible("#retry-all"))
	b.adminShot("calls-failed")

	e.CRM.FailCalls("")
	b.openCallLog(t, e, second)
	b.load("retry the log", chromedp.Click(chromedp.CSS(`#crm-log button[aria-label^="Retry"]`)))
	b.do("wait for the retried log", chromedp.WaitVisible(chromedp.CSS(`#crm-log .badge.good`)))
	require.Len(t, e.CRM.Calls(), 2)
	b.checkNoProblems()
}

// endTwilioCall rings the connection from caller and completes the call
// with signed webhooks, and returns the Twilio call SID.
func endTwilioCall(t *testing.T, e *adminEnv, connID, caller string) string {
	t.Helper()
	sid := "CA" + randomHex(16)
	params := url.Values{"AccountSid": {adminTwilioSID}, "CallSid": {sid}, "From": {caller},
		"To": {"+14155550100"}, "CallStatus": {"ringing"}, "Direction": {"inbound"}}
	voiceURL := e.URL + "/hooks/twilio/" + connID + "/voice"
	require.Equal(t, http.StatusOK, postTwilio(t, voiceURL, params, twilio.Signature(adminTwilioToken, voiceURL, params)))
	params.Set("CallStatus", "completed")
	params.Set("CallDuration", "42")
	statusURL := e.URL + "/hooks/twilio/" + connID + "/status"
	require.Equal(t, http.StatusOK, postTwilio(t, statusURL, params, twilio.Signature(adminTwilioToken, statusURL, params)))
	return sid
}

// openCallLog opens the page of the call with the Twilio SID sid at its
// CRM log card.
func (b *browser) openCallLog(t *testing.T, e *adminEnv, sid string) {
	t.Helper()
	calls, _, err := e.Store.ListCalls(t.Context(), store.CallQuery{WorkspaceID: e.Workspace.ID, Desc: true, Limit: 100})
	require.NoError(t, err)
	for _, call := range calls {
		if call.ProviderCallID == sid {
			b.load("open the call", chromedp.Navigate(e.URL+"/admin/calls/"+call.ID+"#crm-log"))
			return
		}
	}
	t.Fatalf("no call has the SID %s", sid)
}
