package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestGuardAllowed(t *testing.T) {
	t.Parallel()
	def, err := NewGuard(nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, err := NewGuard([]string{"127.0.0.0/8", "internal.example", "10.1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		guard *Guard
		host  string
		ip    string
		want  bool
	}{
		{def, "example.com", "93.184.216.34", true},
		{def, "example.com", "2606:2800:220:1:248:1893:25c8:1946", true},
		{def, "localhost", "127.0.0.1", false},
		{def, "x", "127.8.9.10", false},
		{def, "x", "::1", false},
		{def, "x", "10.0.0.1", false},
		{def, "x", "172.16.5.4", false},
		{def, "x", "192.168.1.1", false},
		{def, "metadata", "169.254.169.254", false},
		{def, "x", "100.64.0.1", false},
		{def, "x", "0.0.0.0", false},
		{def, "x", "fd00::1", false},
		{def, "x", "fe80::1", false},
		{def, "x", "::ffff:127.0.0.1", false},
		{def, "x", "::ffff:169.254.169.254", false},
		{def, "x", "224.0.0.1", false},
		{def, "x", "fd00:ec2::254", false},
		{lo, "localhost", "127.0.0.1", true},
		{lo, "x", "::ffff:127.0.0.1", true},
		{lo, "internal.example", "10.9.9.9", true},
		{lo, "INTERNAL.example.", "10.9.9.9", true},
		{lo, "other", "10.9.9.9", false},
		{lo, "x", "10.1.2.3", true},
		{lo, "x", "169.254.169.254", false},
	}
	for _, tt := range tests {
		if got := tt.guard.Allowed(tt.host, netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Allowed(%q, %s) = %v, want %v", tt.host, tt.ip, got, tt.want)
		}
	}
	if _, err := NewGuard([]string{"not a/cidr"}); err == nil {
		t.Error("NewGuard accepted a malformed entry")
	}
}

// TestClientRefusesBeforeDialling proves a refused address is never dialled:
// the dial function fails the test if it is reached.
func TestClientRefusesBeforeDialling(t *testing.T) {
	t.Parallel()
	g, _ := NewGuard(nil)
	c := g.Client(ClientOptions{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("dialled %s although the guard should refuse it", addr)
		return nil, errors.New("unreachable")
	}})
	for _, u := range []string{"http://127.0.0.1:9/", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"} {
		_, err := c.Get(u)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("GET %s: err = %v, want ErrRefused", u, err)
		}
	}
}

func TestClientAllowListedLoopback(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	g, _ := NewGuard([]string{"127.0.0.0/8"})
	c := g.Client(ClientOptions{})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" {
		t.Errorf("body = %q", b)
	}
	// A redirect to a refused address is refused too, without dialling it.
	guarded := g.Client(ClientOptions{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ap := netip.MustParseAddrPort(addr); !ap.Addr().IsLoopback() {
			t.Errorf("dialled %s", addr)
			return nil, errors.New("unreachable")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}})
	if _, err := guarded.Get(srv.URL + "/redirect"); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect: err = %v, want ErrRefused", err)
	}
}

// TestClientChecksTargetThroughProxy: with a proxy configured, the target
// is checked before the request is handed to the proxy, so a refused
// address is not reached through it; allowed targets still go through it.
// The proxy here is a loopback server that answers itself: no request is
// forwarded anywhere.
func TestClientChecksTargetThroughProxy(t *testing.T) {
	t.Parallel()
	var seen []string
	var mu sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "proxied")
	}))
	defer proxy.Close()
	proxyURL, err := url.Parse(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The proxy's own address must be allowed for the client to reach it.
	g, err := NewGuard([]string{proxyURL.Hostname() + "/32"})
	if err != nil {
		t.Fatal(err)
	}
	c := g.Client(ClientOptions{Proxy: http.ProxyURL(proxyURL)})
	for _, target := range []string{
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:9/",
		"http://[fd00:ec2::254]/", "http://127.0.0.2:9/",
	} {
		if _, err := c.Get(target); !errors.Is(err, ErrRefused) {
			t.Errorf("GET %s through the proxy: err = %v, want ErrRefused", target, err)
		}
	}
	// A public address goes through the proxy (which answers without
	// forwarding); a redirect from it to a refused address is refused.
	resp, err := c.Get("http://93.184.216.34/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "proxied" {
		t.Errorf("body = %q", b)
	}
	if _, err := c.Get("http://93.184.216.34/redirect"); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect through the proxy: err = %v, want ErrRefused", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range seen {
		if !strings.HasPrefix(u, "http://93.184.216.34/") {
			t.Errorf("the proxy was asked for %s", u)
		}
	}
	if len(seen) != 2 {
		t.Errorf("the proxy saw %d requests, want 2: %v", len(seen), seen)
	}
}
