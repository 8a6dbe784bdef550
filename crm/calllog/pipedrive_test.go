package calllog_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOtherUserCreateFoundNotRepeated loses the response to the create of
// a Pipedrive call log owned by another user than the token's, which
// GET /v1/callLogs does not list. The drain finds the call log through its
// activity and updates it rather than creating a second one.
func TestOtherUserCreateFoundNotRepeated(t *testing.T) {
	eachDialect(t, func(t *testing.T, h *harness) {
		h.pipe.AddOwner("ann@example.com", "9001")
		h.pipe.HangCreates(1)
		h.start(t)

		call := h.endCall(t, h.callAt("+14155550123", callStart), "completed")
		logs := h.waitLogged(t, call.ID)

		entries := h.pipe.EntriesOf(call.ID)
		require.Len(t, entries, 1)
		require.Equal(t, float64(9001), entries[0].Fields["user_id"])
		id, err := strconv.Atoi(entries[0].ID)
		require.NoError(t, err)
		require.Equal(t, "activity:"+strconv.Itoa(id+100000), logs[h.pipeConn.ID].CRMID, "the fake's activity id is the call log id plus 100000")
		require.Equal(t, 1, entries[0].Updates, "the found call log gets the current data")
		require.Contains(t, entries[0].Fields["activity.note"], "Switchboard call "+call.ID)
	})
}
