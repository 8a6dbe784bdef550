package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/gateway"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
	"github.com/switchboard-oss/switchboard/telephony/routing"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
)

// webhookSettings size the runs of the webhook benchmark.
type webhookSettings struct {
	// rate is the send rate of the open-loop runs, in calls per second,
	// and duration how long they send.
	rate     int
	duration time.Duration
	// warmup is the number of calls sent to each server before measuring.
	warmup int
	// closedLoopCalls is the number of calls of a closed-loop run on the
	// gateway. The bare handler gets echoRounds times as many, because it
	// is that much faster, so both runs last seconds.
	closedLoopCalls int
	echoRounds      int
}

// defaultWebhookSettings are the settings of `make bench`.
var defaultWebhookSettings = webhookSettings{
	rate: 1000, duration: 20 * time.Second, warmup: 2000, closedLoopCalls: 20_000, echoRounds: 5,
}

const (
	// webhookOpenLoopWorkers bounds the requests in flight in an open-loop
	// run. At 1,000 calls/s it leaves room for 64 ms per call before a
	// request waits for a free worker, and that wait counts in its latency.
	webhookOpenLoopWorkers = 64
	// webhookTargetP99 and webhookTargetShare are the targets: p99 latency
	// at 1,000 calls/s, and closed-loop throughput as a share of the bare
	// handler's.
	webhookTargetP99   = 10 * time.Millisecond
	webhookTargetShare = 0.40
)

// webhookBench is the webhook benchmark on one store: the gateway with an
// inbound service, a Twilio connection and a bare handler beside it.
type webhookBench struct {
	t        *target
	contacts int
	clients  int
	settings webhookSettings

	voiceURL  string // the connection's voice webhook on the gateway
	echoURL   string // the same path on the bare handler
	authToken string
	answers   routeAnswers
	registry  *prometheus.Registry
	client    *http.Client
	// nextCall numbers the calls sent to the gateway, so every CallSid is
	// new. It is also the number of calls the store must hold.
	nextCall int
}

// routeAnswers are the TwiML responses the connection's rules give each kind
// of caller, rendered by the Twilio adapter, and the default route's, which
// a call gets only when routing fails.
type routeAnswers struct {
	gold, known, unknown, fallback []byte
}

// echoAnswer is the fixed TwiML of the bare handler.
var echoAnswer = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Enqueue>sales</Enqueue></Response>`)

// Routes of the benchmark connection. The seeded contacts have a tier and
// no owner_extension, so the extension rule is evaluated on every known
// caller and never fires, as in a workspace where few contacts have one.
var (
	webhookRules = []routing.Rule{
		{Name: "gold tier", When: `contact?.extra_data?.tier == "gold"`, Route: telephony.Route{Kind: telephony.TargetQueue, Target: "gold"}},
		{Name: "owner's extension", When: `contact?.extra_data?.owner_extension != nil`, TargetExpr: `contact.extra_data.owner_extension`, Route: telephony.Route{Kind: telephony.TargetExtension}},
		{Name: "known callers", When: `contact != nil`, Route: telephony.Route{Kind: telephony.TargetQueue, Target: "customers"}},
		{Name: "unknown callers", When: `contact == nil`, Route: telephony.Route{Kind: telephony.TargetVoicemail}},
	}
	webhookDefaultRoute = telephony.Route{Kind: telephony.TargetQueue, Target: "sales"}
)

// benchWebhooks measures Twilio's incoming-call webhook and its TwiML
// response, with the phonebook of w seeded with contacts contacts: an
// open-loop run at 1,000 calls/s and a closed-loop run over clients
// connections, each beside the same run on a bare echo handler.
//
// The gateway here is a second one over t's store, because the stages
// before need no inbound service.
func benchWebhooks(ctx context.Context, t *target, w workspace, contacts, clients int) ([]result, error) {
	return runWebhookBench(ctx, t, w, contacts, clients, defaultWebhookSettings)
}

func runWebhookBench(ctx context.Context, t *target, w workspace, contacts, clients int, settings webhookSettings) ([]result, error) {
	b := &webhookBench{t: t, contacts: contacts, clients: clients, settings: settings, authToken: secret.RandomToken(24)}
	stop, err := b.start(ctx, w)
	if err != nil {
		return nil, err
	}
	defer stop()

	progress(t.name, "webhook: warm-up with %d calls to the gateway and to the bare handler", settings.warmup)
	if _, err := b.closedLoop(ctx, b.voiceURL, b.gatewayRequests(settings.warmup), 1); err != nil {
		return nil, err
	}
	if _, err := b.closedLoop(ctx, b.echoURL, b.echoRequests(settings.warmup, 1), 1); err != nil {
		return nil, err
	}
	return b.measure(ctx)
}

// measure runs the four measured runs and returns their results: open
// loop on the bare handler and the gateway, then closed loop on both.
func (b *webhookBench) measure(ctx context.Context) ([]result, error) {
	var results []result
	set := b.settings
	count := int(int64(set.rate) * int64(set.duration) / int64(time.Second))
	rate := fmt.Sprintf("%s calls/s", groupThousands(set.rate))

	progress(b.t.name, "webhook: bare handler, %s for %s", rate, set.duration)
	echoOpen, err := b.openLoop(ctx, b.echoURL, b.echoRequests(count, 1), set.rate)
	if err != nil {
		return results, err
	}
	results = append(results, echoOpen.result("bare TwiML handler, open loop", rate, "", ""))

	progress(b.t.name, "webhook: gateway, %s for %s", rate, set.duration)
	open, err := b.gatewayRun(ctx, func(reqs []webhookRequest) (loadStats, error) {
		return b.openLoop(ctx, b.voiceURL, reqs, set.rate)
	}, count)
	if err != nil {
		return results, err
	}
	results = append(results, open.result("Twilio webhook → TwiML, open loop", rate,
		"p99 < "+formatLatency(webhookTargetP99), metText(open.latency.p99 < webhookTargetP99)))

	progress(b.t.name, "webhook: bare handler, closed loop over %d clients", b.clients)
	echoClosed, err := b.closedLoop(ctx, b.echoURL, b.echoRequests(set.closedLoopCalls, set.echoRounds), b.clients)
	if err != nil {
		return results, err
	}
	results = append(results, echoClosed.result("bare TwiML handler, closed loop", fmt.Sprintf("%d clients", b.clients), "", ""))

	progress(b.t.name, "webhook: gateway, closed loop over %d clients", b.clients)
	closed, err := b.gatewayRun(ctx, func(reqs []webhookRequest) (loadStats, error) {
		return b.closedLoop(ctx, b.voiceURL, reqs, b.clients)
	}, set.closedLoopCalls)
	if err != nil {
		return results, err
	}
	share := closed.rate() / echoClosed.rate()
	r := closed.result("Twilio webhook → TwiML, closed loop", fmt.Sprintf("%d clients, %.0f%% of the bare handler", b.clients, 100*share),
		fmt.Sprintf("≥ %.0f%% of the bare handler", 100*webhookTargetShare), metText(share >= webhookTargetShare))
	results = append(results, r)

	return results, b.checkStored(ctx)
}

// gatewayRun sends count new calls to the gateway with run and adds to
// the stats what the gateway's metrics counted meanwhile: calls sent to
// the default route because routing failed, and calls routed but not
// stored.
func (b *webhookBench) gatewayRun(ctx context.Context, run func([]webhookRequest) (loadStats, error), count int) (loadStats, error) {
	before := b.failureCounts()
	stats, err := run(b.gatewayRequests(count))
	after := b.failureCounts()
	stats.fallbacks = after.fallbacks - before.fallbacks
	stats.unstored = after.unstored - before.unstored
	if stats.fallbacks > 0 || stats.unstored > 0 {
		progress(b.t.name, "webhook: %d calls took the default route because routing failed, %d were not stored", stats.fallbacks, stats.unstored)
	}
	return stats, err
}

// start serves the gateway with an inbound service and the bare handler on
// loopback ports, and creates the Twilio connection over w's phonebook.
// The returned function stops both servers.
func (b *webhookBench) start(ctx context.Context, w workspace) (func(), error) {
	keyring, err := secret.NewKeyring(secret.RandomToken(32))
	if err != nil {
		return nil, err
	}
	conns := connections.New(b.t.store, keyring)
	b.registry = prometheus.NewRegistry()
	calls, err := inbound.New(inbound.Config{Store: b.t.store, Connections: conns, Log: zap.NewNop(), Registry: b.registry})
	if err != nil {
		return nil, err
	}

	gatewayLn, echoLn, err := listenTwice()
	if err != nil {
		return nil, err
	}
	srv := gateway.New(gateway.Config{
		PublicBaseURL:  "http://" + gatewayLn.Addr().String(),
		MaxBodyBytes:   8 << 20,
		MaxImportBytes: 1 << 30,
		TokenTTL:       15 * time.Minute,
		Version:        "bench",
	}, gateway.Deps{
		Store:       b.t.store,
		Directory:   directory.New(b.t.store),
		Keyring:     keyring,
		Inbound:     calls,
		Connections: conns,
		Log:         zap.NewNop(),
		Registry:    b.registry,
	})
	stopGateway := serveInBackground(b.t.name, "gateway", gatewayLn, srv.Serve)
	stopEcho := serveInBackground(b.t.name, "bare handler", echoLn, bareHandler().serve)
	stop := func() { stopGateway(); stopEcho() }

	conn, _, err := conns.Create(ctx, w.id, connections.Input{
		Provider:     string(telephony.ProviderTwilio),
		Name:         "bench Twilio",
		Credentials:  map[string]string{connections.FieldAccountID: "AC" + fmt.Sprintf("%032x", 1), connections.FieldAuthToken: b.authToken},
		PhonebookIDs: []string{w.phonebookID},
		RoutingRules: webhookRules,
		DefaultRoute: &webhookDefaultRoute,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("create the Twilio connection: %w", err)
	}

	b.voiceURL = connections.WebhookURLs("http://"+gatewayLn.Addr().String(), telephony.ProviderTwilio, conn.ID)[twilio.HookVoice]
	b.echoURL = "http://" + echoLn.Addr().String() + "/hooks/twilio/" + conn.ID + "/" + twilio.HookVoice
	b.answers = renderAnswers()
	b.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns:        2 * webhookOpenLoopWorkers,
		MaxIdleConnsPerHost: 2 * webhookOpenLoopWorkers,
		IdleConnTimeout:     time.Minute,
	}}
	return stop, nil
}

// renderAnswers renders each route the benchmark's callers can get with
// the Twilio adapter the connection uses, which has default options.
func renderAnswers() routeAnswers {
	adapter := twilio.New(twilio.Options{})
	render := func(route telephony.Route) []byte {
		return adapter.Answer(telephony.CallEvent{NeedsRoute: true}, &route).Body
	}
	return routeAnswers{
		gold:     render(webhookRules[0].Route),
		known:    render(webhookRules[2].Route),
		unknown:  render(webhookRules[3].Route),
		fallback: render(webhookDefaultRoute),
	}
}

func listenTwice() (net.Listener, net.Listener, error) {
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen on loopback: %w", err)
	}
	second, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		first.Close()
		return nil, nil, fmt.Errorf("listen on loopback: %w", err)
	}
	return first, second, nil
}

// serveInBackground runs serve on ln until the returned function is
// called, and reports an error it ends with.
func serveInBackground(store, name string, ln net.Listener, serve func(context.Context, net.Listener, time.Duration) error) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, 10*time.Second) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			progress(store, "%s stopped with an error: %v", name, err)
		}
	}
}

// bareServer is the ceiling of the benchmark: an echo server with one
// route that returns fixed TwiML without reading the request, served by
// the same net/http settings as the gateway.
type bareServer struct{ e *echo.Echo }

func bareHandler() bareServer {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.POST("/hooks/twilio/:connection_id/:hook", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "text/xml", echoAnswer)
	})
	return bareServer{e: e}
}

func (s bareServer) serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	srv := &http.Server{Handler: s.e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
