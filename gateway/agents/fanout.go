package agents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/store"
)

// BaseChannel is the LISTEN/NOTIFY channel of call and user changes in the
// public schema.
const BaseChannel = "switchboard_calls"

// Limits of the fan-out over PostgreSQL.
const (
	// maxChannelBytes is the longest channel name PostgreSQL keeps; a
	// longer identifier is truncated (NAMEDATALEN - 1).
	maxChannelBytes = 63
	// publishTimeout bounds one pg_notify.
	publishTimeout = 2 * time.Second
	// listenTimeout bounds the wait for the listener's first connection.
	listenTimeout = 10 * time.Second
)

// ChannelForSchema returns the channel of a deployment whose tables live in
// schema. NOTIFY reaches every session of the database, whatever its
// search_path, so two deployments (or two test runs) in two schemas of one
// database need two channels. The public schema uses BaseChannel, and any
// other schema BaseChannel + "_" + schema. When that is longer than
// PostgreSQL's 63-byte limit on names, a hash of the schema replaces it.
func ChannelForSchema(schema string) string {
	if schema == "" || schema == "public" {
		return BaseChannel
	}
	name := BaseChannel + "_" + schema
	if len(name) > maxChannelBytes {
		sum := sha256.Sum256([]byte(schema))
		name = BaseChannel + "_" + hex.EncodeToString(sum[:12])
	}
	return name
}

// listen connects the listener and subscribes to the channel, waiting up
// to listenTimeout for the first connection.
func (h *Hub) listen(ctx context.Context) error {
	channel := h.cfg.Channel
	if channel == "" {
		schema, err := h.store.CurrentSchema(ctx)
		if err != nil {
			return fmt.Errorf("agents hub: %w", err)
		}
		channel = ChannelForSchema(schema)
	}

	var lostAt atomic.Int64
	listener := pq.NewListener(h.cfg.DatabaseURL, time.Second, 30*time.Second, func(event pq.ListenerEventType, err error) {
		h.listenerEvent(event, err, &lostAt)
	})

	subscribed := make(chan error, 1)
	go func() { subscribed <- listener.Listen(channel) }()
	select {
	case err := <-subscribed:
		if err != nil {
			listener.Close()
			return fmt.Errorf("agents hub: listen on channel %s: %w", channel, err)
		}
	case <-time.After(listenTimeout):
		listener.Close()
		return fmt.Errorf("agents hub: listen on channel %s: no connection to PostgreSQL after %s", channel, listenTimeout)
	case <-ctx.Done():
		listener.Close()
		return fmt.Errorf("agents hub: listen on channel %s: %w", channel, ctx.Err())
	}

	h.mu.Lock()
	h.channel, h.listener = channel, listener
	h.mu.Unlock()
	go h.forward(listener)
	h.log.Info("listening for call changes", zap.String("channel", channel))
	return nil
}

// listenerEvent logs the listener's connection changes and, after a
// reconnect, makes the dispatcher resend what changed while it was away.
func (h *Hub) listenerEvent(event pq.ListenerEventType, err error, lostAt *atomic.Int64) {
	switch event {
	case pq.ListenerEventDisconnected:
		lostAt.Store(h.cfg.Now().UnixMilli())
		h.log.Warn("call change listener lost its connection; reconnecting", zap.Error(err))
	case pq.ListenerEventReconnected:
		h.log.Info("call change listener reconnected")
		select {
		case h.resyncs <- time.UnixMilli(lostAt.Load()):
		default:
		}
	case pq.ListenerEventConnectionAttemptFailed:
		h.log.Warn("call change listener could not reconnect", zap.Error(err))
	}
}

// forward turns notifications into notices for the dispatcher until the
// listener is closed. A nil notification only marks a reconnect.
func (h *Hub) forward(listener *pq.Listener) {
	for n := range listener.Notify {
		if n == nil {
			continue
		}
		ws, id, ok := strings.Cut(n.Extra, ":")
		if !ok || ws == "" || id == "" {
			h.log.Warn("call change notification ignored: payload is not workspace_id:id", zap.String("channel", n.Channel))
			continue
		}
		select {
		case h.notices <- notice{workspaceID: ws, id: id}:
		case <-h.quit:
			return
		}
	}
}

// publish sends n to every instance. On PostgreSQL it is a pg_notify that
// every instance's listener receives, this one's included, so there is one
// delivery path. On SQLite, where one instance runs, it queues n for the
// dispatcher directly.
func (h *Hub) publish(ctx context.Context, n notice) {
	h.mu.RLock()
	channel := h.channel
	h.mu.RUnlock()

	var err error
	switch {
	case channel != "":
		notifyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		err = h.store.Notify(notifyCtx, channel, n.workspaceID+":"+n.id)
		cancel()
	case h.listenerRequired():
		err = errors.New("the hub was not started, so it has no channel")
	default:
		select {
		case h.notices <- n:
		default:
			err = fmt.Errorf("%d changes already wait for the dispatcher", queueSize)
		}
	}
	if err != nil {
		h.metrics.publishFailures.Inc()
		h.log.Error("call change not published; agent sockets miss it",
			zap.String("workspace_id", n.workspaceID), zap.String("id", n.id), zap.Error(err))
	}
}

func (h *Hub) listenerRequired() bool {
	return h.store.Dialect() == store.Postgres
}
