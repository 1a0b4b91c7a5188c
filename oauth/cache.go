package oauth

import (
	"context"
	"sync"
	"time"
)

// DefaultLookupCacheTTL is how long the token endpoint reuses a client,
// resource server or client grant it read from the store. A change made
// through the Management API (on any node) is seen by every node within
// this time; Auth0 documents similar propagation delays.
const DefaultLookupCacheTTL = time.Second

// maxCacheEntries bounds each cache; a full cache is emptied rather than
// evicted entry by entry, which is simple and, at this size, rare.
const maxCacheEntries = 10_000

// lookupCache remembers successful store reads for a short time. Misses
// and errors are never cached, so something just created is usable at
// once. Cached values are shared: callers must not modify them.
type lookupCache[V any] struct {
	mu      sync.Mutex
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       *V
	expires time.Time
}

// get returns the cached value of key or loads it with load.
func (c *lookupCache[V]) get(ctx context.Context, ttl time.Duration, now time.Time, key string, load func(context.Context) (*V, error)) (*V, error) {
	if ttl <= 0 {
		return load(ctx)
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCacheEntries {
		c.entries = make(map[string]cacheEntry[V])
	}
	c.entries[key] = cacheEntry[V]{v: v, expires: now.Add(ttl)}
	c.mu.Unlock()
	return v, nil
}

func (h *Handler) cacheTTL() time.Duration {
	if h.LookupCacheTTL == 0 {
		return DefaultLookupCacheTTL
	}
	return h.LookupCacheTTL
}
