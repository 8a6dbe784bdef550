package calllog_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm/calllog"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/store"
)

// TestRoutedAgentGetsOwner logs calls whose provider reported no agent,
// as Twilio's never do: the routing decision's target is the agent when
// it rings one party, and no one when it rings a queue.
func TestRoutedAgentGetsOwner(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.AddOwner("ann@example.com", "7001")
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) {
			s.UserMap = map[string]string{"201": "7201", "vip": "7999"}
			s.Mapping = &mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "switchboard_agent", Source: mapping.CallSourceAgent}}}
		})
		h.start(t)

		routed := func(from, route string) store.Call {
			call := h.callAt(from, callStart)
			call.Agent = ""
			call.Routing = json.RawMessage(route)
			return h.endCall(t, call, "completed")
		}
		extension := routed("+14155550123", `{"route": {"kind": "extension", "target": "201"}, "rule_index": 0}`)
		client := routed("+14155550124", `{"route": {"kind": "client", "target": "client:ann"}, "rule_index": -1}`)
		queue := routed("+14155550125", `{"route": {"kind": "queue", "target": "vip"}, "rule_index": 1}`)
		for _, call := range []store.Call{extension, client, queue} {
			h.waitLogged(t, call.ID)
		}

		byExtension := h.hubspot.EntriesOf(extension.ID)[0].Fields
		require.Equal(t, "7201", byExtension["hubspot_owner_id"], "user_map applies to the routed extension")
		require.Equal(t, "201", byExtension["switchboard_agent"], "the agent mapping source is the routed extension")
		require.Equal(t, "7001", h.hubspot.EntriesOf(client.ID)[0].Fields["hubspot_owner_id"], "the routed client's email finds the owner")
		require.NotContains(t, h.hubspot.EntriesOf(queue.ID)[0].Fields, "hubspot_owner_id", "a queue names no agent")
		require.NotContains(t, h.hubspot.EntriesOf(queue.ID)[0].Fields, "switchboard_agent")
	})
}

// TestReportedAgentWinsOverRoute logs a call whose provider reported an
// agent other than the routed one: the reported agent is the owner.
func TestReportedAgentWinsOverRoute(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.hubspot.AddOwner("ann@example.com", "7001")
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) { s.UserMap = map[string]string{"201": "7201"} })
		h.start(t)

		call := h.callAt("+14155550123", callStart)
		call.Routing = json.RawMessage(`{"route": {"kind": "extension", "target": "201"}, "rule_index": 0}`)
		call = h.endCall(t, call, "completed")
		h.waitLogged(t, call.ID)

		require.Equal(t, "7001", h.hubspot.EntriesOf(call.ID)[0].Fields["hubspot_owner_id"])
	})
}

// TestTitleWithoutMappedTitle logs a call with a mapping that sets no
// title: the title is the default one, with the contact's name.
func TestTitleWithoutMappedTitle(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) {
			s.Mapping = &mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "switchboard_notes", Source: mapping.CallSourceNotes}}}
		})
		book := store.Phonebook{WorkspaceID: h.ws.ID, Name: "Customers", Source: "api"}
		require.NoError(t, h.st.InTx(h.ctx, func(q *store.Queries) error { return q.CreatePhonebook(h.ctx, &book) }))
		contact := store.Contact{WorkspaceID: h.ws.ID, PhonebookID: book.ID, DisplayName: "Ada Lovelace"}
		require.NoError(t, h.st.CreateContact(h.ctx, &contact))
		h.start(t)

		call := h.callAt("+14155550123", callStart)
		call.ContactID, call.PhonebookID = &contact.ID, &book.ID
		call = h.endCall(t, call, "completed")
		h.waitLogged(t, call.ID)

		require.Equal(t, "inbound call +14155550123 Ada Lovelace", h.hubspot.EntriesOf(call.ID)[0].Fields["hs_call_title"])
	})
}

// forgetRecorder records the numbers the service makes the lookup cache
// forget.
type forgetRecorder struct {
	mu      sync.Mutex
	numbers []string
}

func (f *forgetRecorder) Forget(_, _, e164 string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.numbers = append(f.numbers, e164)
}

func (f *forgetRecorder) forgotten() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.numbers...)
}

// TestNewNumberGetsOneContact ends two calls from a new number together,
// then a third: the CRM's search never finds the created record, as
// during its indexing delay, yet every call is logged on one record.
func TestNewNumberGetsOneContact(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		lookups := &forgetRecorder{}
		h.newService(t, func(c *calllog.Config) { c.Lookups = lookups })
		h.updateCallLog(t, h.hubConn, func(s *crmconn.CallLogSettings) { s.UnknownCallers = crmconn.UnknownCallerCreateContact })
		q := h.newQueue(t)
		first := h.endCall(t, h.callAt("+14155550177", callStart), "completed")
		second := h.endCall(t, h.callAt("+14155550177", callStart.Add(time.Second)), "completed")
		require.NoError(t, q.Start(h.ctx))
		h.waitLogged(t, first.ID)
		h.waitLogged(t, second.ID)
		third := h.endCall(t, h.callAt("+14155550177", callStart.Add(time.Hour)), "completed")
		h.waitLogged(t, third.ID)

		require.Equal(t, 1, h.hubspot.Stats().Contacts, "one record for the number")
		for _, call := range []store.Call{first, second, third} {
			require.Equal(t, []string{"901"}, h.hubspot.EntriesOf(call.ID)[0].Associations)
		}
		require.Equal(t, []string{"+14155550177"}, lookups.forgotten(), "the lookup cache forgets the number once")
	})
}
