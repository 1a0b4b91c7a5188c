package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keyhook/keyhook/reqlog"
)

// shaped is an API that owns /shaped/ and answers bad input in its own
// shape; it counts the requests that reached its handlers.
type shaped struct{ reached atomic.Int32 }

func (s *shaped) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /shaped/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.reached.Add(1)
		reqlog.SetClientID(r.Context(), "client-"+r.PathValue("id"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + r.PathValue("id") + `"}`))
	})
}

func (s *shaped) WriteInputError(w http.ResponseWriter, r *http.Request, err error) bool {
	if !strings.HasPrefix(r.URL.Path, "/shaped/") {
		return false
	}
	w.WriteHeader(http.StatusBadRequest)
	b, _ := json.Marshal(map[string]string{"shaped": err.Error()})
	_, _ = w.Write(b)
	return true
}

func do(t *testing.T, client *http.Client, method, url, host string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set("User-Agent", "boundary-test/1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestInputCheck: a NUL or invalid UTF-8 in any path or query is a 400
// before any handler runs, in the owning API's shape, or plain JSON.
func TestInputCheck(t *testing.T) {
	t.Parallel()
	api := &shaped{}
	srv := httptest.NewServer(New(Config{DB: pinger{}, Mounts: []Mounter{panicky{}, api}}))
	t.Cleanup(srv.Close)
	tests := []struct {
		target, want string
	}{
		{"/shaped/a%00b", `{"shaped":"the path contains a NUL character"}`},
		{"/shaped/ok?q=%ff", `{"shaped":"query parameter \"q\" is not valid UTF-8"}`},
		{"/shaped/ok?%00=1", `{"shaped":"the query contains a NUL character"}`},
		{"/healthz?x=%00", `{"error":"Bad Request","message":"query parameter \"x\" contains a NUL character","statusCode":400}`},
		{"/nowhere/%C0%80", `{"error":"Bad Request","message":"the path is not valid UTF-8","statusCode":400}`},
	}
	for _, tt := range tests {
		resp, body := do(t, srv.Client(), "GET", srv.URL+tt.target, "")
		if resp.StatusCode != 400 || strings.TrimSpace(body) != tt.want {
			t.Errorf("GET %s: %d %s, want 400 %s", tt.target, resp.StatusCode, body, tt.want)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/shaped/ok", nil)
	req.Header.Set("User-Agent", "tool/\xff")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || string(body) != `{"shaped":"header \"User-Agent\" is not valid UTF-8"}` {
		t.Errorf("invalid User-Agent: %d %s", resp.StatusCode, body)
	}
	if n := api.reached.Load(); n != 0 {
		t.Errorf("%d refused requests reached the handler", n)
	}
	if resp, body := do(t, srv.Client(), "GET", srv.URL+"/shaped/%C3%A9t%C3%A9?q=caf%C3%A9", ""); resp.StatusCode != 200 || body != `{"id":"été"}` {
		t.Errorf("valid non-ASCII: %d %s", resp.StatusCode, body)
	}
}

// TestSecurityHeaders: nosniff on every response, errors included; HSTS on
// HTTPS only, and not for localhost or IP addresses.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := New(Config{DB: pinger{}, Logger: slog.New(slog.DiscardHandler), Mounts: []Mounter{panicky{}, &shaped{}}})
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(h)
	t.Cleanup(secure.Close)
	for _, path := range []string{"/healthz", "/boom", "/nowhere", "/shaped/%00", "/shaped/x"} {
		for _, srv := range []*httptest.Server{plain, secure} {
			resp, _ := do(t, srv.Client(), "GET", srv.URL+path, "")
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s %s: no nosniff: %v", srv.URL, path, resp.Header)
			}
		}
	}
	for _, tt := range []struct {
		srv  *httptest.Server
		host string
		want string
	}{
		{secure, "auth.example.test", "max-age=31536000"},
		{secure, "auth.example.test:8443", "max-age=31536000"},
		{secure, "localhost:8443", "max-age=31536000"},
		{secure, "dev.localhost", "max-age=31536000"},
		{secure, "", "max-age=31536000"}, // 127.0.0.1:port
		{secure, "[::1]:8443", "max-age=31536000"},
		{plain, "auth.example.test", ""},
	} {
		resp, _ := do(t, tt.srv.Client(), "GET", tt.srv.URL+"/healthz", tt.host)
		if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
			t.Errorf("TLS %v, Host %q: HSTS %q, want %q", tt.srv == secure, tt.host, got, tt.want)
		}
	}
}

// syncBuffer is a log sink the server's goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestRequestLog: at debug level each request gets one line with method,
// path, route, status, duration and the client id a handler recorded, and
// never the query; at info level there is none.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	logger := slog.New(slog.NewJSONHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(New(Config{DB: pinger{}, Logger: logger, Mounts: []Mounter{&shaped{}}}))
	t.Cleanup(srv.Close)
	do(t, srv.Client(), "GET", srv.URL+"/shaped/abc?client_secret=hunter2&token=eyJ", "")
	do(t, srv.Client(), "GET", srv.URL+"/shaped/x%00?client_secret=hunter2", "")
	do(t, srv.Client(), "GET", srv.URL+"/healthz", "")

	lines := sink.lines(t)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3: %v", len(lines), lines)
	}
	want := []map[string]any{
		{"msg": "request", "level": "DEBUG", "method": "GET", "path": "/shaped/abc", "route": "GET /shaped/{id}", "status": 200.0, "client_id": "client-abc", "user_agent": "boundary-test/1"},
		{"msg": "request", "method": "GET", "path": "/shaped/x%00", "route": "unmatched", "status": 400.0},
		{"msg": "request", "method": "GET", "path": "/healthz", "route": "GET /healthz", "status": 200.0},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
		if _, ok := lines[i]["duration"]; !ok {
			t.Errorf("line %d has no duration: %v", i, lines[i])
		}
		if i > 0 {
			if _, ok := lines[i]["client_id"]; ok {
				t.Errorf("line %d has a client id nobody recorded: %v", i, lines[i])
			}
		}
	}
	sink.mu.Lock()
	all := sink.b.String()
	sink.mu.Unlock()
	for _, secret := range []string{"hunter2", "eyJ", "client_secret"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds %q:\n%s", secret, all)
		}
	}

	var quiet syncBuffer
	info := slog.New(slog.NewJSONHandler(&quiet, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv2 := httptest.NewServer(New(Config{DB: pinger{}, Logger: info, Mounts: []Mounter{&shaped{}}}))
	t.Cleanup(srv2.Close)
	do(t, srv2.Client(), "GET", srv2.URL+"/shaped/abc", "")
	if n := len(quiet.lines(t)); n != 0 {
		t.Errorf("info level logged %d request lines", n)
	}
}
