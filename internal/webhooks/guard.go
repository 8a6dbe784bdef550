package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Timeouts and limits of outgoing webhook requests.
const (
	// ConnectTimeout bounds name resolution and the TCP connect.
	ConnectTimeout = 5 * time.Second
	// RequestTimeout bounds a whole request: connect, TLS, sending the body
	// and reading the response.
	RequestTimeout = 10 * time.Second
	// MaxResponseBytes is how much of a response body is read before the
	// connection is dropped; the body itself is not kept.
	MaxResponseBytes = 4 << 10
	// MaxURLLength is the longest subscription URL accepted, in bytes.
	MaxURLLength = 2048
)

// ErrBlockedAddress is matched by every *BlockedError.
var ErrBlockedAddress = errors.New("webhook target address is not allowed")

// BlockedError reports a webhook target that is, or resolves to, an
// internal address outside the allow list.
type BlockedError struct {
	Host string
	Addr netip.Addr
	// Kind names the address range, such as "private" or "loopback".
	Kind string
}

func (e *BlockedError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("%s is %s address, which webhooks may not reach", e.Host, withArticle(e.Kind))
	}
	return fmt.Sprintf("%s resolves to %s, %s address, which webhooks may not reach", e.Host, e.Addr, withArticle(e.Kind))
}

// Is makes errors.Is(err, ErrBlockedAddress) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlockedAddress }

// Resolver looks up the addresses of a host name. *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens a connection to an address. *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// GuardConfig holds what a Guard needs.
type GuardConfig struct {
	// Allow lists what may be reached even though it is internal: CIDRs
	// such as 10.20.0.0/16, addresses such as 127.0.0.1, and host names
	// such as crm.internal, which may then resolve to any address. Parse
	// it with ParseAllowList.
	Allow AllowList
	// Resolver looks up host names; nil uses net.DefaultResolver.
	Resolver Resolver
	// Dialer connects to the checked addresses; nil uses a net.Dialer with
	// ConnectTimeout.
	Dialer Dialer
}

// AllowList is the parsed SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS option.
type AllowList struct {
	Networks []netip.Prefix
	// Hosts are lowercased host names without a trailing dot.
	Hosts []string
}

// ParseAllowList reads entries that are each a CIDR, an IP address or a
// host name. It returns an error naming the first entry of another form.
func ParseAllowList(entries []string) (AllowList, error) {
	var list AllowList
	for _, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			list.Networks = append(list.Networks, prefix.Masked())
			continue
		}
		if addr, err := netip.ParseAddr(entry); err == nil {
			list.Networks = append(list.Networks, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		if !validHostName(entry) {
			return AllowList{}, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8), an IP address (127.0.0.1) nor a host name (crm.internal)", entry)
		}
		list.Hosts = append(list.Hosts, normalizeHost(entry))
	}
	return list, nil
}

// validHostName reports whether s reads as a DNS host name: labels of
// letters, digits and hyphens, separated by dots.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func normalizeHost(host string) string {
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// Guard keeps outgoing webhooks away from internal addresses. It checks a
// URL when a subscription is saved, and again each time it connects,
// because DNS may answer differently later. It dials the very address it
// checked, so a name cannot resolve to another address between the check
// and the connect.
type Guard struct {
	allow    AllowList
	resolver Resolver
	dialer   Dialer
}

// NewGuard returns a Guard with cfg's allow list, resolver and dialer.
func NewGuard(cfg GuardConfig) *Guard {
	g := &Guard{allow: cfg.Allow, resolver: cfg.Resolver, dialer: cfg.Dialer}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.dialer == nil {
		g.dialer = &net.Dialer{Timeout: ConnectTimeout}
	}
	return g
}

// CheckURL returns the reason raw cannot be a webhook target, or "" when
// it can. It requires an http or https URL with a host, no user name or
// password and no fragment, and every address its host resolves to must be
// allowed. A host that cannot be resolved is rejected too.
func (g *Guard) CheckURL(ctx context.Context, raw string) (reason string) {
	u, reason := parseTarget(raw)
	if reason != "" {
		return reason
	}

	ctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	_, err := g.resolve(ctx, "ip", u.Hostname())
	var blocked *BlockedError
	switch {
	case errors.As(err, &blocked):
		return fmt.Sprintf("%s; an operator can allow it with SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS", blocked.Error())
	case err != nil:
		return fmt.Sprintf("cannot be reached: %v", err)
	}
	return ""
}

// parseTarget checks the form of a webhook URL and returns it, or the
// reason it is not one.
func parseTarget(raw string) (*url.URL, string) {
	if len(raw) > MaxURLLength {
		return nil, fmt.Sprintf("is %d bytes long; the limit is %d", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("is not a valid URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, "must start with https:// or http://"
	case u.User != nil:
		return nil, "must not contain a user name or password; authenticate the deliveries with the signing secret"
	case u.Host == "" || u.Hostname() == "":
		return nil, "has no host"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "must not contain a fragment (#...)"
	case strings.Contains(u.Hostname(), "%"):
		return nil, "must not name an IPv6 zone"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Sprintf("has an invalid port %q", port)
		}
	}
	return u, ""
}

// resolve returns the addresses of host, an IP literal or a name, after
// checking every one of them. One blocked address fails the whole host, so
// a name that resolves to a public and an internal address is rejected.
func (g *Guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	name := normalizeHost(host)
	var addrs []netip.Addr
	if addr, err := netip.ParseAddr(name); err == nil {
		addrs = []netip.Addr{addr}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, network, name)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}

	for _, addr := range addrs {
		if kind, blocked := g.blocked(name, addr); blocked {
			return nil, &BlockedError{Host: host, Addr: addr.Unmap(), Kind: kind}
		}
	}
	return addrs, nil
}

// blocked reports whether addr, reached through the host name, is outside
// the allow list and internal, and what kind of address it is.
func (g *Guard) blocked(name string, addr netip.Addr) (kind string, blocked bool) {
	for _, host := range g.allow.Hosts {
		if host == name {
			return "", false
		}
	}
	addr = addr.Unmap().WithZone("")
	for _, network := range g.allow.Networks {
		if network.Contains(addr) {
			return "", false
		}
	}
	return classify(addr)
}

// DialContext resolves the host of address, checks every address it
// resolves to and connects to the first that accepts the connection. It is
// the DialContext of the Client's transport.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	ipNetwork := "ip"
	switch network {
	case "tcp4":
		ipNetwork = "ip4"
	case "tcp6":
		ipNetwork = "ip6"
	}

	resolveCtx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	addrs, err := g.resolve(resolveCtx, ipNetwork, host)
	cancel()
	if err != nil {
		return nil, err
	}

	var errs []error
	for _, addr := range addrs {
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(addr.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Client returns an HTTP client for webhook deliveries: it connects only
// through DialContext and never through a proxy, follows no redirect (a
// 3xx is returned as the response), and gives up after RequestTimeout.
func (g *Guard) Client() *http.Client {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: RequestTimeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
