// Package e2e drives the gateway's pages in a real browser: headless
// Chromium through chromedp, against the gateway served on a loopback port
// over a fresh SQLite database, with webhooks signed as the telephony
// provider signs them.
//
// The package has no code outside its tests. The tests fail when Chromium is
// missing, because CI must prove the pages work; set
// SWITCHBOARD_TEST_SKIP_BROWSER=1 to skip them on a machine without it.
// Screenshots are written to test-output/agent/ and test-output/admin/ at
// the repository root; SWITCHBOARD_E2E_OUTPUT moves the admin UI's.
package e2e
