package inbound_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

var agentRoute = telephony.Route{Kind: telephony.TargetNumber, Target: "+14155550177"}

// liveTwilioCall sets up a Twilio connection whose REST API is api and a
// ringing call CA1 on it.
func liveTwilioCall(t *testing.T, api *fakeAPI) (*harness, store.Call) {
	t.Helper()
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderTwilio, at(twilioCreds, api))
	_, err := h.svc.HandleWebhook(h.ctx, twilioHook(conn, "voice", twilioVoice("CA1", "+14155550123")))
	require.NoError(t, err)
	call, _ := h.onlyCall(t)
	return h, call
}

func TestRerouteLiveCall(t *testing.T) {
	api := newFakeAPI(t)
	h, call := liveTwilioCall(t, api)

	got, err := h.svc.Reroute(h.ctx, h.workspace.ID, call.ID, telephony.Route{Kind: telephony.TargetNumber, Target: "(415) 555-0177"})

	require.NoError(t, err)
	require.Equal(t, call.ID, got.ID)
	requests := api.received()
	require.Len(t, requests, 1)
	require.Equal(t, "/2010-04-01/Accounts/"+twilioSID+"/Calls/CA1.json", requests[0].Path)
	form, err := url.ParseQuery(requests[0].Body)
	require.NoError(t, err)
	require.Contains(t, form.Get("Twiml"), ">+14155550177</Number>", "the number is read in the workspace's region")
	require.Contains(t, form.Get("Twiml"), `action="`+publicBase+"/hooks/twilio/"+call.ConnectionID+`/dial"`,
		"the rerouted call reports how ringing ended to the dial hook")
	require.Contains(t, form.Get("Twiml"), `statusCallback="`+publicBase+"/hooks/twilio/"+call.ConnectionID+`/status"`,
		"the rerouted call's child leg reports to the status hook")
}

func TestRerouteErrors(t *testing.T) {
	api := newFakeAPI(t)
	h, call := liveTwilioCall(t, api)
	ended := store.Call{WorkspaceID: h.workspace.ID, ConnectionID: call.ConnectionID, Provider: "twilio", ProviderCallID: "CA2", Status: "completed", StartedAt: call.StartedAt, LastEventAt: call.StartedAt}
	require.NoError(t, h.store.InTx(h.ctx, func(q *store.Queries) error { return q.InsertCall(h.ctx, &ended) }))
	other, _ := setupOtherWorkspace(t, h)

	tests := []struct {
		name      string
		workspace string
		callID    string
		route     telephony.Route
		status    int
		body      string
		check     func(t *testing.T, err error)
	}{
		{
			name: "ended call", workspace: h.workspace.ID, callID: ended.ID, route: agentRoute,
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, telephony.ErrCallEnded) },
		},
		{
			name: "provider says ended", workspace: h.workspace.ID, callID: call.ID, route: agentRoute,
			status: http.StatusBadRequest, body: `{"code":21220,"message":"Call is not in-progress. Cannot redirect.","status":400}`,
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, telephony.ErrCallEnded) },
		},
		{
			name: "provider error", workspace: h.workspace.ID, callID: call.ID, route: agentRoute,
			status: http.StatusUnauthorized, body: `{"code":20003,"message":"Authenticate","status":401}`,
			check: func(t *testing.T, err error) {
				var providerErr *telephony.ProviderError
				require.ErrorAs(t, err, &providerErr)
				require.Equal(t, http.StatusUnauthorized, providerErr.StatusCode)
				require.Contains(t, providerErr.Message, "Authenticate")
			},
		},
		{
			name: "invalid route", workspace: h.workspace.ID, callID: call.ID, route: telephony.Route{Kind: telephony.TargetNumber, Target: "not a number"},
			check: func(t *testing.T, err error) {
				var verr *validation.Error
				require.ErrorAs(t, err, &verr)
				require.Equal(t, "target", verr.Fields[0].Field)
			},
		},
		{
			name: "other workspace", workspace: other.ID, callID: call.ID, route: agentRoute,
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, store.ErrNotFound) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.received())
			api.respond(http.StatusOK, `{}`)
			if tt.status != 0 {
				api.respond(tt.status, tt.body)
			}

			_, err := h.svc.Reroute(h.ctx, tt.workspace, tt.callID, tt.route)

			tt.check(t, err)
			if tt.status == 0 {
				require.Len(t, api.received(), before, "no request reaches the provider")
			}
		})
	}
}

func TestRerouteUnreachableProvider(t *testing.T) {
	api := newFakeAPI(t)
	h, call := liveTwilioCall(t, api)
	api.Close()

	_, err := h.svc.Reroute(h.ctx, h.workspace.ID, call.ID, agentRoute)

	require.ErrorIs(t, err, inbound.ErrProviderUnreachable)
}

func TestRerouteGenericUnsupported(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderGeneric, genericCreds)
	_, err := h.svc.HandleWebhook(h.ctx, genericHook(t, conn, genericCall("call-1")[0]))
	require.NoError(t, err)
	call, _ := h.onlyCall(t)

	_, err = h.svc.Reroute(h.ctx, h.workspace.ID, call.ID, agentRoute)

	require.ErrorIs(t, err, inbound.ErrRerouteUnsupported)
}

// TestRerouteVonageNamesCallerLeg checks that a Vonage call, filed under
// its conversation, is moved by the uuid of the caller's leg.
func TestRerouteVonageNamesCallerLeg(t *testing.T) {
	api := newFakeAPI(t)
	h := setup(t, testdb.Open(t, store.SQLite))
	conn := h.connection(t, telephony.ProviderVonage, at(telephony.Credentials{
		SigningSecret: vonageSecret, APIKey: "app-0123", AuthToken: testPrivateKeyPEM(t),
	}, api))
	answer := `{"from":"14155550123","to":"14155550100","uuid":"` + vonageCallerLeg + `","conversation_uuid":"` + vonageConversation + `"}`
	_, err := h.svc.HandleWebhook(h.ctx, vonageHook(t, conn, "answer", answer))
	require.NoError(t, err)
	call, _ := h.onlyCall(t)

	_, err = h.svc.Reroute(h.ctx, h.workspace.ID, call.ID, agentRoute)

	require.NoError(t, err)
	requests := api.received()
	require.Len(t, requests, 1)
	require.Equal(t, http.MethodPut, requests[0].Method)
	require.Equal(t, "/v1/calls/"+vonageCallerLeg, requests[0].Path)
}

func testPrivateKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// setupOtherWorkspace creates a second workspace with a phonebook.
func setupOtherWorkspace(t *testing.T, h *harness) (store.Workspace, store.Phonebook) {
	t.Helper()
	ws := store.Workspace{Name: "Other", DefaultRegion: "GB", TimeZone: "UTC"}
	require.NoError(t, h.store.CreateWorkspace(h.ctx, &ws))
	pb := store.Phonebook{WorkspaceID: ws.ID, Name: "Theirs"}
	require.NoError(t, h.store.CreatePhonebook(h.ctx, &pb))
	return ws, pb
}

func TestTestRoute(t *testing.T) {
	h := setup(t, testdb.Open(t, store.SQLite))
	twilioConn := h.connection(t, telephony.ProviderTwilio, twilioCreds, vipRule, knownRule)
	telnyxConn := h.connection(t, telephony.ProviderTelnyx, telephony.Credentials{APIKey: "KEY0123"}, vipRule)
	vip := h.contact(t, "Ann", "+14155550123", `{"tier":"vip"}`)
	other, _ := setupOtherWorkspace(t, h)

	t.Run("known caller", func(t *testing.T) {
		result, err := h.svc.TestRoute(h.ctx, h.workspace.ID, twilioConn.ID, "(415) 555-0123", "+14155550100")

		require.NoError(t, err)
		require.Equal(t, "+14155550123", result.Event.From.E164)
		require.Equal(t, vip.ID, result.Contact.ID)
		require.Equal(t, "vip callers", result.Decision.Rule)
		require.Equal(t, 0, result.Decision.RuleIndex)
		require.Equal(t, twimlVIPQueue, string(result.Answer.Body))
		require.False(t, result.Command)
	})
	t.Run("unknown caller", func(t *testing.T) {
		result, err := h.svc.TestRoute(h.ctx, h.workspace.ID, twilioConn.ID, "anonymous", "")

		require.NoError(t, err)
		require.Nil(t, result.Contact)
		require.Equal(t, -1, result.Decision.RuleIndex)
		require.Equal(t, twimlDefaultFor(twilioConn.ID), string(result.Answer.Body))
	})
	t.Run("provider routed by command", func(t *testing.T) {
		result, err := h.svc.TestRoute(h.ctx, h.workspace.ID, telnyxConn.ID, "+14155550123", "")

		require.NoError(t, err)
		require.True(t, result.Command)
		require.Equal(t, vipQueue, result.Decision.Route)
	})
	t.Run("missing caller", func(t *testing.T) {
		_, err := h.svc.TestRoute(h.ctx, h.workspace.ID, twilioConn.ID, " ", "")

		var verr *validation.Error
		require.ErrorAs(t, err, &verr)
		require.Equal(t, "from", verr.Fields[0].Field)
	})
	t.Run("other workspace", func(t *testing.T) {
		_, err := h.svc.TestRoute(h.ctx, other.ID, twilioConn.ID, "+14155550123", "")

		require.ErrorIs(t, err, store.ErrNotFound)
	})

	require.Empty(t, h.calls(t), "a routing test stores no call")
	require.Equal(t, 0.0, counterValue(t, h.registry, "switchboard_routing_fallbacks_total"))
}
