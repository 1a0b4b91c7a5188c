package oauth

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/store"
)

const (
	blockedDesc    = "Your account has been blocked after multiple consecutive login attempts."
	suspiciousDesc = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."
	wrongDesc      = "Wrong email or password."
)

// protect serves the bundle's token endpoint again with p as its attack
// protection (a new handler and server, so no field changes under a running
// server).
func (b *testBundle) protect(t *testing.T, p AttackProtection) {
	t.Helper()
	b.handler = &Handler{Store: b.db, Config: b.handler.Config, Signer: b.signer, Triggers: b.engine,
		Issuer: testIssuer, Logger: b.handler.Logger, Protection: p}
	mux := http.NewServeMux()
	b.handler.Mount(mux)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
}

// postFrom sends a form token request from a loopback source address (every
// 127/8 address is this host on Linux), so tests can be several IPs.
func (b *testBundle) postFrom(t *testing.T, ip string, params url.Values) reply {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(b.srv.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("response is not JSON: %d %q", resp.StatusCode, raw)
	}
	return r
}

func (b *testBundle) logCount(t *testing.T, typ string) int {
	t.Helper()
	_, n, err := b.db.LogList(context.Background(), store.LogListParams{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBruteForceBlocksThePair is the reproduction: 50 wrong
// passwords, then the right one, must not log in; an unblock lets it.
func TestBruteForceBlocksThePair(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrong := b.realmParams("password", "not the password")
	for i := 1; i <= 50; i++ {
		r := b.post(t, wrong, false)
		if i < keyhook.DefaultMaxLoginFailures {
			r.wantError(t, 403, "invalid_grant", wrongDesc)
			continue
		}
		// The tenth failure blocks the pair, and it stays blocked.
		r.wantError(t, 429, "too_many_attempts", blockedDesc)
		if r.header.Get("Retry-After") != accountBlockedRetryAfter {
			t.Fatalf("attempt %d: Retry-After %q, want %s", i, r.header.Get("Retry-After"), accountBlockedRetryAfter)
		}
	}
	b.post(t, b.realmParams(), false).wantError(t, 429, "too_many_attempts", blockedDesc)
	// The plain password grant checks the same password, by username.
	r := b.post(t, url.Values{"grant_type": {GrantPassword}, "client_id": {b.spa.ClientID}, "username": {"jane"}, "password": {userPassword}}, false)
	r.wantError(t, 429, "too_many_attempts", blockedDesc)

	e := b.lastLog(t)
	if e.Type != keyhook.LogBlockedAccount || e.UserID != b.user.ID || e.IP != "127.0.0.1" {
		t.Fatalf("log of a blocked attempt = %+v, want limit_wc for the user and IP", e)
	}
	if n := b.logCount(t, keyhook.LogBlockedAccount); n != 43 {
		t.Fatalf("%d limit_wc entries, want 43 (41 wrong and 2 right passwords refused)", n)
	}
	if n := b.logCount(t, keyhook.LogFailedPasswordExchange); n != 9 {
		t.Fatalf("%d fepft entries, want 9", n)
	}
	fs, err := b.db.LoginFailureList(context.Background(), store.LoginFailureListParams{UserID: b.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].IP != "127.0.0.1" || fs[0].Count != 10 || fs[0].Identifier != "jane@example.test" ||
		fs[0].Connection != keyhook.DefaultDatabaseConnection {
		t.Fatalf("stored failures = %+v, want 10 for jane@example.test from 127.0.0.1 (refused attempts are not counted)", fs)
	}
	u, err := b.db.UserGetByID(context.Background(), b.user.ID)
	if err != nil || u.LoginsCount != 0 {
		t.Fatalf("logins_count = %d, %v; a blocked login must not count", u.LoginsCount, err)
	}

	// What DELETE /api/v2/user-blocks/{id} does.
	if _, err := b.db.LoginFailureDelete(context.Background(), store.LoginFailureDeleteParams{UserID: b.user.ID}); err != nil {
		t.Fatal(err)
	}
	if r := b.post(t, b.realmParams(), false); r.status != 200 {
		t.Fatalf("after unblock: %d %s", r.status, r.raw)
	}
}

// TestBruteForceSuccessResets: failures must be consecutive; a success
// starts the count again.
func TestBruteForceSuccessResets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrong := b.realmParams("password", "not the password")
	for range 9 {
		b.post(t, wrong, false).wantError(t, 403, "invalid_grant", wrongDesc)
	}
	if r := b.post(t, b.realmParams(), false); r.status != 200 {
		t.Fatalf("ninth failure then the right password: %d %s", r.status, r.raw)
	}
	fs, err := b.db.LoginFailureList(context.Background(), store.LoginFailureListParams{UserID: b.user.ID})
	if err != nil || len(fs) != 0 {
		t.Fatalf("failures after a success = %+v, %v; want none", fs, err)
	}
	for range 9 {
		b.post(t, wrong, false).wantError(t, 403, "invalid_grant", wrongDesc)
	}
	b.post(t, wrong, false).wantError(t, 429, "too_many_attempts", blockedDesc)
}

// TestBruteForceIsPerIP: a block refuses one IP; the user logs in from
// another, and that success does not lift the first IP's block.
func TestBruteForceIsPerIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrong := b.realmParams("password", "not the password")
	for range keyhook.DefaultMaxLoginFailures {
		b.postFrom(t, "127.0.0.1", wrong)
	}
	b.postFrom(t, "127.0.0.1", b.realmParams()).wantError(t, 429, "too_many_attempts", blockedDesc)
	if r := b.postFrom(t, "127.0.0.2", b.realmParams()); r.status != 200 {
		t.Fatalf("from another IP: %d %s", r.status, r.raw)
	}
	b.postFrom(t, "127.0.0.1", b.realmParams()).wantError(t, 429, "too_many_attempts", blockedDesc)
}

// TestBruteForceParallel: 30 wrong passwords at once. The count is atomic,
// so exactly 9 of them see a count under the threshold ("wrong password")
// and every other one is refused as blocked.
func TestBruteForceParallel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrong := b.realmParams("password", "not the password")
	const n = 30
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = b.post(t, wrong, false).status })
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[403] != keyhook.DefaultMaxLoginFailures-1 || count[429] != n-count[403] {
		t.Fatalf("statuses %v, want 9 × 403 and 21 × 429", count)
	}
}

func TestBruteForceOffAndUnknownUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Unknown users have no pair to block: they are the per-IP throttle's.
	unknown := b.realmParams("username", "nobody@example.test", "password", "whatever")
	for range 12 {
		b.post(t, unknown, false).wantError(t, 403, "invalid_grant", wrongDesc)
	}
	b.protect(t, AttackProtection{MaxLoginFailures: -1})
	wrong := b.realmParams("password", "not the password")
	for range 12 {
		b.post(t, wrong, false).wantError(t, 403, "invalid_grant", wrongDesc)
	}
	if r := b.post(t, b.realmParams(), false); r.status != 200 {
		t.Fatalf("brute-force protection off: %d %s", r.status, r.raw)
	}
	fs, err := b.db.LoginFailureList(context.Background(), store.LoginFailureListParams{})
	if err != nil || len(fs) != 0 {
		t.Fatalf("failures recorded = %+v, %v; want none", fs, err)
	}
}

// manualClock drives a limiter in tests.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestLoginFailuresPerIP is suspicious IP throttling: failed logins of any
// users spend the IP's allowance; then even a right password is refused
// with Retry-After, other IPs are not, and time brings attempts back.
func TestLoginFailuresPerIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := &manualClock{t: time.Unix(1_700_000_000, 0)}
	// 3 failures, then one more attempt per 100 s.
	b.protect(t, AttackProtection{LoginFailuresPerIP: ratelimit.New(ratelimit.Config{Capacity: 3, RefillPerSecond: 0.01, Now: clock.Now})})
	for _, user := range []string{"a@example.test", "b@example.test", "jane"} {
		r := b.postFrom(t, "127.0.0.1", b.realmParams("username", user, "password", "guess"))
		r.wantError(t, 403, "invalid_grant", wrongDesc)
	}
	r := b.postFrom(t, "127.0.0.1", b.realmParams())
	r.wantError(t, 429, "too_many_attempts", suspiciousDesc)
	if got := r.header.Get("Retry-After"); got != "100" {
		t.Fatalf("Retry-After %q, want 100", got)
	}
	if e := b.lastLog(t); e.Type != keyhook.LogBlockedIP || e.IP != "127.0.0.1" {
		t.Fatalf("log %+v, want limit_mu", e)
	}
	if r := b.postFrom(t, "127.0.0.2", b.realmParams()); r.status != 200 {
		t.Fatalf("another IP: %d %s", r.status, r.raw)
	}
	// Successes spend nothing.
	for range 3 {
		if r := b.postFrom(t, "127.0.0.2", b.realmParams()); r.status != 200 {
			t.Fatalf("another IP again: %d %s", r.status, r.raw)
		}
	}
	clock.Advance(100 * time.Second)
	if r := b.postFrom(t, "127.0.0.1", b.realmParams()); r.status != 200 {
		t.Fatalf("after the wait: %d %s", r.status, r.raw)
	}
}

// TestClientAuthFailuresPerIP: wrong client secrets spend the IP's
// allowance; then the endpoint answers 429 with Retry-After before looking
// at the client.
func TestClientAuthFailuresPerIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := &manualClock{t: time.Unix(1_700_000_000, 0)}
	b.protect(t, AttackProtection{ClientAuthFailuresPerIP: ratelimit.New(ratelimit.Config{Capacity: 2, RefillPerSecond: 0.1, Now: clock.Now})})
	// A request without client_id is malformed, not a failed authentication.
	for range 3 {
		r := b.postFrom(t, "127.0.0.1", url.Values{"grant_type": {GrantClientCredentials}, "audience": {testAudience}})
		r.wantError(t, 400, "invalid_request", "Missing required parameter: client_id")
	}
	b.postFrom(t, "127.0.0.1", b.m2mParams("client_secret", "wrong")).wantError(t, 401, "access_denied", "Unauthorized")
	b.postFrom(t, "127.0.0.1", b.m2mParams("client_id", "no-such-client")).wantError(t, 401, "access_denied", "Unauthorized")
	r := b.postFrom(t, "127.0.0.1", b.m2mParams())
	r.wantError(t, 429, "too_many_requests", "")
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Fatalf("Retry-After %q, want 10", got)
	}
	if e := b.lastLog(t); e.Type != keyhook.LogAPILimit {
		t.Fatalf("log %+v, want api_limit", e)
	}
	if r := b.postFrom(t, "127.0.0.2", b.m2mParams()); r.status != 200 {
		t.Fatalf("another IP: %d %s", r.status, r.raw)
	}
	clock.Advance(10 * time.Second)
	if r := b.postFrom(t, "127.0.0.1", b.m2mParams()); r.status != 200 {
		t.Fatalf("after the wait: %d %s", r.status, r.raw)
	}
}
