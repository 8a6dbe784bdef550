// Package agents serves the agent console: it hashes users' passwords,
// decides which agents a call rings, builds screen pops and delivers them
// live over WebSocket. The gateway's upgrade handler authenticates the
// socket and hands it to Hub.Serve; everything after the upgrade happens
// here.
//
// # Which agents a call rings
//
// Rings decides from the call's routing decision (the route of
// store.Call.Routing) and its Agent field, so an agent sees a call routed to
// their extension, client identity, SIP user or queue, and a call they
// answered. Rings documents each route kind.
//
// # Messages
//
// A socket gets JSON text frames: {"type":"hello","user":{…}} once, then
// {"type":"snapshot","calls":[CallPop…]} with the calls that ring the user
// and are still ringing or answered, started within Config.SnapshotWindow
// (2 hours), then {"type":"call","call":CallPop} for every change of a call
// that rings the user or was sent to them while live. A reconnecting
// console therefore gets its current calls again from the snapshot.
// Messages queued while the snapshot was read and not newer than it are
// skipped, so a socket never steps back to an older state of a call.
//
// # Fan-out between instances
//
// inbound calls Hub.CallChanged after a call's record is committed. On
// SQLite, where one instance runs, the change goes to the dispatcher
// directly. On PostgreSQL the hub sends pg_notify(channel,
// 'workspace_id:call_id') and every instance, the sender included, receives
// it through its lib/pq Listener, so a webhook handled by instance A
// reaches an agent connected to instance B, and every instance delivers
// through the same path. The dispatcher reads the call again and builds the
// pop from the database, so notifications carry ids only and a duplicate
// does no harm. User changes travel the same way, with a user id in place
// of the call id.
//
// NOTIFY reaches every session of a database whatever its search_path, so
// the channel is derived from the schema (ChannelForSchema) or set in
// Config.Channel: deployments and test runs in different schemas of one
// database do not see each other's changes.
//
// A listener that lost its connection reconnects by itself; notifications
// sent meanwhile are lost, so after a reconnect the hub resends the calls
// updated since the connection dropped.
//
// # Slow sockets
//
// Each socket has a buffer of Config.SendBuffer messages (64) and one
// writer goroutine. The dispatcher never waits for a socket: when a
// socket's buffer is full it is closed at once, and the console reconnects
// and gets a snapshot. Sockets are pinged every 30 s and closed after 60 s
// without a pong, and closed when the access token they opened with
// expires.
package agents
