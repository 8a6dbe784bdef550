package webhooks

import (
	"net/netip"
	"strings"
)

// addressRange is a block of addresses webhooks may not reach unless the
// allow list names them.
type addressRange struct {
	prefix netip.Prefix
	kind   string
}

// blockedRanges lists the internal and special-purpose ranges of the IANA
// IPv4 and IPv6 Special-Purpose Address Registries that can reach the
// gateway's own host, its private networks or a cloud provider's metadata
// service. The first match names the kind, so single addresses come before
// the ranges that contain them.
//
// The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are not blocked: the Internet does not route them, and
// tests use them as stand-ins for public addresses.
var blockedRanges = []addressRange{
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata"}, // AWS, Google Cloud, Azure, Oracle Cloud
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata"},  // AWS over IPv6
	{netip.MustParsePrefix("100.100.100.200/32"), "cloud metadata"}, // Alibaba Cloud
	{netip.MustParsePrefix("168.63.129.16/32"), "cloud platform"},   // Azure WireServer
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},             // "this network", 0.0.0.0 reaches localhost
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},                // RFC 1918
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},      // RFC 6598
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},              // RFC 1122
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},         // RFC 3927
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},             // RFC 1918
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol"},        // RFC 6890
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},            // RFC 1918
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},        // RFC 2544
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},             // RFC 5771
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},              // RFC 1112, with 255.255.255.255
	{netip.MustParsePrefix("::/128"), "unspecified"},                // RFC 4291
	{netip.MustParsePrefix("::1/128"), "loopback"},                  // RFC 4291
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},             // RFC 4291, deprecated
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},    // RFC 8215
	{netip.MustParsePrefix("100::/64"), "discard-only"},             // RFC 6666
	{netip.MustParsePrefix("2001::/32"), "Teredo"},                  // RFC 4380
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},             // RFC 4193
	{netip.MustParsePrefix("fe80::/10"), "link-local"},              // RFC 4291
	{netip.MustParsePrefix("fec0::/10"), "site-local"},              // RFC 3879, deprecated
	{netip.MustParsePrefix("ff00::/8"), "multicast"},                // RFC 4291
}

// Prefixes of IPv6 ranges that embed an IPv4 address, which is checked in
// their place.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052, IPv4 in the last 32 bits
	sixToFour   = netip.MustParsePrefix("2002::/16")    // RFC 3056, IPv4 in bits 16 to 47
)

// classify reports whether addr is internal or special-purpose, and which
// kind of address it is. IPv4-mapped, NAT64 and 6to4 addresses are judged
// by the IPv4 address inside them.
func classify(addr netip.Addr) (kind string, blocked bool) {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		addr = addr.Unmap()
	}
	if embedded, ok := embeddedIPv4(addr); ok {
		return classify(embedded)
	}

	for _, r := range blockedRanges {
		if r.prefix.Contains(addr) {
			return r.kind, true
		}
	}
	return "", false
}

// embeddedIPv4 returns the IPv4 address inside a NAT64 or 6to4 address.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// withArticle puts "a" or "an" before an address kind.
func withArticle(kind string) string {
	if strings.HasPrefix(kind, "unique") {
		return "a " + kind
	}
	if kind != "" && strings.ContainsRune("aeiouAEIOU", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
