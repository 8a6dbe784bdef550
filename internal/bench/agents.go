package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/gateway/agents"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// Settings of the agent socket benchmark.
const (
	// agentsPerQueue is how many agents one queue call rings in the
	// typical run; agent i is in queue q<i/agentsPerQueue>.
	agentsPerQueue = 20
	// agentQueueCalls is the number of calls of the typical run, sent at
	// agentQueueRate calls per second.
	agentQueueCalls = 2000
	agentQueueRate  = 100
	// agentBroadcastCalls is the number of calls that ring every agent,
	// sent agentBroadcastGap apart so each fan-out ends before the next.
	agentBroadcastCalls = 20
	agentBroadcastGap   = 500 * time.Millisecond
	// agentFDMargin is the file descriptors a process needs besides its
	// sockets: the database, the listener, standard streams.
	agentFDMargin = 200
	// agentTargetBytes and agentTargetP99 are the targets: memory per idle
	// socket and p99 from webhook received to pop delivered.
	agentTargetBytes = 50 << 10
	agentTargetP99   = 50 * time.Millisecond
)

// agentBench is the agent socket benchmark on one store.
type agentBench struct {
	t        *target
	sockets  int
	pgURL    string
	voiceURL string
	token    string // the Twilio auth token of the connection
	srv      *gateway.Server
	hub      *agents.Hub
	registry *prometheus.Registry
	client   *http.Client

	mu       sync.Mutex
	received map[string]int64 // webhook arrival in Unix nanoseconds, by caller number
}

// benchAgents opens sockets agent sockets on one gateway from a child
// process and measures the memory each idle socket costs the gateway. Then
// it measures the time from a webhook's arrival to its screen pop's
// delivery, for calls that ring 20 agents and for calls that ring all.
func benchAgents(ctx context.Context, t *target, pgURL string, sockets int) ([]result, error) {
	limit, err := raiseFileLimit(sockets + agentFDMargin)
	if err != nil {
		return nil, err
	}
	progress(t.name, "agents: open file limit %d", limit)

	b := &agentBench{t: t, sockets: sockets, pgURL: pgURL, token: secret.RandomToken(24), received: map[string]int64{}}
	stop, tokens, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()

	before := heapAndStack()
	clients, err := startAgentClients(ctx, b.wsURL(), tokens)
	if err != nil {
		return nil, err
	}
	defer clients.stop()

	connected := clients.ready.elapsed
	after := heapAndStack()
	perSocket := float64(after-before) / float64(sockets)
	progress(t.name, "agents: %d sockets open in %s, %.1f KiB each", sockets, connected.Round(time.Millisecond), perSocket/1024)
	results := []result{{
		benchmark: fmt.Sprintf("agent sockets: connect %s, then idle", groupThousands(sockets)),
		count:     sockets, elapsed: connected, rate: float64(sockets) / connected.Seconds(), unit: "sockets/s",
		note:   fmt.Sprintf("%.1f KiB of heap and stack per idle socket", perSocket/1024),
		target: fmt.Sprintf("< %d KiB per socket", agentTargetBytes>>10), met: metText(perSocket < agentTargetBytes),
	}}

	rs, err := b.measurePops(ctx, clients)
	return append(results, rs...), err
}

// measurePops sends the queue calls, then the broadcast calls, and returns
// the latency of each kind.
func (b *agentBench) measurePops(ctx context.Context, clients *agentClients) ([]result, error) {
	queue := make([]int, agentQueueCalls)
	for i := range queue {
		queue[i] = i
	}
	broadcast := make([]int, agentBroadcastCalls)
	for i := range broadcast {
		broadcast[i] = agentQueueCalls + i
	}

	progress(b.t.name, "agents: %d calls at %d/s, each ringing %d agents", agentQueueCalls, agentQueueRate, agentsPerQueue)
	queueTime, err := b.sendCalls(ctx, queue, time.Second/agentQueueRate)
	if err != nil {
		return nil, err
	}
	progress(b.t.name, "agents: %d calls %s apart, each ringing all %d agents", agentBroadcastCalls, agentBroadcastGap, b.sockets)
	broadcastTime, err := b.sendCalls(ctx, broadcast, agentBroadcastGap)
	if err != nil {
		return nil, err
	}

	expected := agentQueueCalls*agentsPerQueue + agentBroadcastCalls*b.sockets
	deliveries, err := clients.collect(expected)
	if err != nil {
		return nil, err
	}
	return []result{
		b.popResult(deliveries, queue, queueTime, fmt.Sprintf("screen pop to %d of %s agents", agentsPerQueue, groupThousands(b.sockets)), agentQueueCalls*agentsPerQueue),
		b.popResult(deliveries, broadcast, broadcastTime, fmt.Sprintf("screen pop to all %s agents", groupThousands(b.sockets)), agentBroadcastCalls*b.sockets),
	}, nil
}

// popResult summarizes the deliveries of the calls of callers.
func (b *agentBench) popResult(deliveries []delivery, callers []int, elapsed time.Duration, name string, expected int) result {
	want := map[string]bool{}
	for _, k := range callers {
		want[callerNumber(k)] = true
	}
	b.mu.Lock()
	var samples []time.Duration
	for _, d := range deliveries {
		if sent, ok := b.received[d.from]; ok && want[d.from] {
			samples = append(samples, time.Duration(d.at-sent))
		}
	}
	b.mu.Unlock()

	r := result{benchmark: name, count: len(samples), elapsed: elapsed, rate: float64(len(samples)) / elapsed.Seconds(), unit: "pops/s",
		target: "p99 < " + formatLatency(agentTargetP99)}
	if len(samples) < expected {
		r.note = fmt.Sprintf("%d of %d pops missing", expected-len(samples), expected)
	}
	if len(samples) > 0 {
		stats := summarize(samples)
		r.latency = &stats
		r.met = metText(stats.p99 < agentTargetP99 && len(samples) == expected)
	}
	return r
}

// start creates the workspace, contacts, users and connection, and serves
// the gateway with an agents hub. It returns the function that stops them
// and a user token per socket.
func (b *agentBench) start(ctx context.Context) (func(), []string, error) {
	keyring, err := secret.NewKeyring(secret.RandomToken(32))
	if err != nil {
		return nil, nil, err
	}
	dbURL, err := b.databaseURL(ctx)
	if err != nil {
		return nil, nil, err
	}
	b.registry = prometheus.NewRegistry()
	b.hub, err = agents.New(agents.Config{Store: b.t.store, Log: zap.NewNop(), Registry: b.registry, DatabaseURL: dbURL})
	if err != nil {
		return nil, nil, err
	}
	if err := b.hub.Start(ctx); err != nil {
		return nil, nil, err
	}
	conns := connections.New(b.t.store, keyring)
	calls, err := inbound.New(inbound.Config{Store: b.t.store, Connections: conns, Log: zap.NewNop(), Registry: b.registry, Notifier: b.hub})
	if err != nil {
		b.hub.Close()
		return nil, nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.hub.Close()
		return nil, nil, fmt.Errorf("listen on loopback: %w", err)
	}
	base := "http://" + ln.Addr().String()
	b.srv = gateway.New(gateway.Config{PublicBaseURL: base, MaxBodyBytes: 8 << 20, MaxImportBytes: 1 << 20, TokenTTL: time.Hour, Version: "bench"},
		gateway.Deps{Store: b.t.store, Directory: directory.New(b.t.store), Keyring: keyring, Inbound: calls, Connections: conns,
			Log: zap.NewNop(), Registry: b.registry, Agents: b.hub})
	httpServer := &http.Server{Handler: b.stampWebhooks(b.srv.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go httpServer.Serve(ln)
	stop := func() {
		b.hub.Close()
		httpServer.Close()
	}

	tokens, err := b.seed(ctx, conns, base)
	if err != nil {
		stop()
		return nil, nil, err
	}
	b.client = &http.Client{Timeout: 30 * time.Second}
	return stop, tokens, nil
}

// databaseURL returns the URL of the target's PostgreSQL schema for the
// hub's listener, or "" on SQLite.
func (b *agentBench) databaseURL(ctx context.Context) (string, error) {
	schema, err := b.t.store.CurrentSchema(ctx)
	if err != nil || schema == "" {
		return "", err
	}
	u, err := url.Parse(b.pgURL)
	if err != nil {
		return "", fmt.Errorf("parse -pg-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// stampWebhooks records when each webhook arrives, by its From number,
// before the gateway reads it.
func (b *agentBench) stampWebhooks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hooks/") {
			at := time.Now().UnixNano()
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				b.mu.Lock()
				b.received[form.Get("From")] = at
				b.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// seed creates the workspace with one contact per call, the Twilio
// connection that routes each contact to the queue in its extra_data, and
// the agents, and returns a user token per agent.
func (b *agentBench) seed(ctx context.Context, conns *connections.Service, base string) ([]string, error) {
	progress(b.t.name, "agents: creating %d agents and %d contacts", b.sockets, agentQueueCalls+agentBroadcastCalls)
	w, err := b.t.newWorkspace(ctx, "bench agents")
	if err != nil {
		return nil, err
	}
	groups := max(b.sockets/agentsPerQueue, 1)
	err = b.t.store.InTx(ctx, func(q *store.Queries) error {
		for k := range agentQueueCalls + agentBroadcastCalls {
			queue := "all"
			if k < agentQueueCalls {
				queue = "q" + strconv.Itoa(k%groups)
			}
			c := seedContact(k)
			c.WorkspaceID, c.PhonebookID = w.id, w.phonebookID
			c.PhoneNumbers.V = []store.PhoneNumber{{Label: "mobile", Number: callerNumber(k), E164: callerNumber(k)}}
			c.ExtraData = []byte(fmt.Sprintf(`{"queue":%q,"tier":"gold","crm_url":"https://crm.example.com/contacts/%d"}`, queue, k))
			if err := q.CreateContact(ctx, &c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create contacts: %w", err)
	}

	rules := []routing.Rule{{Name: "contact's queue", When: `contact?.extra_data?.queue != nil`, TargetExpr: `contact.extra_data.queue`,
		Route: telephony.Route{Kind: telephony.TargetQueue}}}
	conn, _, err := conns.Create(ctx, w.id, connections.Input{
		Provider: string(telephony.ProviderTwilio), Name: "bench Twilio",
		Credentials:  map[string]string{connections.FieldAccountID: "AC" + fmt.Sprintf("%032x", 2), connections.FieldAuthToken: b.token},
		PhonebookIDs: []string{w.phonebookID}, RoutingRules: rules, DefaultRoute: &telephony.Route{Kind: telephony.TargetVoicemail},
	})
	if err != nil {
		return nil, fmt.Errorf("create the Twilio connection: %w", err)
	}
	b.voiceURL = connections.WebhookURLs(base, telephony.ProviderTwilio, conn.ID)[twilio.HookVoice]
	return b.createAgents(ctx, w.id, groups)
}

// createAgents stores the agents, agent i in queue q<i/agentsPerQueue> and
// in the queue "all", and returns a user token for each.
func (b *agentBench) createAgents(ctx context.Context, workspaceID string, groups int) ([]string, error) {
	hash, err := agents.HashPassword(secret.RandomToken(16))
	if err != nil {
		return nil, err
	}
	tokens := make([]string, 0, b.sockets)
	err = b.t.store.InTx(ctx, func(q *store.Queries) error {
		for i := range b.sockets {
			u := store.User{
				WorkspaceID: workspaceID, Email: fmt.Sprintf("agent%d@bench.example.com", i), Name: fmt.Sprintf("Agent %d", i),
				Role: agents.RoleAgent, PasswordHash: hash,
				Extensions: store.JSONColumn[[]string]{V: []string{strconv.Itoa(10000 + i)}},
				Queues:     store.JSONColumn[[]string]{V: []string{"q" + strconv.Itoa((i/agentsPerQueue)%groups), "all"}},
			}
			if err := q.CreateUser(ctx, &u); err != nil {
				return err
			}
			token, _, err := b.srv.IssueUserToken(u)
			if err != nil {
				return err
			}
			tokens = append(tokens, token)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create agents: %w", err)
	}
	return tokens, nil
}

// sendCalls sends the voice webhook of each caller, gap apart, and returns
// how long sending took.
func (b *agentBench) sendCalls(ctx context.Context, callers []int, gap time.Duration) (time.Duration, error) {
	start := time.Now()
	for i, k := range callers {
		if wait := time.Until(start.Add(time.Duration(i) * gap)); wait > 0 {
			time.Sleep(wait)
		}
		if err := b.ring(ctx, k); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// ring sends the signed voice webhook of a new call from caller k.
func (b *agentBench) ring(ctx context.Context, k int) error {
	params := url.Values{
		"AccountSid": {"AC" + fmt.Sprintf("%032x", 2)}, "CallSid": {fmt.Sprintf("CAagents%08d", k)}, "CallStatus": {"ringing"},
		"Direction": {"inbound"}, "From": {callerNumber(k)}, "To": {"+14155550100"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.voiceURL, strings.NewReader(params.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Signature(b.token, b.voiceURL, params))
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("voice webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: voice webhook returned %d", errStatus, resp.StatusCode)
	}
	return nil
}

func (b *agentBench) wsURL() string {
	return "ws" + strings.TrimPrefix(b.voiceURL[:strings.Index(b.voiceURL, "/hooks/")], "http") + "/v1/agents/stream"
}

// callerNumber returns the number of caller k, one per call, so a pop's
// from number names the webhook it came from.
func callerNumber(k int) string { return e164(numbersPerContact * k) }

// heapAndStack returns the heap and stack memory in use after two garbage
// collections, in bytes.
func heapAndStack() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// raiseFileLimit raises the soft limit on open files to the hard limit and
// returns it, or an error when the hard limit is below need.
func raiseFileLimit(need int) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the open file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raise the open file limit to %d: %w", lim.Max, err)
		}
	}
	if lim.Cur < uint64(need) {
		return lim.Cur, fmt.Errorf("the open file limit is %d and this run needs %d per process: raise the hard limit (ulimit -Hn) or lower -agent-sockets", lim.Cur, need)
	}
	return lim.Cur, nil
}

// agentClientsEnv names the environment variable that turns the bench
// binary into the process holding the client end of the sockets. Its
// value is the socket URL.
const agentClientsEnv = "SWITCHBOARD_BENCH_AGENT_CLIENTS"

// startAgentClients starts the client process, sends it the tokens and
// waits until every socket has its snapshot.
func startAgentClients(ctx context.Context, wsURL string, tokens []string) (*agentClients, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the bench binary: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), agentClientsEnv+"="+wsURL)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the agent client process: %w", err)
	}

	c := &agentClients{cmd: cmd, in: bufio.NewWriter(stdin), out: bufio.NewScanner(stdout)}
	c.out.Buffer(make([]byte, 64<<10), 1<<20)
	for _, token := range tokens {
		fmt.Fprintln(c.in, token)
	}
	fmt.Fprintln(c.in)
	if err := c.in.Flush(); err != nil {
		c.stop()
		return nil, fmt.Errorf("send tokens to the agent client process: %w", err)
	}
	if err := c.readReady(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}
