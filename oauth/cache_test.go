package oauth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestLookupCache shows how long a Management API change takes to reach
// the token endpoint: at most the TTL, at once with the cache off, and a
// grant created after a refused request is usable immediately.
func TestLookupCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	clock := &testClock{t: time.Now()}
	b.handler.Now = clock.now
	b.handler.LookupCacheTTL = 2 * time.Second

	scopeOf := func() string {
		t.Helper()
		r := b.post(t, b.m2mParams(), false)
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.raw)
		}
		s, _ := b.verify(t, r.body["access_token"].(string))["scope"].(string)
		return s
	}
	if s := scopeOf(); s != "read:a write:a" {
		t.Fatalf("scope %q", s)
	}
	g, err := b.db.ClientGrantFind(ctx, b.m2m.ClientID, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	g.Scope = []string{"read:a"}
	if err := b.db.ClientGrantUpdate(ctx, g); err != nil {
		t.Fatal(err)
	}
	if s := scopeOf(); s != "read:a write:a" {
		t.Fatalf("within the TTL: scope %q, want the cached grant's", s)
	}
	clock.add(2 * time.Second)
	if s := scopeOf(); s != "read:a" {
		t.Fatalf("after the TTL: scope %q, want read:a", s)
	}

	b.handler.LookupCacheTTL = -1
	g.Scope = []string{"write:a"}
	if err := b.db.ClientGrantUpdate(ctx, g); err != nil {
		t.Fatal(err)
	}
	if s := scopeOf(); s != "write:a" {
		t.Fatalf("cache off: scope %q, want write:a", s)
	}

	// Misses are not cached.
	b.handler.LookupCacheTTL = time.Hour
	b.post(t, b.m2mParams("audience", otherAPI), false).wantError(t, 403, "access_denied", "")
	if err := b.db.ClientGrantCreate(ctx, &keyhook.ClientGrant{ID: "cgr_other", ClientID: b.m2m.ClientID, Audience: otherAPI}); err != nil {
		t.Fatal(err)
	}
	if r := b.post(t, b.m2mParams("audience", otherAPI), false); r.status != 200 {
		t.Fatalf("new grant not usable at once: %d %s", r.status, r.raw)
	}
}
