package ratelimit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0).UTC()} }

func TestAllowSpendsAndRefills(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 3, RefillPerSecond: 1, Now: c.Now})

	steps := []struct {
		advance   time.Duration
		allowed   bool
		remaining int
		reset     time.Duration // from the clock's time at the step
		retry     time.Duration
	}{
		{0, true, 2, 1 * time.Second, 0},
		{0, true, 1, 2 * time.Second, 0},
		{0, true, 0, 3 * time.Second, 0},
		{0, false, 0, 3 * time.Second, 1 * time.Second},
		{500 * time.Millisecond, false, 0, 2500 * time.Millisecond, 500 * time.Millisecond},
		{500 * time.Millisecond, true, 0, 3 * time.Second, 0},
		{10 * time.Second, true, 2, 1 * time.Second, 0}, // capped at capacity
	}
	for i, s := range steps {
		c.Advance(s.advance)
		d := l.Allow("k")
		if d.Allowed != s.allowed || d.Remaining != s.remaining || d.Limit != 3 {
			t.Fatalf("step %d: got %+v, want allowed=%v remaining=%d", i, d, s.allowed, s.remaining)
		}
		if want := c.Now().Add(s.reset); !d.Reset.Equal(want) {
			t.Fatalf("step %d: reset %v, want %v", i, d.Reset, want)
		}
		if d.RetryAfter != s.retry {
			t.Fatalf("step %d: retry after %v, want %v", i, d.RetryAfter, s.retry)
		}
	}
}

func TestKeysAreIndependent(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 1, RefillPerSecond: 1, Now: c.Now})
	if !l.Allow("a").Allowed || l.Allow("a").Allowed {
		t.Fatal("bucket a: want one allowed then one denied")
	}
	if !l.Allow("b").Allowed {
		t.Fatal("bucket b was affected by a")
	}
}

func TestEvictionIsBounded(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 2, RefillPerSecond: 1, MaxKeys: 3, Now: c.Now})
	for i := 0; i < 3; i++ {
		l.Allow(fmt.Sprint("k", i))
	}
	// All three buckets are in use: adding one drops the least recent.
	c.Advance(100 * time.Millisecond)
	l.Allow("k1")
	l.Allow("k2")
	l.Allow("new")
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// k0 was evicted, so it starts with a full bucket again.
	if d := l.Allow("k0"); d.Remaining != 1 {
		t.Fatalf("k0 remaining %d, want a fresh bucket (1)", d.Remaining)
	}
	// Once every bucket has refilled they are all dropped on the next insert.
	c.Advance(time.Minute)
	l.Allow("other")
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after idle = %d, want 1", n)
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 2, RefillPerSecond: 0.5, Now: c.Now})
	calls := 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusUnauthorized) // headers must be on every status
	})
	h := l.Middleware(next, func(r *http.Request) string { return r.Header.Get("X-Key") })

	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Key", "client")
		h.ServeHTTP(rec, req)
		return rec
	}
	base := c.Now().Unix()
	for i, want := range []struct {
		code      int
		remaining string
		reset     int64
	}{{401, "1", base + 2}, {401, "0", base + 4}, {429, "0", base + 4}} {
		rec := do()
		if rec.Code != want.code {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, want.code)
		}
		if got := rec.Header().Get("X-RateLimit-Limit"); got != "2" {
			t.Fatalf("request %d: limit %q", i, got)
		}
		if got := rec.Header().Get("X-RateLimit-Remaining"); got != want.remaining {
			t.Fatalf("request %d: remaining %q, want %s", i, got, want.remaining)
		}
		if got := rec.Header().Get("X-RateLimit-Reset"); got != strconv.FormatInt(want.reset, 10) {
			t.Fatalf("request %d: reset %q, want %d", i, got, want.reset)
		}
		if want.code == 429 {
			if got := rec.Header().Get("Retry-After"); got != "2" {
				t.Fatalf("Retry-After %q, want 2", got)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			wantBody := map[string]any{
				"statusCode": float64(429), "error": "Too Many Requests", "errorCode": "too_many_requests",
				"message": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
			}
			if fmt.Sprint(body) != fmt.Sprint(wantBody) {
				t.Fatalf("429 body %v, want %v", body, wantBody)
			}
		}
	}
	if calls != 2 {
		t.Fatalf("next called %d times, want 2", calls)
	}
}

func TestNilLimiterAllowsAll(t *testing.T) {
	t.Parallel()
	var l *Limiter
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := l.Middleware(next, func(*http.Request) string { return "" })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Header().Get("X-RateLimit-Limit") != "" {
		t.Fatalf("nil limiter changed the response: %d %v", rec.Code, rec.Header())
	}
}

func TestConcurrentAllowNeverOverspends(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 100, RefillPerSecond: 1, Now: c.Now})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if l.Allow("shared").Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("allowed %d of 400 with a frozen clock, want exactly 100", allowed)
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(Config{Capacity: 1 << 30, RefillPerSecond: 1})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("client")
		}
	})
}

func TestPeekDoesNotSpend(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 2, RefillPerSecond: 0.5, Now: c.Now})
	for range 5 {
		if d := l.Peek("ip"); !d.Allowed || d.Remaining != 2 {
			t.Fatalf("peek of a new key = %+v, want allowed with 2 left", d)
		}
	}
	if l.Len() != 0 {
		t.Fatalf("peeks kept %d buckets, want none", l.Len())
	}
	l.Allow("ip")
	l.Allow("ip")
	d := l.Peek("ip")
	if d.Allowed || d.RetryAfter != 2*time.Second || d.RetryAfterSeconds() != "2" {
		t.Fatalf("peek of an empty bucket = %+v, want refused, retry after 2s", d)
	}
	c.Advance(1500 * time.Millisecond)
	if d := l.Peek("ip"); d.Allowed || d.RetryAfter != 500*time.Millisecond || d.RetryAfterSeconds() != "1" {
		t.Fatalf("peek after 1.5s = %+v, want refused, retry after 0.5s (header 1)", d)
	}
	c.Advance(500 * time.Millisecond)
	if d := l.Peek("ip"); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("peek after 2s = %+v, want allowed with 1 left", d)
	}
	// Peek left the bucket as it was: one token to spend, then none.
	if !l.Allow("ip").Allowed || l.Allow("ip").Allowed {
		t.Fatal("after peeks: want one allowed then one refused")
	}
}

func TestFirstRefusedMarksEachEpisode(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := New(Config{Capacity: 1, RefillPerSecond: 1, Now: c.Now})
	var got []bool
	for _, advance := range []time.Duration{0, 0, 0, time.Second, 0, 0} {
		c.Advance(advance)
		d := l.Allow("ip")
		got = append(got, d.FirstRefused)
	}
	want := []bool{false, true, false, false, true, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("FirstRefused = %v, want %v", got, want)
	}
}

func TestNilLimiterAllowAndPeek(t *testing.T) {
	t.Parallel()
	var l *Limiter
	if !l.Allow("k").Allowed || !l.Peek("k").Allowed {
		t.Fatal("nil limiter refused")
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
		"":                     "",
	}
	for in, want := range tests {
		if got := IPKey(in); got != want {
			t.Errorf("IPKey(%q) = %q, want %q", in, got, want)
		}
	}
}
