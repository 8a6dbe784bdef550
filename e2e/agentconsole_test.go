package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Selectors of the console's elements that the tests read.
const (
	liveCard        = "#live-calls .call-card"
	ringingCard     = liveCard + `[data-status="ringing"]`
	answeredCard    = liveCard + `[data-status="answered"]`
	endedRecentCall = `#recent-calls .recent-call[data-status="completed"]`
	connected       = `#connection-status[data-state="connected"]`
)

func TestAgentConsoleFollowsCall(t *testing.T) {
	b := newBrowser(t)
	e := setup(t)

	b.do("open the console", chromedp.Navigate(e.URL+"/agent"), chromedp.WaitVisible(chromedp.ID("email")))
	b.screenshot("sign-in", phone)
	b.screenshot("sign-in", laptop)

	b.fillSignIn(agentEmail, "wrong password")
	b.do("submit with the button", chromedp.Click(chromedp.ID("sign-in-submit")), chromedp.WaitVisible(chromedp.ID("sign-in-error")))
	require.Contains(t, b.text("#sign-in-error"), "password is wrong")
	require.True(t, b.attributeExists("#password", "aria-invalid"))
	b.screenshot("sign-in-error", laptop)

	b.fillSignIn(agentEmail, agentPassword)
	b.do("submit with Enter", chromedp.SendKeys(chromedp.ID("password"), "\r"), chromedp.WaitVisible(chromedp.CSS(connected)))
	require.Equal(t, agentName, b.text("#agent-name"))
	require.Contains(t, b.text("#agent-routes"), "Extension "+agentExt)
	require.True(t, b.visible("#live-empty"))

	call := newTwilioCall()
	e.Twilio.ring(t, call)
	b.do("wait for the ringing card", chromedp.WaitVisible(chromedp.CSS(ringingCard)))
	require.Equal(t, 1, b.count(liveCard))
	require.Equal(t, "Ringing", b.text(liveCard+" .call-status"))
	require.Equal(t, contactFirstName+" "+contactLastName, b.text(liveCard+" .caller-name"))
	require.Equal(t, contactCompany, b.text(liveCard+" .caller-company"))
	require.Contains(t, b.text(liveCard+" .call-details"), contactNumber)
	require.Contains(t, b.text(liveCard+" .call-details"), "Tier\nvip")
	require.Equal(t, e.CRMURL, b.attribute(liveCard+" .crm-link", "href"))
	require.Equal(t, "_blank", b.attribute(liveCard+" .crm-link", "target"))
	require.Equal(t, "noopener", b.attribute(liveCard+" .crm-link", "rel"))
	require.Equal(t, "Incoming call from Ada Lovelace, Analytical Engines Ltd.", b.textContent("#announcer"))
	b.screenshot("ringing", laptop)
	b.screenshot("ringing", phone)

	e.Twilio.status(t, call, "in-progress", 1, 0)
	b.do("wait for the answered card", chromedp.WaitVisible(chromedp.CSS(answeredCard)))
	require.Regexp(t, `^Answered( by .+)?$`, b.text(liveCard+" .call-status"))
	require.Equal(t, e.CRMURL, b.attribute(liveCard+" .crm-link", "href"))
	b.screenshot("answered", phone)

	e.Twilio.status(t, call, "completed", 2, 42)
	b.do("wait for the call to move to the recent calls",
		chromedp.WaitVisible(chromedp.CSS(endedRecentCall)),
		chromedp.WaitNotPresent(chromedp.CSS(liveCard)))
	require.True(t, b.visible("#live-empty"))
	require.Equal(t, contactFirstName+" "+contactLastName, b.text(endedRecentCall+" .recent-name"))
	require.Contains(t, b.text(endedRecentCall+" .recent-meta"), "Ended")
	require.Contains(t, b.text(endedRecentCall+" .recent-meta"), "42 s")
	require.Equal(t, e.CRMURL, b.attribute(endedRecentCall+" .recent-crm-link", "href"))
	b.screenshot("ended", laptop)
	b.screenshot("ended", phone)

	// After a reload the ended call comes from GET /v1/agents/me/calls.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(connected)), chromedp.WaitVisible(chromedp.CSS(endedRecentCall)))
	require.Equal(t, contactFirstName+" "+contactLastName, b.text(endedRecentCall+" .recent-name"))
	require.Equal(t, 0, b.count(liveCard))

	b.checkNoProblems()
}

func TestAgentConsoleUnknownCallerHasNoCRMLink(t *testing.T) {
	b := newBrowser(t)
	e := setup(t)
	b.do("open the console", chromedp.Navigate(e.URL+"/agent"), chromedp.WaitVisible(chromedp.ID("email")))
	b.fillSignIn(agentEmail, agentPassword)
	b.do("sign in", chromedp.Click(chromedp.ID("sign-in-submit")), chromedp.WaitVisible(chromedp.CSS(connected)))

	// The connection sends callers missing from the phonebook to the
	// support queue, which the agent is in.
	call := newTwilioCall()
	call.from = unknownNumber
	e.Twilio.ring(t, call)
	b.do("wait for the ringing card", chromedp.WaitVisible(chromedp.CSS(ringingCard)))

	require.Equal(t, unknownNumber, b.text(liveCard+" .caller-name"))
	require.False(t, b.visible(liveCard+" .caller-company"))
	require.False(t, b.visible(liveCard+" .crm-link"))
	require.False(t, b.attributeExists(liveCard+" .crm-link", "href"))
	require.Contains(t, b.text(liveCard+" .call-details"), "queue support")
	b.checkNoProblems()
}

func TestAgentConsoleKeepsRingingCallAfterReload(t *testing.T) {
	b := newBrowser(t)
	e := setup(t)
	b.do("open the console", chromedp.Navigate(e.URL+"/agent"), chromedp.WaitVisible(chromedp.ID("email")))
	b.fillSignIn(agentEmail, agentPassword)
	b.do("sign in", chromedp.Click(chromedp.ID("sign-in-submit")), chromedp.WaitVisible(chromedp.CSS(connected)))

	call := newTwilioCall()
	e.Twilio.ring(t, call)
	b.do("wait for the ringing card", chromedp.WaitVisible(chromedp.CSS(ringingCard)))

	b.do("reload while the call rings", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(connected)), chromedp.WaitVisible(chromedp.CSS(ringingCard)))
	require.False(t, b.visible("#sign-in"), "the token in sessionStorage signs the tab in again")
	require.Equal(t, 1, b.count(liveCard))
	require.Equal(t, contactFirstName+" "+contactLastName, b.text(liveCard+" .caller-name"))
	require.Equal(t, contactCompany, b.text(liveCard+" .caller-company"))
	require.Equal(t, e.CRMURL, b.attribute(liveCard+" .crm-link", "href"))

	e.Twilio.status(t, call, "completed", 1, 0)
	b.do("wait for the call to end", chromedp.WaitVisible(chromedp.CSS(endedRecentCall)), chromedp.WaitNotPresent(chromedp.CSS(liveCard)))
	b.checkNoProblems()
}

func TestAgentConsoleNewTabAsksToSignIn(t *testing.T) {
	b := newBrowser(t)
	e := setup(t)
	b.do("open the console", chromedp.Navigate(e.URL+"/agent"), chromedp.WaitVisible(chromedp.ID("email")))
	b.fillSignIn(agentEmail, agentPassword)
	b.do("sign in", chromedp.Click(chromedp.ID("sign-in-submit")), chromedp.WaitVisible(chromedp.CSS(connected)))

	tab := b.newTab()
	tab.do("open the console in a new tab", chromedp.Navigate(e.URL+"/agent"), chromedp.WaitVisible(chromedp.ID("email")))
	require.False(t, tab.visible("#console"))

	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("email")))
	require.False(t, b.visible("#console"))
	require.Equal(t, 0, b.count(liveCard))
	b.do("reload after signing out", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("email")))
	require.False(t, b.visible("#console"))

	tab.checkNoProblems()
	b.checkNoProblems()
}
