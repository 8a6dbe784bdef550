package crmhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

func serve(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server.URL
}

func get(t *testing.T, ctx context.Context, rawURL string, out any) error {
	t.Helper()
	req, err := crmhttp.NewJSONRequest(ctx, http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	return crmhttp.Do(ctx, http.DefaultClient, req, out)
}

func TestDoStatusMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		wantIs      error
		wantRetry   time.Duration
		wantMessage string
	}{
		{name: "401", status: 401, body: `{"status":"error","message":"Authentication credentials not found."}`, wantIs: crm.ErrUnauthorized, wantMessage: "Authentication credentials not found."},
		{name: "403", status: 403, body: `{"success":false,"error":"You do not have permission"}`, wantIs: crm.ErrUnauthorized, wantMessage: "You do not have permission"},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"message":"slow down"}`, wantRetry: 7 * time.Second, wantMessage: "slow down"},
		{name: "429 without header", status: 429, body: `[]`, wantRetry: 0, wantMessage: "Too Many Requests"},
		{name: "500", status: 500, body: `oops`, wantIs: crm.ErrUnavailable, wantMessage: "Internal Server Error"},
		{name: "503 salesforce shape", status: 503, body: `[{"message":"Server busy","errorCode":"SERVER_UNAVAILABLE"}]`, wantIs: crm.ErrUnavailable, wantMessage: "Server busy"},
		{name: "408", status: 408, wantIs: crm.ErrUnavailable, wantMessage: "Request Timeout"},
		{name: "400 other", status: 400, body: `{"error":{"message":"bad filter"}}`, wantMessage: "bad filter"},
		{name: "404 oauth shape", status: 404, body: `{"error":"not_found","error_description":"no such thing"}`, wantMessage: "no such thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := serve(t, func(w http.ResponseWriter, r *http.Request) {
				for key, value := range tt.header {
					w.Header().Set(key, value)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})

			err := get(t, context.Background(), base, nil)

			var statusErr *crmhttp.StatusError
			require.ErrorAs(t, err, &statusErr)
			require.Equal(t, tt.status, statusErr.Status)
			require.Equal(t, tt.wantMessage, statusErr.Message)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
			if tt.status == 429 {
				var limited *crm.RateLimitedError
				require.ErrorAs(t, err, &limited)
				require.Equal(t, tt.wantRetry, limited.RetryAfter)
			}
			if tt.status == 400 || tt.status == 404 {
				require.NotErrorIs(t, err, crm.ErrUnavailable)
				require.NotErrorIs(t, err, crm.ErrUnauthorized)
				require.True(t, crmhttp.IsStatus(err, tt.status))
			}
		})
	}
}

func TestDoDecodesJSON(t *testing.T) {
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "application/json", r.Header.Get("Accept"))
		_, _ = w.Write([]byte(`{"name":"Ada Lovelace"}`))
	})

	var out struct{ Name string }
	require.NoError(t, get(t, context.Background(), base, &out))
	require.Equal(t, "Ada Lovelace", out.Name)
}

func TestDoMalformedBody(t *testing.T) {
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"name":`))
	})

	var out struct{ Name string }
	err := get(t, context.Background(), base, &out)
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.Contains(t, err.Error(), "invalid JSON")
}

func TestDoBodyTooLarge(t *testing.T) {
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`"` + strings.Repeat("a", crmhttp.MaxBodyBytes) + `"`))
	})

	var out string
	err := get(t, context.Background(), base, &out)
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.Contains(t, err.Error(), "exceeds")
}

func TestDoDeadline(t *testing.T) {
	release := make(chan struct{})
	base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	err := get(t, ctx, base+"/slow?api_token=secret", nil)
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotContains(t, err.Error(), "secret")
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{name: "missing", value: "", want: 0},
		{name: "seconds", value: "120", want: 2 * time.Minute},
		{name: "zero seconds", value: "0", want: 0},
		{name: "negative seconds", value: "-5", want: 0},
		{name: "http date", value: "Tue, 04 Mar 2025 10:00:30 GMT", want: 30 * time.Second},
		{name: "past http date", value: "Tue, 04 Mar 2025 09:59:00 GMT", want: 0},
		{name: "garbage", value: "soon", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.value != "" {
				header.Set("Retry-After", tt.value)
			}
			require.Equal(t, tt.want, crmhttp.RetryAfter(header, now))
		})
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		path    string
		query   url.Values
		want    string
		wantErr bool
	}{
		{name: "plain", base: "https://api.example.test", path: "/crm/v3/owners/7", want: "https://api.example.test/crm/v3/owners/7"},
		{name: "prefix and slash", base: "https://proxy.example.test/hubspot/", path: "crm/v3/owners", query: url.Values{"limit": {"1"}}, want: "https://proxy.example.test/hubspot/crm/v3/owners?limit=1"},
		{name: "bad scheme", base: "ftp://api.example.test", path: "/x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crmhttp.Endpoint(tt.base, tt.path, tt.query)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCacheExpires(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	cache := crmhttp.NewCache[string](time.Minute, func() time.Time { return now })

	cache.Set("7", "Grace Hopper")
	value, ok := cache.Get("7")
	require.True(t, ok)
	require.Equal(t, "Grace Hopper", value)

	now = now.Add(time.Minute)
	_, ok = cache.Get("7")
	require.False(t, ok)
}

func TestBoundedCacheEvicts(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	cache := crmhttp.NewBoundedCache[string](time.Minute, 4, func() time.Time { return now })
	cache.Set("old", "expired")
	now = now.Add(time.Minute)
	for _, key := range []string{"a", "b", "c"} {
		cache.Set(key, key)
	}

	cache.Set("d", "d") // full: the expired entry goes, then others down to half the bound
	value, ok := cache.Get("d")
	require.True(t, ok, "the entry just stored stays")
	require.Equal(t, "d", value)
	_, ok = cache.Get("old")
	require.False(t, ok)
	kept := 0
	for _, key := range []string{"a", "b", "c"} {
		if _, ok := cache.Get(key); ok {
			kept++
		}
	}
	require.Equal(t, 2, kept, "half the bound is left before the new entry")
}

func TestStatusErrorMessage(t *testing.T) {
	err := &crmhttp.StatusError{Status: 401, Message: "expired", Err: crm.ErrUnauthorized}
	require.Equal(t, "CRM rejected the credentials: HTTP 401: expired", err.Error())
	require.True(t, errors.Is(err, crm.ErrUnauthorized))
}

func TestTrimAPIPath(t *testing.T) {
	cases := []struct {
		base string
		want string
	}{
		{"https://acme.pipedrive.com/api/v1", "https://acme.pipedrive.com"},
		{" https://acme.pipedrive.com/API/V1// ", "https://acme.pipedrive.com"},
		{"https://api.pipedrive.com/v1/", "https://api.pipedrive.com"},
		{"https://proxy.example.com/pipedrive/api/v1", "https://proxy.example.com/pipedrive"},
		{"https://proxy.example.com/pipedrive/", "https://proxy.example.com/pipedrive"},
		{"https://proxy.example.com/napi/v1x", "https://proxy.example.com/napi/v1x"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.base, func(t *testing.T) {
			require.Equal(t, tc.want, crmhttp.TrimAPIPath(tc.base, "/api/v1", "/v1", "/api"))
		})
	}
}

// countingPacer counts its waits and fails them once closed.
type countingPacer struct {
	waits  int
	closed bool
}

func (p *countingPacer) Wait(context.Context) error {
	if p.closed {
		return context.Canceled
	}
	p.waits++
	return nil
}

func TestDoWaitsOnPacer(t *testing.T) {
	requests := 0
	base := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		requests++
		w.WriteHeader(http.StatusNoContent)
	})
	pacer := &countingPacer{}
	ctx := crmhttp.WithPacer(context.Background(), pacer)

	require.NoError(t, get(t, ctx, base+"/a", nil))
	require.NoError(t, get(t, ctx, base+"/b", nil))
	require.NoError(t, get(t, context.Background(), base+"/c", nil))
	require.Equal(t, 2, pacer.waits, "each request under the pacer's context waits once")
	require.Equal(t, 3, requests)

	pacer.closed = true
	err := get(t, ctx, base+"/d", nil)
	require.ErrorIs(t, err, crm.ErrUnavailable)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 3, requests, "a request whose wait failed is not sent")
}
