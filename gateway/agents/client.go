package agents

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// maxClientMessageBytes caps a frame from the console. The console sends
// nothing but pongs and close frames, so a larger frame closes the socket.
const maxClientMessageBytes = 4096

// greetTimeout bounds the queries and writes of the hello and snapshot.
const greetTimeout = 10 * time.Second

// outbound is one message for sockets. One value is shared by every socket
// it is queued on, and so is its frame, encoded once. version is the
// call's updated_at in milliseconds.
type outbound struct {
	frame   *websocket.PreparedMessage
	callID  string
	version int64
}

// client is one agent socket.
type client struct {
	hub         *Hub
	conn        *websocket.Conn
	workspaceID string
	user        atomic.Pointer[store.User]
	// expires is when the access token the socket opened with expires; the
	// socket is closed then.
	expires time.Time
	send    chan *outbound

	// liveCalls holds the ids of the calls in the roster's live sets that
	// hold this socket. The hub's mutex guards it.
	liveCalls map[string]struct{}

	// floor holds the version of each call in the snapshot. Messages queued
	// before the snapshot was read and not newer than it are skipped. Only
	// the write pump reads it after the snapshot is sent.
	floor map[string]int64

	closeOnce   sync.Once
	done        chan struct{}
	closeCode   int
	closeReason string
	pumpDone    chan struct{}
}

// Serve starts one agent socket of user u: it sends the hello and the
// snapshot, then returns while two goroutines serve the socket until it
// closes. One reads, so pongs and close frames are seen; the other writes
// every screen pop of calls that ring u and pings every PingInterval.
// expires is when u's access token expires; the socket is closed then.
// Serve owns conn from the call on. Returning early lets the HTTP server
// free the request's buffers while the socket stays open.
func (h *Hub) Serve(ctx context.Context, conn *websocket.Conn, u store.User, expires time.Time) {
	c := &client{
		hub: h, conn: conn, workspaceID: u.WorkspaceID, expires: expires,
		send: make(chan *outbound, h.cfg.SendBuffer), liveCalls: map[string]struct{}{},
		done: make(chan struct{}), pumpDone: make(chan struct{}),
	}
	c.user.Store(&u)

	h.serving.Add(1)
	if !h.register(c) {
		h.serving.Done()
		closeNow(conn, websocket.CloseGoingAway, "server shutting down")
		return
	}
	if err := c.greet(ctx); err != nil {
		h.unregister(c)
		h.serving.Done()
		h.log.Warn("agent socket closed before its snapshot was sent",
			zap.String("workspace_id", u.WorkspaceID), zap.String("user_id", u.ID), zap.Error(err))
		closeNow(conn, websocket.CloseInternalServerErr, "snapshot failed")
		return
	}

	go func() {
		defer h.serving.Done()
		defer h.unregister(c)
		go c.writePump()
		c.readLoop()
		// The console closed the socket or stopped answering pings; the
		// close handler has already answered a close frame.
		c.close(0, "")
		<-c.pumpDone
	}()
}

// greet writes the hello and the snapshot of the calls that are ringing or
// answered and ring the user. It registers the snapshot's calls as live.
func (c *client) greet(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), greetTimeout)
	defer cancel()
	u := c.user.Load()
	c.conn.SetWriteDeadline(time.Now().Add(greetTimeout))

	if err := c.conn.WriteJSON(helloMessage{Type: "hello", User: helloUser(u)}); err != nil {
		return fmt.Errorf("write hello: %w", err)
	}

	since := c.hub.cfg.Now().Add(-c.hub.cfg.SnapshotWindow)
	calls, err := LiveCalls(ctx, c.hub.store.Queries, u, since)
	if err != nil {
		return err
	}
	pops, err := BuildPops(ctx, c.hub.store.Queries, u.WorkspaceID, calls)
	if err != nil {
		return err
	}

	c.floor = make(map[string]int64, len(calls))
	for _, call := range calls {
		c.floor[call.ID] = call.UpdatedAt.UnixMilli()
	}
	c.hub.markLive(c, calls)

	if err := c.conn.WriteJSON(snapshotMessage{Type: "snapshot", Calls: pops}); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// readLoop reads until the socket fails or closes. Frames from the console
// are discarded; any frame and any pong extend the read deadline.
func (c *client) readLoop() {
	timeout := c.hub.cfg.PongTimeout
	c.conn.SetReadLimit(maxClientMessageBytes)
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(timeout))
	})
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(timeout))
	}
}

// writePump is the socket's only writer after the snapshot. It sends
// queued messages, pings, and the close frame when the socket is closed.
func (c *client) writePump() {
	defer close(c.pumpDone)
	ticker := time.NewTicker(c.hub.cfg.PingInterval)
	defer ticker.Stop()
	writeTimeout := c.hub.cfg.WriteTimeout

	for {
		select {
		case m := <-c.send:
			if c.stale(m) {
				continue
			}
			c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := c.conn.WritePreparedMessage(m.frame); err != nil {
				c.conn.Close()
				return
			}
		case <-ticker.C:
			if !c.expires.IsZero() && c.hub.cfg.Now().After(c.expires) {
				closeNow(c.conn, websocket.ClosePolicyViolation, "access token expired")
				return
			}
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.conn.Close()
				return
			}
		case <-c.done:
			if c.closeCode != 0 {
				closeNow(c.conn, c.closeCode, c.closeReason)
			}
			c.conn.Close()
			return
		}
	}
}

// stale reports whether m was queued before the snapshot and is not newer
// than the call's state in it.
func (c *client) stale(m *outbound) bool {
	v, ok := c.floor[m.callID]
	if !ok {
		return false
	}
	if m.version > v {
		delete(c.floor, m.callID)
		return false
	}
	return true
}

// enqueue queues m without waiting; it returns false when the buffer is
// full.
func (c *client) enqueue(m *outbound) bool {
	select {
	case c.send <- m:
		c.hub.metrics.sent.Inc()
		return true
	default:
		return false
	}
}

func (c *client) userID() string { return c.user.Load().ID }

// close makes the write pump send a close frame with code and reason, or
// none when code is 0, and close the connection.
func (c *client) close(code int, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.done)
	})
}

// abort closes the connection at once, without a close frame, so a write
// pump stuck on a full socket returns.
func (c *client) abort() {
	c.close(0, "")
	c.conn.Close()
}

// closeNow sends a close frame, waiting at most a second, and closes conn.
func closeNow(conn *websocket.Conn, code int, reason string) {
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	conn.Close()
}
