// Package webhook holds the outbound side of extensibility: the guarded HTTP
// client that script fetch and webhooks share, and (with the webhooks issue)
// signing and blocking calls.
//
// The guard is written here rather than taken from a library because it
// must decide on the address actually dialled, after DNS resolution and on
// every redirect, and must honour the operator's allow-list; Go's
// net.Dialer.Control is the one place that sees that address.
//
// It imports the standard library only.
package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is a connection the guard refused.
var ErrRefused = errors.New("outbound address refused")

// deniedPrefixes are the ranges a script or webhook may not reach unless
// allow-listed: loopback, RFC 1918, link-local (cloud metadata lives at
// 169.254.169.254), CGNAT, unique-local v6, "this network", multicast,
// reserved and the IPv4-mapped forms of all of them.
var deniedPrefixes = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96", "2001:db8::/32",
	"fd00:ec2::254/128",
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Guard decides which addresses outbound connections may reach.
type Guard struct {
	allowPrefixes []netip.Prefix
	allowHosts    map[string]bool
}

// NewGuard builds a guard from the operator's allow-list entries, each a
// CIDR, an IP or a host name (--allow-outbound).
func NewGuard(allow []string) (*Guard, error) {
	g := &Guard{allowHosts: map[string]bool{}}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if p, err := netip.ParsePrefix(a); err == nil {
			g.allowPrefixes = append(g.allowPrefixes, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(a); err == nil {
			g.allowPrefixes = append(g.allowPrefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if strings.ContainsAny(a, "/ ") {
			return nil, fmt.Errorf("webhook: allow-outbound %q is neither a CIDR, an IP nor a host name", a)
		}
		g.allowHosts[strings.ToLower(strings.TrimSuffix(a, "."))] = true
	}
	return g, nil
}

// Allowed reports whether a connection to ip, reached through host (the
// name in the URL or proxy setting), is permitted.
func (g *Guard) Allowed(host string, ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.allowPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if g.allowHosts[strings.ToLower(strings.TrimSuffix(host, "."))] {
		return true
	}
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// ClientOptions bound the guarded client.
type ClientOptions struct {
	Timeout time.Duration // whole request (30 s)
	// Dialer, when set, replaces the network dial after the guard allowed
	// the address (tests use it to prove no packet is sent).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy, when set, replaces http.ProxyFromEnvironment (which reads the
	// environment once per process, so tests set this instead).
	Proxy func(*http.Request) (*url.URL, error)
}

// Client returns an *http.Client whose every connection — first request,
// redirects, proxies from HTTP_PROXY/HTTPS_PROXY/NO_PROXY — is checked by the
// guard on the resolved address. It trusts the system roots and
// SSL_CERT_FILE, as the standard transport does, and keeps no cookies.
func (g *Guard) Client(o ClientOptions) *http.Client {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	proxy := o.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	transport := &http.Transport{
		// Through a proxy, the dialler below sees only the proxy's address
		// (which must be allowed); the target is checked here, before the
		// request is handed to the proxy, on every request and redirect.
		Proxy: func(req *http.Request) (*url.URL, error) {
			u, err := proxy(req)
			if err != nil || u == nil {
				return u, err
			}
			if err := g.checkTarget(req.Context(), req.URL.Hostname()); err != nil {
				return nil, err
			}
			return u, nil
		},
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, err
			}
			last := fmt.Errorf("%w: %s has no address", ErrRefused, host)
			for _, ip := range ips {
				if !g.Allowed(host, ip) {
					last = fmt.Errorf("%w: %s resolves to %s", ErrRefused, host, ip)
					continue
				}
				target := net.JoinHostPort(ip.Unmap().String(), port)
				var conn net.Conn
				if o.Dial != nil {
					conn, err = o.Dial(ctx, network, target)
				} else {
					conn, err = dialer.DialContext(ctx, network, target)
				}
				if err == nil {
					return conn, nil
				}
				last = err
			}
			return nil, last
		},
	}
	// The resolved address is checked above; Control re-checks the socket's
	// peer so no other code path can connect unguarded.
	dialer.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrRefused, address)
		}
		if !g.Allowed("", ap.Addr()) && !g.anyHostAllowed() {
			return fmt.Errorf("%w: %s", ErrRefused, address)
		}
		return nil
	}
	return &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}

// checkTarget decides on a host a proxy will connect to for us. The proxy
// resolves the name itself, so every address the name has must be allowed,
// not just one (a name that changes its answers between this lookup and the
// proxy's is the proxy's to refuse: the operator's egress control).
func (g *Guard) checkTarget(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !g.Allowed(host, ip) {
			return fmt.Errorf("%w: %s (through the proxy)", ErrRefused, ip)
		}
		return nil
	}
	if g.allowHosts[strings.ToLower(strings.TrimSuffix(host, "."))] {
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	if len(ips) == 0 {
		return fmt.Errorf("%w: %s has no address", ErrRefused, host)
	}
	for _, ip := range ips {
		if !g.Allowed(host, ip) {
			return fmt.Errorf("%w: %s resolves to %s (through the proxy)", ErrRefused, host, ip)
		}
	}
	return nil
}

// anyHostAllowed: with host names in the allow-list the dial-time check
// above is authoritative, because Control sees only the numeric address.
func (g *Guard) anyHostAllowed() bool { return len(g.allowHosts) > 0 }
