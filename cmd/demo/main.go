// Command demo shows incoming calls end to end, and doubles as a smoke
// test: `make demo` runs it.
//
// It starts the gateway in this process on a fresh SQLite database in a
// temporary folder, with a workspace and an admin API key. Through the
// public HTTP API only, it loads a sample phonebook and creates a Twilio
// and a Telnyx connection with routing rules. The Telnyx connection sends
// its Call Control commands to a fake API on loopback. The demo then
// replays signed webhook sequences in the providers' documented formats,
// prints each webhook with the gateway's response, and ends with the call
// list from GET /v1/calls. It checks every answer and the final calls, and
// exits with status 1 when any check fails. Everything stays on 127.0.0.1
// and the folder is removed at the end.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if err := run(ctx, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// run plays the whole demo, writing the narrative to out and gateway
// errors to logOut. It returns an error when a step could not run or a
// check failed.
func run(ctx context.Context, out, logOut io.Writer) (err error) {
	p := &printer{out: out}
	g, err := startGateway(ctx, logOut)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, g.shutdown()) }()
	fake := startFakeTelnyxAPI()
	defer fake.Close()

	fmt.Fprintf(out, "Switchboard demo: the gateway listens on %s, with its SQLite database in %s (removed at the end)\n", g.baseURL, g.dataDir)
	api := newAPIClient(g.baseURL, g.apiKey)
	setup := &demoSetup{}
	if err := configure(ctx, api, setup, fake, p); err != nil {
		return err
	}

	r := &runner{p: p, http: &http.Client{Timeout: 10 * time.Second}, setup: setup, telnyx: fake}
	want, forgedSID, err := replayCalls(ctx, r)
	if err != nil {
		return err
	}

	calls, err := listCalls(ctx, api)
	if err != nil {
		return err
	}
	p.section("Calls, from GET /v1/calls and GET /v1/calls/{id} (times in UTC)")
	printCalls(p, calls)
	checkCalls(p, calls, want, forgedSID)

	if err := p.err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nAll %d checks passed.\n", p.checks)
	return nil
}

// configure creates the phonebook and both connections through the API.
func configure(ctx context.Context, api *apiClient, setup *demoSetup, fake *fakeTelnyxAPI, p *printer) error {
	p.section("Setup, through the public API with an admin key")
	if err := loadPhonebook(ctx, api, setup, p); err != nil {
		return err
	}
	if err := createTwilioConnection(ctx, api, setup, p); err != nil {
		return err
	}
	return createTelnyxConnection(ctx, api, setup, fake, p)
}

// replayCalls sends every recorded webhook sequence and returns the calls
// they must leave and the call id of the forged webhook.
func replayCalls(ctx context.Context, r *runner) ([]expectedCall, string, error) {
	var want []expectedCall
	for _, replay := range []func(context.Context) (expectedCall, error){r.vipCall, r.missedCall, r.outOfOrderCall, r.telnyxCall} {
		call, err := replay(ctx)
		if err != nil {
			return nil, "", err
		}
		want = append(want, call)
	}

	forgedSID, err := r.forgedWebhook(ctx)
	return want, forgedSID, err
}
