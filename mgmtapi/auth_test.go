package mgmtapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook/ratelimit"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	expired := b.tokenWith(map[string]any{"aud": testAudience, "scope": "read:hooks", "exp": time.Now().Add(-10 * time.Minute).Unix()})
	wrongAud := b.tokenWith(map[string]any{"aud": "https://other/", "scope": "read:hooks"})
	listAud := b.tokenWith(map[string]any{"aud": []string{"https://other/", testAudience}, "scope": "read:hooks"})
	tampered := b.token("read:hooks")
	tampered = tampered[:len(tampered)-4] + "AAAA"
	for _, tc := range []struct {
		name, header, message string
	}{
		{"no header", "", "Missing authentication"},
		{"basic", "Basic dXNlcjpwYXNz", "Missing authentication"},
		{"empty bearer", "Bearer ", "Missing authentication"},
		{"garbage", "Bearer not.a.jwt", "Invalid token"},
		{"tampered", "Bearer " + tampered, "Invalid token"},
		{"expired", "Bearer " + expired, "Invalid token"},
		{"wrong audience", "Bearer " + wrongAud, "Bad audience: https://other/"},
	} {
		req, _ := http.NewRequest("GET", b.srv.URL+"/api/v2/hooks", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		res, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := response{status: res.StatusCode, header: res.Header, body: body}
		wantError(t, r, 401, "", tc.message)
	}
	if r := b.do("GET", "/api/v2/hooks", listAud, nil); r.status != 200 {
		t.Fatalf("audience list: %d %s", r.status, r.body)
	}
	// Unknown routes answer 404 in the error shape, after authentication.
	if r := b.do("GET", "/api/v2/nope", "", nil); r.status != 401 {
		t.Fatalf("unknown route unauthenticated: %d", r.status)
	}
	wantError(t, b.adminDo("GET", "/api/v2/nope", nil), 404, "", "Not Found")
	wantError(t, b.adminDo("PUT", "/api/v2/hooks", nil), 404, "", "Not Found")
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func TestRateLimitWiring(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b.h.Limiter = ratelimit.New(ratelimit.Config{Capacity: 2, RefillPerSecond: 1, Now: clock.Now})
	mux := http.NewServeMux()
	b.h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b.srv = srv

	// Unauthenticated callers share their address's bucket; 401s carry the
	// headers too.
	for i, want := range []int{401, 401, 429} {
		r := b.do("GET", "/api/v2/hooks", "", nil)
		if r.status != want || r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("anonymous request %d: %d %v", i, r.status, r.header)
		}
		if want == 429 {
			wantError(t, r, 429, "too_many_requests", "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.")
			if r.header.Get("Retry-After") != "1" {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
	}
	// An authenticated client has its own bucket.
	for i, want := range []string{"1", "0"} {
		r := b.do("GET", "/api/v2/hooks", b.admin, nil)
		if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != want {
			t.Fatalf("client request %d: %d remaining %q", i, r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
	other := b.tokenWith(map[string]any{"aud": testAudience, "scope": "read:hooks", "azp": "another-client", "sub": "another-client@clients"})
	if r := b.do("GET", "/api/v2/hooks", other, nil); r.status != 200 {
		t.Fatalf("another client limited by the first: %d", r.status)
	}
	// Users of one app each have their own bucket, apart from the app's.
	for _, user := range []string{"auth0|a", "auth0|b"} {
		tok := b.tokenWith(map[string]any{"sub": user, "gty": "password", "azp": "admin-client", "scope": "read:current_user"})
		for i, want := range []int{200, 200, 429} {
			if r := b.do("GET", "/api/v2/users/"+user, tok, nil); r.status != want && (want != 200 || r.status != 404) {
				t.Fatalf("user %s request %d: %d %s", user, i, r.status, r.body)
			}
		}
	}
	b.unchanged("limited write", func() {
		r := b.do("POST", "/api/v2/hooks", b.admin, map[string]any{"name": "x", "script": "module.exports=function(u,c,cb){cb()}", "triggerId": "post-user-registration"})
		if r.status != 429 {
			t.Fatalf("limited POST: %d", r.status)
		}
	})
}
