// Package ratelimit holds a per-key token-bucket limiter and the HTTP
// middleware that applies it with Auth0's rate-limit headers
// (X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset) and, past the
// limit, a 429 in the Management API's error shape with Retry-After. Handlers
// with their own error shapes use a Limiter directly: Allow to spend a token
// per request (signups per IP), or Peek before an attempt and Allow after it
// failed (failed logins and client authentications per IP).
//
// Buckets live in the memory of one process: with several nodes each one
// limits on its own, so a client spreading requests over N nodes gets up to N
// times the limit, and a restart forgets every bucket. That is acceptable for
// throttles that slow attackers down; what must hold across nodes and
// restarts (a user's brute-force block) is kept in the store instead.
//
// It imports the standard library only.
package ratelimit

import (
	"encoding/json"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Config sets a Limiter's bucket size and refill rate. Zero values take the
// defaults noted.
type Config struct {
	// Capacity is the bucket size: the burst a key may spend at once (50).
	Capacity int
	// RefillPerSecond is how many tokens a bucket regains per second (10).
	RefillPerSecond float64
	// MaxKeys bounds the number of buckets kept (10000). Full buckets are
	// dropped first since a full bucket is the same as no bucket; if every
	// bucket is in use, the least recently used one is dropped.
	MaxKeys int
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Limiter is a set of token buckets, one per key. It is safe for concurrent
// use. A nil *Limiter allows everything.
type Limiter struct {
	capacity float64
	refill   float64
	maxKeys  int
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	// at is when tokens was last brought up to date.
	at time.Time
	// used is when the key last made a request (for LRU eviction).
	used time.Time
	// refusing is set by a refusal and cleared by an allowed request, so a
	// refusal can tell whether it starts a run of them.
	refusing bool
}

// New returns a Limiter configured by c.
func New(c Config) *Limiter {
	l := &Limiter{
		capacity: float64(c.Capacity),
		refill:   c.RefillPerSecond,
		maxKeys:  c.MaxKeys,
		now:      c.Now,
		buckets:  map[string]*bucket{},
	}
	if l.capacity <= 0 {
		l.capacity = 50
	}
	if l.refill <= 0 {
		l.refill = 10
	}
	if l.maxKeys <= 0 {
		l.maxKeys = 10000
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Decision is the outcome of one Allow call, with what the headers report.
type Decision struct {
	Allowed bool
	// Limit is the bucket size.
	Limit int
	// Remaining is the whole tokens left after this request.
	Remaining int
	// Reset is when the bucket will be full again.
	Reset time.Time
	// RetryAfter is how long until one token is available; zero when
	// Allowed.
	RetryAfter time.Duration
	// FirstRefused marks the first refusal after an allowed request (or of
	// a new key): where a refusal is logged, logging only these records
	// each episode once, not every request of a flood.
	FirstRefused bool
}

// RetryAfterSeconds is RetryAfter as a Retry-After header value: whole
// seconds, rounded up, at least 1.
func (d Decision) RetryAfterSeconds() string {
	secs := int64(math.Ceil(d.RetryAfter.Seconds()))
	return strconv.FormatInt(max(secs, 1), 10)
}

// Allow spends one token of key's bucket if it has one. A nil Limiter
// allows everything.
func (l *Limiter) Allow(key string) Decision {
	if l == nil {
		return Decision{Allowed: true}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()

	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: l.capacity, at: now}
		l.buckets[key] = b
	}
	l.fill(b, now)
	b.used = now

	d := Decision{Limit: int(l.capacity)}
	if b.tokens >= 1 {
		b.tokens--
		d.Allowed = true
		b.refusing = false
	} else {
		d.RetryAfter = l.duration(1 - b.tokens)
		d.FirstRefused = !b.refusing
		b.refusing = true
	}
	d.Remaining = int(math.Floor(b.tokens))
	d.Reset = now.Add(l.duration(l.capacity - b.tokens))
	return d
}

// Peek reports whether Allow would allow key now, without spending a token
// or keeping a bucket for a new key. A nil Limiter allows everything.
func (l *Limiter) Peek(key string) Decision {
	if l == nil {
		return Decision{Allowed: true}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tokens := l.capacity
	if b, ok := l.buckets[key]; ok {
		tokens = b.tokens
		if el := now.Sub(b.at); el > 0 {
			tokens = math.Min(l.capacity, tokens+el.Seconds()*l.refill)
		}
	}
	d := Decision{Limit: int(l.capacity), Allowed: tokens >= 1, Remaining: int(math.Floor(tokens))}
	if !d.Allowed {
		d.RetryAfter = l.duration(1 - tokens)
	}
	d.Reset = now.Add(l.duration(l.capacity - tokens))
	return d
}

func (l *Limiter) fill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(l.capacity, b.tokens+el.Seconds()*l.refill)
	}
	b.at = now
}

// duration is how long refilling n tokens takes.
func (l *Limiter) duration(n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(n / l.refill * float64(time.Second)))
}

// evict makes room for one bucket: it drops every bucket that has refilled
// completely, and if none has, the least recently used one. Called with mu
// held.
func (l *Limiter) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, b := range l.buckets {
		l.fill(b, now)
		if b.tokens >= l.capacity {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.used.Before(oldest) {
			oldestKey, oldest = k, b.used
		}
	}
	if len(l.buckets) >= l.maxKeys && oldestKey != "" {
		delete(l.buckets, oldestKey)
	}
}

// Len reports how many buckets are kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// IPKey is the bucket key of a client IP address for per-IP limits: an IPv4
// address as it is, an IPv6 address by its /64 prefix, since one host
// commonly holds a whole /64 and could otherwise change address at will.
// Anything that is not an IP address is its own key.
func IPKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// tooManyRequests is the Management API's 429 body.
var tooManyRequests = mustJSON(map[string]any{
	"statusCode": http.StatusTooManyRequests,
	"error":      http.StatusText(http.StatusTooManyRequests),
	"message":    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
	"errorCode":  "too_many_requests",
})

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Middleware limits next per key(r). Every response carries the
// X-RateLimit-* headers (X-RateLimit-Reset in UTC epoch seconds); a request
// past the limit gets 429 with Retry-After in seconds and does not reach
// next. A nil Limiter returns next unchanged.
func (l *Limiter) Middleware(next http.Handler, key func(*http.Request) string) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := l.Allow(key(r))
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(d.Reset), 10))
		if !d.Allowed {
			h.Set("Retry-After", d.RetryAfterSeconds())
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(tooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ceilUnix rounds up so a client waiting until Reset finds the bucket full.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
