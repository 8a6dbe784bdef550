package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

func TestRoutingTestEndpoint(t *testing.T) {
	ts := newTelephonyServer(t, testdb.Open(t, store.SQLite))
	twilioConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderTwilio)
	aircallConn := ts.connection(t, ts.Workspace.ID, telephony.ProviderAircall)
	ann := ts.contact(t, "Ann", "+14155550123")
	cl := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeConnectionsRead))

	t.Run("known caller", func(t *testing.T) {
		var result routingTestView
		cl.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"from": "(415) 555-0123", "to": "+14155550100"}).
			decode(t, http.StatusOK, &result)

		require.Equal(t, "+14155550123", result.From.E164)
		require.Equal(t, ann.ID, result.Contact.ID)
		require.Equal(t, "known callers", result.Decision.Rule)
		require.Equal(t, telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}, result.Decision.Route)
		require.Equal(t, answerView{Status: http.StatusOK, ContentType: "text/xml", Body: twimlSalesQueue}, result.Answer)
		require.Equal(t, "webhook_answer", result.Delivery)
	})
	t.Run("unknown caller", func(t *testing.T) {
		var result routingTestView
		cl.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"from": "+14155550999"}).
			decode(t, http.StatusOK, &result)

		require.Nil(t, result.Contact)
		require.Equal(t, -1, result.Decision.RuleIndex)
		require.Equal(t, "no_rule_matched", result.Decision.Reason)
		require.Equal(t, twimlDefaultRoute, result.Answer.Body)
	})
	t.Run("provider routed by API", func(t *testing.T) {
		var result routingTestView
		cl.post("/v1/telephony-connections/"+aircallConn.ID+"/routing/test", obj{"from": "+14155550123"}).
			decode(t, http.StatusOK, &result)

		require.Equal(t, "api_command", result.Delivery)
		require.Empty(t, result.Answer.Body)
		require.Empty(t, ts.APIs[telephony.ProviderAircall].received(), "a test sends no command")
	})
	t.Run("missing caller", func(t *testing.T) {
		p := cl.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"to": "+14155550100"}).
			problem(t, http.StatusUnprocessableEntity)

		require.Equal(t, "from", p.InvalidParams[0].Field)
	})
	t.Run("callers a webhook would route", func(t *testing.T) {
		for _, from := range []string{"anonymous", "sip:alice@pbx.example.com", "client:alice", "+44 20 7946 0958"} {
			cl.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"from": from}).
				decode(t, http.StatusOK, &routingTestView{})
		}
	})
	t.Run("invalid caller and called", func(t *testing.T) {
		tests := []struct {
			name, from, to, field, reason string
		}{
			{name: "letters", from: "abc", field: "from", reason: `"abc" is not a phone number, SIP URI, client:identity or anonymous`},
			{name: "too many digits", from: strings.Repeat("5", 5000), field: "from", reason: "is 5000 characters long; the limit is 256 characters"},
			{name: "number too long", from: "+" + strings.Repeat("5", 40), field: "from", reason: "is not a phone number"},
			{name: "called", from: "+14155550123", to: "not a number", field: "to", reason: `"not a number" is not a phone number`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := cl.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"from": tt.from, "to": tt.to}).
					problem(t, http.StatusUnprocessableEntity)

				require.Len(t, p.InvalidParams, 1)
				require.Equal(t, tt.field, p.InvalidParams[0].Field)
				require.Contains(t, p.InvalidParams[0].Reason, tt.reason)
			})
		}
	})
	t.Run("unknown connection", func(t *testing.T) {
		cl.post("/v1/telephony-connections/tc_missing/routing/test", obj{"from": "+14155550123"}).problem(t, http.StatusNotFound)
	})
	t.Run("calls scope is not enough", func(t *testing.T) {
		calls := ts.client(t, ts.newKey(t, ts.Workspace.ID, ScopeCallsWrite))
		calls.post("/v1/telephony-connections/"+twilioConn.ID+"/routing/test", obj{"from": "+14155550123"}).problem(t, http.StatusForbidden)
	})

	require.Equal(t, 0, ts.callCount(t, ts.Workspace.ID), "a routing test stores no call")
}
