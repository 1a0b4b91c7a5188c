package jsrt

import (
	"sync"
	"time"
)

// Limits of api.cache, as Auth0 documents them.
const (
	cacheMaxEntries  = 20
	cacheMaxKey      = 64
	cacheMaxValue    = 4 << 10
	cacheMaxTotal    = 8 << 10
	cacheDefaultTTL  = 15 * time.Minute
	cacheMaxLifetime = 24 * time.Hour
)

// Codes of api.cache write errors (Auth0 does not document its own).
const (
	CacheInvalidKey   = "invalid_key"   // not a string, empty, or over 64 bytes
	CacheInvalidValue = "invalid_value" // not a string, or over 4 KiB
	CacheInvalidTTL   = "invalid_ttl"   // ttl not positive, or expires_at not a number
)

// CacheError is a refused api.cache write.
type CacheError struct{ Code string }

func (e *CacheError) Error() string { return "cache: " + e.Code }

// ActionCache is the store behind api.cache for one action and trigger.
// Like Auth0's it is best effort: at most 20 entries and 8 KiB of keys and
// values, the entries closest to expiry making room for new ones, and
// lifetimes of 15 minutes unless set (24 hours at most). It is safe for
// concurrent use.
type ActionCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	now     func() time.Time
}

type cacheEntry struct {
	value   string
	expires time.Time
}

// NewActionCache returns an empty cache.
func NewActionCache() *ActionCache {
	return &ActionCache{entries: map[string]cacheEntry{}, now: time.Now}
}

// Get returns the value at key and when it expires.
func (c *ActionCache) Get(key string) (string, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return "", time.Time{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		return "", time.Time{}, false
	}
	return e.value, e.expires, true
}

// Set stores value at key until the earlier of now+ttl and expiresAt (zero
// values: unset), or 15 minutes when neither is set, capped at 24 hours.
func (c *ActionCache) Set(key, value string, ttl time.Duration, expiresAt time.Time) error {
	if key == "" || len(key) > cacheMaxKey {
		return &CacheError{Code: CacheInvalidKey}
	}
	if len(value) > cacheMaxValue || len(key)+len(value) > cacheMaxTotal {
		return &CacheError{Code: CacheInvalidValue}
	}
	now := c.now()
	expires := now.Add(cacheDefaultTTL)
	if ttl > 0 || !expiresAt.IsZero() {
		expires = now.Add(cacheMaxLifetime)
		if ttl > 0 && now.Add(ttl).Before(expires) {
			expires = now.Add(ttl)
		}
		if !expiresAt.IsZero() && expiresAt.Before(expires) {
			expires = expiresAt
		}
	}
	if !now.Before(expires) {
		return &CacheError{Code: CacheInvalidTTL}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
	total := 0
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
			continue
		}
		total += len(k) + len(e.value)
	}
	for len(c.entries) >= cacheMaxEntries || total+len(key)+len(value) > cacheMaxTotal {
		var victim string
		var soonest time.Time
		for k, e := range c.entries {
			if victim == "" || e.expires.Before(soonest) {
				victim, soonest = k, e.expires
			}
		}
		total -= len(victim) + len(c.entries[victim].value)
		delete(c.entries, victim)
	}
	c.entries[key] = cacheEntry{value: value, expires: expires}
	return nil
}

// Delete removes key.
func (c *ActionCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
