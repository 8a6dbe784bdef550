package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The client end of the agent sockets lives in a child process: the bench
// binary started again with agentClientsEnv set. Both ends of 10,000
// sockets in one process need more than 20,000 file descriptors, a common
// hard limit. The child also keeps the clients' memory out of the
// gateway's measurement.
//
// Protocol, one line each: the parent writes the tokens, one per line,
// and a blank line; the child opens a socket per token, reads each hello
// and snapshot and writes "ready <nanoseconds> <failures>". The parent
// writes "report <count>"; the child waits until count pops of ringing
// calls arrived (at most agentReportWait without a new one), writes
// "d <from number> <unix nanoseconds>" per pop and "end". "quit" closes
// the sockets and ends the child.
//
// Arrival times in the parent and the child are wall clock times of one
// machine (CLOCK_REALTIME), so they compare to well under a millisecond.

// agentDialers is how many sockets the child opens at once.
const agentDialers = 32

// agentReportWait bounds the wait for missing pops before reporting.
const agentReportWait = 30 * time.Second

// delivery is one pop of a ringing call as a client received it.
type delivery struct {
	from string
	at   int64 // Unix nanoseconds
}

// agentClients is the parent's handle on the child process.
type agentClients struct {
	cmd   interface{ Wait() error }
	in    *bufio.Writer
	out   *bufio.Scanner
	ready struct {
		elapsed  time.Duration
		failures int
	}
}

func (c *agentClients) readReady() error {
	line, err := c.next()
	if err != nil {
		return fmt.Errorf("agent client process: %w", err)
	}
	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "ready" {
		return fmt.Errorf("agent client process: unexpected line %q", line)
	}
	ns, _ := strconv.ParseInt(fields[1], 10, 64)
	c.ready.elapsed = time.Duration(ns)
	c.ready.failures, _ = strconv.Atoi(fields[2])
	if c.ready.failures > 0 {
		return fmt.Errorf("agent client process: %d sockets failed to open", c.ready.failures)
	}
	return nil
}

// collect requests the pops received and returns them.
func (c *agentClients) collect(expected int) ([]delivery, error) {
	fmt.Fprintf(c.in, "report %d\n", expected)
	if err := c.in.Flush(); err != nil {
		return nil, err
	}
	var out []delivery
	for {
		line, err := c.next()
		if err != nil {
			return out, fmt.Errorf("agent client process: %w", err)
		}
		if line == "end" {
			return out, nil
		}
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[0] != "d" {
			return out, fmt.Errorf("agent client process: unexpected line %q", line)
		}
		at, _ := strconv.ParseInt(fields[2], 10, 64)
		out = append(out, delivery{from: fields[1], at: at})
	}
}

func (c *agentClients) next() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", errors.New("the process ended")
	}
	return c.out.Text(), nil
}

// stop makes the child close its sockets and waits for it to end.
func (c *agentClients) stop() {
	fmt.Fprintln(c.in, "quit")
	c.in.Flush()
	c.cmd.Wait()
}

// runAgentClients is the child process: it returns the exit code.
func runAgentClients(wsURL string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "bench agent clients:", err)
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	var tokens []string
	for in.Scan() && in.Text() != "" {
		tokens = append(tokens, in.Text())
	}
	if _, err := raiseFileLimit(len(tokens) + agentFDMargin); err != nil {
		return fail(err)
	}

	r := &agentReceiver{}
	start := time.Now()
	conns, failures := r.dialAll(wsURL, tokens)
	fmt.Printf("ready %d %d\n", time.Since(start).Nanoseconds(), failures)

	for in.Scan() {
		fields := strings.Fields(in.Text())
		switch {
		case len(fields) == 2 && fields[0] == "report":
			expected, _ := strconv.Atoi(fields[1])
			r.report(expected)
		case len(fields) == 1 && fields[0] == "quit":
			for _, conn := range conns {
				conn.Close()
			}
			return 0
		}
	}
	return 0
}

// agentReceiver holds the sockets' received pops.
type agentReceiver struct {
	mu         sync.Mutex
	deliveries []delivery
	count      atomic.Int64
}

// dialAll opens a socket per token, agentDialers at a time, and starts
// reading each after its hello and snapshot.
func (r *agentReceiver) dialAll(wsURL string, tokens []string) ([]*websocket.Conn, int) {
	conns := make([]*websocket.Conn, len(tokens))
	var failures atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range agentDialers {
		wg.Go(func() {
			for i := range next {
				conn, err := dialAgent(wsURL, tokens[i])
				if err != nil {
					if failures.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "bench agent clients: first failure:", err)
					}
					continue
				}
				conns[i] = conn
				go r.read(conn)
			}
		})
	}
	for i := range tokens {
		next <- i
	}
	close(next)
	wg.Wait()

	open := conns[:0]
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	return open, int(failures.Load())
}

// dialAgent opens one socket and reads its hello and snapshot.
func dialAgent(wsURL, token string) (*websocket.Conn, error) {
	conn, _, err := websocket.DefaultDialer.Dial(wsURL+"?"+url.Values{"access_token": {token}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	for _, want := range []string{`"hello"`, `"snapshot"`} {
		_, data, err := conn.ReadMessage()
		if err != nil || !strings.Contains(string(data), want) {
			conn.Close()
			return nil, fmt.Errorf("read %s message: %v", want, err)
		}
	}
	return conn, nil
}

// read records the pop of every ringing call until the socket closes.
func (r *agentReceiver) read(conn *websocket.Conn) {
	for {
		_, data, err := conn.ReadMessage()
		at := time.Now().UnixNano()
		if err != nil {
			return
		}
		from, ok := ringingFrom(data)
		if !ok {
			continue
		}
		r.mu.Lock()
		r.deliveries = append(r.deliveries, delivery{from: from, at: at})
		r.mu.Unlock()
		r.count.Add(1)
	}
}

// Markers of a call message of a ringing call, in the order the gateway
// encodes its fields.
var (
	markCall    = []byte(`{"type":"call","call":{`)
	markRinging = []byte(`"status":"ringing","from":{"raw":`)
	markE164    = []byte(`"e164":"`)
)

// ringingFrom returns the caller's E.164 number when data is the pop of a
// ringing call. It scans for the fields instead of decoding the JSON, so
// the clients, which share the machine with the gateway, spend little CPU
// time on each of the 200,000 pops of a broadcast.
func ringingFrom(data []byte) (string, bool) {
	if !bytes.HasPrefix(data, markCall) {
		return "", false
	}
	_, rest, ok := bytes.Cut(data, markRinging)
	if !ok {
		return "", false
	}
	_, rest, ok = bytes.Cut(rest, markE164)
	if !ok {
		return "", false
	}
	number, _, ok := bytes.Cut(rest, []byte(`"`))
	return string(number), ok
}

// report waits for expected pops, or until none arrived for
// agentReportWait, and writes them.
func (r *agentReceiver) report(expected int) {
	last, lastChange := r.count.Load(), time.Now()
	for int(last) < expected && time.Since(lastChange) < agentReportWait {
		time.Sleep(50 * time.Millisecond)
		if n := r.count.Load(); n != last {
			last, lastChange = n, time.Now()
		}
	}

	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	r.mu.Lock()
	for _, d := range r.deliveries {
		fmt.Fprintf(out, "d %s %d\n", d.from, d.at)
	}
	r.deliveries = nil
	r.mu.Unlock()
	fmt.Fprintln(out, "end")
	out.Flush()
}
