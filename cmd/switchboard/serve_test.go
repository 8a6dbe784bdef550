package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeFirstStartAndShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--log-level", "error"}, &stdout, &stderr,
			envOf(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	}()

	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 20*time.Millisecond, "serve did not print its address; stderr: %s", stderr.String())

	key := regexp.MustCompile(`sbk_[A-Za-z0-9_-]+`).FindString(stdout.String())
	require.NotEmpty(t, key, "first start prints an admin key")

	req, err := http.NewRequest(http.MethodGet, base+"/v1/workspace", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the printed key works")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "serve stops cleanly on cancel")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}

func TestServeSecondStartPrintsNoKey(t *testing.T) {
	dir := t.TempDir()
	_, err := runCLI(t, dir, "workspace", "create", "Existing")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--log-level", "error"}, &stdout, &bytes.Buffer{},
			envOf(map[string]string{"SWITCHBOARD_DATA_DIR": dir}))
	}()
	require.Eventually(t, func() bool { return bytes.Contains([]byte(stdout.String()), []byte("listening on")) }, 10*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	require.NotContains(t, stdout.String(), "sbk_", "a database with a workspace gets no new key")
}
