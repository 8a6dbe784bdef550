package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		kind    string
		blocked bool
	}{
		{name: "public IPv4", addr: "198.51.100.7"},
		{name: "public IPv4 next to private", addr: "172.32.0.1"},
		{name: "public IPv6", addr: "2606:4700::1111"},
		{name: "documentation IPv6", addr: "2001:db8::1"},
		{name: "loopback", addr: "127.0.0.1", kind: "loopback", blocked: true},
		{name: "loopback high", addr: "127.255.255.254", kind: "loopback", blocked: true},
		{name: "loopback IPv6", addr: "::1", kind: "loopback", blocked: true},
		{name: "unspecified", addr: "0.0.0.0", kind: "unspecified", blocked: true},
		{name: "unspecified IPv6", addr: "::", kind: "unspecified", blocked: true},
		{name: "private 10", addr: "10.0.0.1", kind: "private", blocked: true},
		{name: "private 172", addr: "172.31.255.255", kind: "private", blocked: true},
		{name: "private 192", addr: "192.168.1.1", kind: "private", blocked: true},
		{name: "link-local", addr: "169.254.10.1", kind: "link-local", blocked: true},
		{name: "link-local IPv6", addr: "fe80::1", kind: "link-local", blocked: true},
		{name: "link-local IPv6 with zone", addr: "fe80::1%eth0", kind: "link-local", blocked: true},
		{name: "unique-local", addr: "fd12:3456::1", kind: "unique-local", blocked: true},
		{name: "CGNAT", addr: "100.64.0.1", kind: "shared (CGNAT)", blocked: true},
		{name: "AWS metadata", addr: "169.254.169.254", kind: "cloud metadata", blocked: true},
		{name: "AWS metadata IPv6", addr: "fd00:ec2::254", kind: "cloud metadata", blocked: true},
		{name: "Alibaba metadata", addr: "100.100.100.200", kind: "cloud metadata", blocked: true},
		{name: "Azure WireServer", addr: "168.63.129.16", kind: "cloud platform", blocked: true},
		{name: "IPv4-mapped metadata", addr: "::ffff:169.254.169.254", kind: "cloud metadata", blocked: true},
		{name: "IPv4-mapped loopback", addr: "::ffff:127.0.0.1", kind: "loopback", blocked: true},
		{name: "IPv4-mapped public", addr: "::ffff:198.51.100.7"},
		{name: "NAT64 of metadata", addr: "64:ff9b::a9fe:a9fe", kind: "cloud metadata", blocked: true},
		{name: "NAT64 of public", addr: "64:ff9b::c633:6407"},
		{name: "6to4 of private", addr: "2002:0a00:0001::1", kind: "private", blocked: true},
		{name: "IPv4-compatible", addr: "::a9fe:a9fe", kind: "IPv4-compatible", blocked: true},
		{name: "Teredo", addr: "2001:0:4136:e378::1", kind: "Teredo", blocked: true},
		{name: "multicast", addr: "224.0.0.251", kind: "multicast", blocked: true},
		{name: "multicast IPv6", addr: "ff02::1", kind: "multicast", blocked: true},
		{name: "broadcast", addr: "255.255.255.255", kind: "reserved", blocked: true},
		{name: "benchmarking", addr: "198.18.0.1", kind: "benchmarking", blocked: true},
		{name: "IETF protocol", addr: "192.0.0.8", kind: "IETF protocol", blocked: true},
		{name: "site-local", addr: "fec0::1", kind: "site-local", blocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, blocked := classify(netip.MustParseAddr(tt.addr))

			require.Equal(t, tt.blocked, blocked)
			require.Equal(t, tt.kind, kind)
		})
	}
}

func TestParseAllowList(t *testing.T) {
	list, err := ParseAllowList([]string{" 10.20.0.0/16 ", "127.0.0.1", "::1", "CRM.Internal.", ""})

	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128"),
	}, list.Networks)
	require.Equal(t, []string{"crm.internal"}, list.Hosts)
}

func TestParseAllowListRejectsGarbage(t *testing.T) {
	for _, entry := range []string{"10.0.0.0/33", "http://crm.internal", "crm internal", "-bad.example"} {
		t.Run(entry, func(t *testing.T) {
			_, err := ParseAllowList([]string{entry})

			require.ErrorContains(t, err, entry)
		})
	}
}

func TestCheckURL(t *testing.T) {
	allow, err := ParseAllowList([]string{"10.20.0.0/16", "metadata.example.com"})
	require.NoError(t, err)
	open := NewGuard(GuardConfig{Resolver: testHosts})
	allowing := NewGuard(GuardConfig{Resolver: testHosts, Allow: allow})

	tests := []struct {
		name   string
		guard  *Guard
		url    string
		reason string
	}{
		{name: "public host", guard: open, url: "https://hooks.example.com/switchboard"},
		{name: "public address", guard: open, url: "http://198.51.100.7:8080/in"},
		{name: "public IPv6 literal", guard: open, url: "https://[2001:db8::1]/in"},
		{name: "dual stack host", guard: open, url: "https://dual.example.com/"},
		{name: "private literal", guard: open, url: "http://10.0.0.5/hook",
			reason: "10.0.0.5 is a private address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "metadata by name", guard: open, url: "http://metadata.example.com/latest",
			reason: "metadata.example.com resolves to 169.254.169.254, a cloud metadata address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "one internal address of several", guard: open, url: "https://mixed.example.com/",
			reason: "mixed.example.com resolves to 10.1.2.3, a private address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "localhost", guard: open, url: "http://localhost:8080/",
			reason: "localhost resolves to 127.0.0.1, a loopback address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "IPv6 loopback literal", guard: open, url: "http://[::1]/",
			reason: "::1 is a loopback address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "allowed network", guard: allowing, url: "http://intranet.example.com/hook"},
		{name: "allowed host name", guard: allowing, url: "http://metadata.example.com/"},
		{name: "outside allowed network", guard: allowing, url: "http://10.1.2.3/",
			reason: "10.1.2.3 is a private address, which webhooks may not reach; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS"},
		{name: "unknown host", guard: open, url: "https://nowhere.example.com/",
			reason: "cannot be reached: resolve nowhere.example.com: lookup nowhere.example.com: no such host"},
		{name: "ftp", guard: open, url: "ftp://hooks.example.com/", reason: "must start with https:// or http://"},
		{name: "no scheme", guard: open, url: "hooks.example.com/in", reason: "must start with https:// or http://"},
		{name: "user info", guard: open, url: "https://user:pass@hooks.example.com/",
			reason: "must not contain a user name or password; authenticate the deliveries with the signing secret"},
		{name: "fragment", guard: open, url: "https://hooks.example.com/#x", reason: "must not contain a fragment (#...)"},
		{name: "no host", guard: open, url: "https:///path", reason: "has no host"},
		{name: "port zero", guard: open, url: "https://hooks.example.com:0/", reason: `has an invalid port "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason := tt.guard.CheckURL(context.Background(), tt.url)

			require.Equal(t, tt.reason, reason)
		})
	}
}

// recordingDialer records every address it is asked for and refuses to
// connect, so no test traffic leaves the process.
type recordingDialer struct {
	mu      sync.Mutex
	dialled []string
}

var errRefused = errors.New("test dialer refuses every connection")

func (d *recordingDialer) DialContext(_ context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dialled = append(d.dialled, network+" "+address)
	return nil, errRefused
}

func (d *recordingDialer) addresses() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialled...)
}

// switchingResolver answers the first lookup of a name with one address
// and every later one with another, as DNS rebinding does.
type switchingResolver struct {
	mu           sync.Mutex
	first, later netip.Addr
	lookups      int
}

func (r *switchingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	if r.lookups == 1 {
		return []netip.Addr{r.first}, nil
	}
	return []netip.Addr{r.later}, nil
}

func TestDialContextChecksEveryAddress(t *testing.T) {
	tests := []struct {
		name    string
		address string
		dialled []string
		blocked bool
	}{
		{name: "public name", address: "hooks.example.com:443", dialled: []string{"tcp 198.51.100.7:443"}},
		{name: "each public address in turn", address: "dual.example.com:443",
			dialled: []string{"tcp 198.51.100.8:443", "tcp [2001:db8::8]:443"}},
		{name: "metadata name", address: "metadata.example.com:80", blocked: true},
		{name: "one internal address", address: "mixed.example.com:443", blocked: true},
		{name: "loopback literal", address: "127.0.0.1:8080", blocked: true},
		{name: "mapped metadata literal", address: "[::ffff:169.254.169.254]:80", blocked: true},
		{name: "unspecified literal", address: "0.0.0.0:80", blocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dialer := &recordingDialer{}
			guard := NewGuard(GuardConfig{Resolver: testHosts, Dialer: dialer})

			_, err := guard.DialContext(context.Background(), "tcp", tt.address)

			if tt.blocked {
				require.ErrorIs(t, err, ErrBlockedAddress)
				require.Empty(t, dialer.addresses(), "a blocked target is never dialled")
				return
			}
			require.ErrorIs(t, err, errRefused)
			require.Equal(t, tt.dialled, dialer.addresses())
		})
	}
}

func TestDialContextChecksAgainAfterDNSChanges(t *testing.T) {
	resolver := &switchingResolver{first: netip.MustParseAddr("198.51.100.7"), later: netip.MustParseAddr("169.254.169.254")}
	dialer := &recordingDialer{}
	guard := NewGuard(GuardConfig{Resolver: resolver, Dialer: dialer})
	require.Empty(t, guard.CheckURL(context.Background(), "https://rebind.example.com/"), "the first answer is public")

	_, err := guard.DialContext(context.Background(), "tcp", "rebind.example.com:443")

	var blocked *BlockedError
	require.ErrorAs(t, err, &blocked)
	require.Equal(t, "169.254.169.254", blocked.Addr.String())
	require.Equal(t, "cloud metadata", blocked.Kind)
	require.Empty(t, dialer.addresses())
}

func TestDialContextAllowList(t *testing.T) {
	allow, err := ParseAllowList([]string{"10.20.0.0/16"})
	require.NoError(t, err)
	dialer := &recordingDialer{}
	guard := NewGuard(GuardConfig{Resolver: testHosts, Dialer: dialer, Allow: allow})

	_, err = guard.DialContext(context.Background(), "tcp", "intranet.example.com:8443")

	require.ErrorIs(t, err, errRefused)
	require.Equal(t, []string{"tcp 10.20.0.5:8443"}, dialer.addresses())
}

func TestClientRefusesBlockedTargetBeforeConnecting(t *testing.T) {
	dialer := &recordingDialer{}
	client := NewGuard(GuardConfig{Resolver: testHosts, Dialer: dialer}).Client()

	_, err := client.Get("http://metadata.example.com/latest/meta-data/")

	require.ErrorIs(t, err, ErrBlockedAddress)
	require.Empty(t, dialer.addresses())
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	t.Cleanup(target.Close)
	allow, err := ParseAllowList([]string{"127.0.0.1"})
	require.NoError(t, err)
	client := NewGuard(GuardConfig{Allow: allow}).Client()

	resp, err := client.Get(target.URL + "/hook")

	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"/hook"}, paths)
}

func TestClientIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	dialer := &recordingDialer{}
	client := NewGuard(GuardConfig{Resolver: testHosts, Dialer: dialer}).Client()

	_, err := client.Get("http://hooks.example.com/in")

	require.ErrorIs(t, err, errRefused)
	require.Equal(t, []string{"tcp 198.51.100.7:80"}, dialer.addresses(), "the target is dialled, not the proxy")
}
