package inbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

const (
	testCRMConnection = "crm_test"
	twimlOwnerQueue   = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Enqueue>olga</Enqueue></Response>`
	twimlUnknownQueue = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Enqueue>new-callers</Enqueue></Response>`
	twimlSalesQueue   = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Enqueue>sales</Enqueue></Response>`
)

var (
	ownerQueue   = telephony.Route{Kind: telephony.TargetQueue, Target: "olga"}
	ownerRule    = routing.Rule{Name: "olga's callers", When: `contact != nil && contact.owner == "olga@acme.test"`, Route: ownerQueue}
	unknownRule  = routing.Rule{Name: "unknown callers", When: `contact == nil && call.from == "+14155550199"`, Route: telephony.Route{Kind: telephony.TargetQueue, Target: "new-callers"}}
	olgasContact = &routing.ContactEnv{ID: testCRMConnection + "/51", ExternalID: "51", FirstName: "Ann", Owner: "olga@acme.test", ExtraData: map[string]any{}}
)

// fakeCRM is an inbound.CRMLookup with one known number. While gate is
// open (not nil and not closed), lookups wait for it or for their context.
type fakeCRM struct {
	mu       sync.Mutex
	contacts map[string]*routing.ContactEnv
	err      error
	gate     chan struct{}
	lookups  []string
}

func newFakeCRM() *fakeCRM {
	return &fakeCRM{contacts: map[string]*routing.ContactEnv{"+14155550123": olgasContact}}
}

func (f *fakeCRM) LookupContact(ctx context.Context, workspaceID, crmConnectionID, e164 string) (*routing.ContactEnv, []string, error) {
	f.mu.Lock()
	f.lookups = append(f.lookups, workspaceID+" "+crmConnectionID+" "+e164)
	gate, err, contact := f.gate, f.err, f.contacts[e164]
	f.mu.Unlock()

	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	if err != nil || contact == nil {
		return nil, nil, err
	}
	return contact, []string{contact.ID, testCRMConnection + "/52"}, nil
}

func (f *fakeCRM) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lookups...)
}

// crmHarness is the harness with a second inbound service that looks
// callers up in a fake CRM.
type crmHarness struct {
	*harness
	svc      *inbound.Service
	crm      *fakeCRM
	registry *prometheus.Registry
}

func setupCRM(t *testing.T, st *store.Store) *crmHarness {
	t.Helper()
	h := setup(t, st)
	c := &crmHarness{harness: h, crm: newFakeCRM(), registry: prometheus.NewRegistry()}
	svc, err := inbound.New(inbound.Config{
		Store: st, Connections: connections.New(st, h.keyring), Log: zaptest.NewLogger(t), Registry: c.registry,
		Now: func() time.Time { return testNow }, CRM: c.crm,
	})
	require.NoError(t, err)
	c.svc = svc
	return c
}

// crmConnection stores a connection of provider whose lookup order is
// order, with the CRM deadline crmDeadline in milliseconds.
func (c *crmHarness) crmConnection(t *testing.T, provider telephony.Provider, creds telephony.Credentials, order string, crmDeadline int, rerouteLate bool) store.TelephonyConnection {
	t.Helper()
	plain, err := json.Marshal(creds)
	require.NoError(t, err)
	sealed, err := c.keyring.Encrypt(plain)
	require.NoError(t, err)

	conn := store.TelephonyConnection{
		WorkspaceID: c.workspace.ID, Provider: string(provider), Name: "CRM line", Credentials: sealed,
		PhonebookIDs: store.JSONColumn[[]string]{V: []string{c.phonebook.ID}},
		RoutingRules: mustJSON(t, []routing.Rule{ownerRule, unknownRule, knownRule}), DefaultRoute: mustJSON(t, defaultRoute),
		LookupOrder: order, CRMConnectionID: testCRMConnection, CRMDeadlineMillis: crmDeadline,
		RerouteLateCRMAnswers: rerouteLate, Enabled: true,
	}
	require.NoError(t, c.store.CreateTelephonyConnection(c.ctx, &conn))
	return conn
}

func (c *crmHarness) lateResponses(t *testing.T, outcome string) float64 {
	t.Helper()
	return counterValue(t, c.registry, "switchboard_routing_late_crm_answers_total", "outcome", outcome)
}

func TestCRMLookupOrderRoutesByCRMContact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		c := setupCRM(t, st)
		conn := c.crmConnection(t, telephony.ProviderTwilio, twilioCreds, "crm", 800, false)
		c.contact(t, "Ann in the phonebook", "+14155550123", `{"owner":"someone@acme.test"}`)

		answer, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

		require.NoError(t, err)
		require.Equal(t, twimlOwnerQueue, string(answer.Body), "lookup_order crm ignores the phonebook")
		require.Equal(t, []string{c.workspace.ID + " crm_test +14155550123"}, c.crm.calls())
		call, _ := c.onlyCall(t)
		require.Nil(t, call.ContactID, "a CRM record is no phonebook contact")
		require.Equal(t, []string{"crm_test/51", "crm_test/52"}, call.MatchedContactIDs.V)
		var decision routing.Decision
		require.NoError(t, json.Unmarshal(call.Routing, &decision))
		require.Equal(t, "olga's callers", decision.Rule)
		require.Equal(t, "crm_test/51", decision.ContactID)
	})
}

func TestPhonebookThenCRM(t *testing.T) {
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	conn := c.crmConnection(t, telephony.ProviderTwilio, twilioCreds, "phonebook_then_crm", 800, false)
	c.contact(t, "Bob", "+14155550124", `{}`)

	known, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550124")))
	require.NoError(t, err)
	require.Equal(t, twimlSalesQueue, string(known.Body), "the phonebook contact routes the call")
	require.Empty(t, c.crm.calls(), "the CRM is not asked when the phonebook knows the caller")

	crmOnly, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA2", "+14155550123")))
	require.NoError(t, err)
	require.Equal(t, twimlOwnerQueue, string(crmOnly.Body))
	require.Len(t, c.crm.calls(), 1)
}

func TestCRMFailureRoutesWithoutContact(t *testing.T) {
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	c.crm.err = errors.New("CRM is unavailable: HTTP 503")
	conn := c.crmConnection(t, telephony.ProviderTwilio, twilioCreds, "crm", 800, false)

	answer, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550199")))

	require.NoError(t, err)
	require.Equal(t, twimlUnknownQueue, string(answer.Body), "the rules run without a contact instead of falling back")
	require.Zero(t, counterValue(t, c.registry, "switchboard_routing_fallbacks_total"))
	call, _ := c.onlyCall(t)
	var decision routing.Decision
	require.NoError(t, json.Unmarshal(call.Routing, &decision))
	require.Contains(t, decision.LookupWarning, "the CRM lookup failed")
	require.Contains(t, decision.LookupWarning, "HTTP 503")
}

func TestCRMDeadlineGivesDefaultRoute(t *testing.T) {
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	c.crm.gate = make(chan struct{}) // never closed, so the CRM never responds
	conn := c.crmConnection(t, telephony.ProviderTwilio, twilioCreds, "crm", 100, false)

	answer, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.NoError(t, err)
	require.Equal(t, twimlDefault, string(answer.Body))
	call, _ := c.onlyCall(t)
	var decision routing.Decision
	require.NoError(t, json.Unmarshal(call.Routing, &decision))
	require.Equal(t, routing.ReasonNoRuleMatched, decision.Reason, "the CRM deadline ends the CRM step, not the routing decision")
	require.Equal(t, "the CRM lookup timed out after 100ms, so the rules ran without the CRM's contact", decision.LookupWarning)
}

func TestLateCRMResponseReroutesCall(t *testing.T) {
	api := newFakeAPI(t)
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	c.crm.gate = make(chan struct{})
	conn := c.crmConnection(t, telephony.ProviderTwilio, at(twilioCreds, api), "crm", 50, true)

	answer, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
	require.NoError(t, err)
	require.Equal(t, twimlDefault, string(answer.Body), "the call first takes the default route")
	require.Empty(t, api.received())

	close(c.crm.gate)
	require.Eventually(t, func() bool { return c.lateResponses(t, "rerouted") == 1 }, 10*time.Second, 5*time.Millisecond)

	requests := api.received()
	require.Len(t, requests, 1)
	require.Equal(t, "/2010-04-01/Accounts/"+twilioSID+"/Calls/CA1.json", requests[0].Path)
	form, err := url.ParseQuery(requests[0].Body)
	require.NoError(t, err)
	require.Contains(t, form.Get("Twiml"), "<Enqueue>olga</Enqueue>")

	var decision routing.Decision
	require.Eventually(t, func() bool {
		call, _ := c.onlyCall(t)
		decision = routing.Decision{}
		return json.Unmarshal(call.Routing, &decision) == nil && decision.Replaces != nil
	}, 10*time.Second, 5*time.Millisecond, "the call's record gets the decision of the reroute")
	require.Equal(t, defaultRoute, *decision.Replaces)
	require.Equal(t, "olga", decision.Route.Target)
	require.NotEmpty(t, decision.ContactID, "the record names the CRM contact the late response found")
}

func TestLateCRMResponseWithoutContact(t *testing.T) {
	api := newFakeAPI(t)
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	c.crm.gate = make(chan struct{})
	conn := c.crmConnection(t, telephony.ProviderTwilio, at(twilioCreds, api), "crm", 50, true)

	_, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550177")))
	require.NoError(t, err)

	close(c.crm.gate)
	require.Eventually(t, func() bool { return c.lateResponses(t, "no_contact") == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Empty(t, api.received())
}

func TestLateCRMResponseOnEndedCall(t *testing.T) {
	api := newFakeAPI(t)
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	c.crm.gate = make(chan struct{})
	conn := c.crmConnection(t, telephony.ProviderTwilio, at(twilioCreds, api), "crm", 50, true)
	_, err := c.svc.HandleWebhook(c.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
	require.NoError(t, err)
	ended := twilioVoice("CA1", "+14155550123")
	ended.Set("CallStatus", "completed")
	_, err = c.svc.HandleWebhook(c.ctx, twilioHook(conn, "status", ended))
	require.NoError(t, err)

	close(c.crm.gate)

	require.Eventually(t, func() bool { return c.lateResponses(t, "reroute_failed") == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Empty(t, api.received(), "an ended call is not rerouted")
}

func TestRoutingTestUsesCRM(t *testing.T) {
	c := setupCRM(t, testdb.Open(t, store.SQLite))
	conn := c.crmConnection(t, telephony.ProviderTwilio, twilioCreds, "crm", 800, true)

	result, err := c.svc.TestRoute(c.ctx, c.workspace.ID, conn.ID, "+14155550123", "")

	require.NoError(t, err)
	require.Equal(t, "olga's callers", result.Decision.Rule)
	require.Equal(t, "crm_test/51", result.Decision.ContactID)
	require.Nil(t, result.Contact)
	require.NotNil(t, result.CRMContact, "the test shows the contact the CRM found")
	require.Equal(t, "crm_test/51", result.CRMContact.ID)
	require.Equal(t, twimlOwnerQueue, string(result.Answer.Body))
}

func TestSyncedContactOwnerFromOwnerEmail(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, twilioCreds, ownerRule)
	h.contact(t, "Ann", "+14155550123", `{"owner_email":"olga@acme.test","owner_name":"Olga Owner"}`)

	answer, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))

	require.NoError(t, err)
	require.Equal(t, twimlOwnerQueue, string(answer.Body), "a CRM sync writes owner_email, which contact.owner reads")
}
