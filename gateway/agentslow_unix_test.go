//go:build unix

package gateway

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/testdb"
	"github.com/switchboard-oss/switchboard/store"
)

// dialSlow opens an agent socket whose receive buffer is as small as the
// kernel allows, set before connecting so the TCP window stays small, and
// which the test never reads.
func dialSlow(t *testing.T, wsURL, token string) *websocket.Conn {
	t.Helper()
	netDialer := &net.Dialer{Control: func(_, _ string, raw syscall.RawConn) error {
		var sockErr error
		err := raw.Control(func(fd uintptr) {
			sockErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024)
		})
		if err != nil {
			return err
		}
		return sockErr
	}}
	dialer := websocket.Dialer{NetDialContext: netDialer.DialContext, ReadBufferSize: 1024}

	conn, resp, err := dialer.DialContext(context.Background(), wsURL+"?"+url.Values{"access_token": {token}}.Encode(), http.Header{})
	require.NoError(t, err, "handshake: %v", resp)
	return conn
}

func TestAgentStreamDropsSlowSocket(t *testing.T) {
	as := newAgentServer(t, testdb.Open(t, store.SQLite), "", func(hub *agents.Config, _ *Config) {
		hub.SendBuffer = 2
	})
	// A large field makes each pop about 64 KiB, so the slow socket's
	// kernel buffers fill after a few dozen pops at most.
	as.Contact.ExtraData = json.RawMessage(`{"notes":"` + string(make64KiB()) + `"}`)
	_, err := as.Store.UpdateContact(t.Context(), &as.Contact)
	require.NoError(t, err)
	ws := as.Workspace
	ws.ScreenPopFields.V = []string{"notes"}
	require.NoError(t, as.Store.UpdateWorkspace(t.Context(), &ws))
	_, token := as.user(t, "alice@example.com", "Alice Agent", agents.RoleAgent, []string{"sales"}, nil, nil)

	slow := dialSlow(t, as.wsURL, token)
	defer slow.Close()
	normal, _, _ := as.connect(t, token)

	sent := 0
	for ; sent < 300 && as.metricValue(t, "switchboard_agent_slow_sockets_closed_total") == "0"; sent++ {
		as.ringCall(t, "CA-"+string(rune('a'+sent%26))+string(rune('a'+sent/26)), annNumber)
		pop := readCall(t, normal)
		require.Equal(t, "ringing", pop.Status)
		require.Len(t, pop.Contact.Fields, 1)
	}

	t.Logf("the slow socket was closed after %d pops", sent)
	require.Equal(t, "1", as.metricValue(t, "switchboard_agent_slow_sockets_closed_total"), "the slow socket was not closed after %d pops", sent)
	require.Equal(t, 1, as.Hub.Connected())
	as.ringCall(t, "CA-after", annNumber)
	require.Equal(t, "ringing", readCall(t, normal).Status, "the normal socket still gets pops")
}

func make64KiB() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'x'
	}
	return b
}
