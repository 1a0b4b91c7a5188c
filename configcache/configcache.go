// Package configcache keeps the configuration the hot paths read on every
// request — clients, resource servers, client grants and each trigger's
// enabled hook with its secrets and bound actions — in memory, valid while
// the store's configuration version (bumped by the database on every
// change, on any node) is unchanged. A request costs at most one indexed read instead of
// one query per entity. Concurrent requests share version reads: a request
// waits for a read that starts after it arrived, as a group commit shares a
// commit.
//
// With MaxAge zero every request reads the version, so a change made
// anywhere is seen by the next request. With MaxAge set (keyhook serve sets
// it), a version read is trusted for that long: a change made through this
// process (Invalidate, which the Management API calls before it answers a
// write) is still seen by the next request, and a change made by another
// process sharing the database within MaxAge. Auth0's own configuration
// propagates with a delay too; the read it saves is a database round trip
// per group of requests on the token endpoint.
//
// Cached values are shared between requests: callers must not modify them.
//
// It imports the domain package and store.
package configcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// maxEntries bounds each map; a full map is emptied rather than evicted
// entry by entry, which is simple and, at this size, rare.
const maxEntries = 10_000

// Cache is safe for concurrent use. The zero value is not usable: set Store.
type Cache struct {
	Store store.Querier
	// MaxAge is how long a version read vouches for changes made by other
	// processes; zero reads the version on every View.
	MaxAge time.Duration

	// generation counts Invalidate calls; a version read vouches only for
	// the generation it saw when it started.
	generation atomic.Uint64

	mu      sync.Mutex
	version int64
	loaded  bool
	// checkedAt and checkedGen describe the latest version read that
	// confirmed version: when it started and the generation it started in.
	checkedAt  time.Time
	checkedGen uint64
	clients    map[string]*keyhook.Client
	apis       map[string]*keyhook.ResourceServer
	grants     map[[2]string]*keyhook.ClientGrant
	hooks      map[keyhook.TriggerID]hookEntry
	flows      map[keyhook.TriggerID][]store.DeployedBinding

	// next is the version read that requests arriving now join; it has not
	// started yet. reading is held by the one read in flight.
	readMu  sync.Mutex
	next    *versionRead
	reading sync.Mutex
}

// versionRead is one ConfigVersion query shared by every request that
// joined it before it started.
type versionRead struct {
	done       chan struct{}
	version    int64
	err        error
	started    time.Time
	generation uint64
}

// versionReadTimeout bounds a shared read, which no single request's
// cancellation may stop.
const versionReadTimeout = 10 * time.Second

type hookEntry struct {
	hook    *keyhook.Hook // nil: the trigger has no enabled hook
	secrets map[string]string
}

// View is one request's look at the cache, fixed at one configuration
// version.
type View struct {
	c       *Cache
	version int64
}

// Invalidate makes the next View read the configuration version again.
// Call it after a change to the configuration is committed and before
// anyone is told about it.
func (c *Cache) Invalidate() {
	c.generation.Add(1)
}

// View reads the configuration version, unless a read within MaxAge
// vouches for it, and drops everything cached if it moved.
func (c *Cache) View(ctx context.Context) (*View, error) {
	if c.MaxAge > 0 {
		gen := c.generation.Load()
		c.mu.Lock()
		if c.loaded && c.checkedGen == gen && time.Since(c.checkedAt) < c.MaxAge {
			v := c.version
			c.mu.Unlock()
			return &View{c: c, version: v}, nil
		}
		c.mu.Unlock()
	}
	r, err := c.readVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("configcache: %w", err)
	}
	v := r.version
	c.mu.Lock()
	// The version only grows; a request that read an older one than the
	// cache holds must not roll the cache back (its lookups just miss).
	if !c.loaded || v > c.version {
		c.version, c.loaded = v, true
		c.clients, c.apis, c.grants, c.hooks, c.flows = nil, nil, nil, nil, nil
	}
	if v == c.version && r.started.After(c.checkedAt) {
		c.checkedAt, c.checkedGen = r.started, r.generation
	}
	c.mu.Unlock()
	return &View{c: c, version: v}, nil
}

// readVersion returns a version read that started after the call did. The first caller to find no read waiting to
// start becomes its leader: it waits for the read in flight (which may have
// started before some joiners arrived), closes the group and runs the query;
// everyone who joined meanwhile shares the answer.
func (c *Cache) readVersion(ctx context.Context) (*versionRead, error) {
	c.readMu.Lock()
	r := c.next
	leader := r == nil
	if leader {
		r = &versionRead{done: make(chan struct{})}
		c.next = r
	}
	c.readMu.Unlock()
	if !leader {
		select {
		case <-r.done:
			return r, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.reading.Lock()
	c.readMu.Lock()
	c.next = nil // later arrivals wait for a read that starts after them
	c.readMu.Unlock()
	// The generation is taken before the query: an Invalidate during it
	// leaves the answer vouching for the older generation only.
	r.generation, r.started = c.generation.Load(), time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), versionReadTimeout)
	r.version, r.err = c.Store.ConfigVersion(rctx)
	cancel()
	c.reading.Unlock()
	close(r.done)
	return r, r.err
}

// put stores a loaded value only if the cache is still at the version the
// view read before loading: a value loaded across a change is not kept.
func put[K comparable, V any](c *Cache, version int64, m *map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return
	}
	if *m == nil || len(*m) >= maxEntries {
		*m = make(map[K]V)
	}
	(*m)[k] = v
}

// get returns a cached value only to a view of the cache's own version.
func get[K comparable, V any](c *Cache, version int64, m *map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		var zero V
		return zero, false
	}
	v, ok := (*m)[k]
	return v, ok
}

// Client returns a client by id; misses are not cached.
func (v *View) Client(ctx context.Context, id string) (*keyhook.Client, error) {
	if c, ok := get(v.c, v.version, &v.c.clients, id); ok {
		return c, nil
	}
	c, err := v.c.Store.ClientGet(ctx, id)
	if err != nil {
		return nil, err
	}
	put(v.c, v.version, &v.c.clients, id, c)
	return c, nil
}

// ResourceServer returns a resource server by identifier (audience).
func (v *View) ResourceServer(ctx context.Context, identifier string) (*keyhook.ResourceServer, error) {
	if rs, ok := get(v.c, v.version, &v.c.apis, identifier); ok {
		return rs, nil
	}
	rs, err := v.c.Store.ResourceServerGetByIdentifier(ctx, identifier)
	if err != nil {
		return nil, err
	}
	put(v.c, v.version, &v.c.apis, identifier, rs)
	return rs, nil
}

// ClientGrant returns the grant of a client for an audience.
func (v *View) ClientGrant(ctx context.Context, clientID, audience string) (*keyhook.ClientGrant, error) {
	k := [2]string{clientID, audience}
	if g, ok := get(v.c, v.version, &v.c.grants, k); ok {
		return g, nil
	}
	g, err := v.c.Store.ClientGrantFind(ctx, clientID, audience)
	if err != nil {
		return nil, err
	}
	put(v.c, v.version, &v.c.grants, k, g)
	return g, nil
}

// EnabledHook returns the enabled hook of a trigger and its decrypted
// secrets, or a nil hook when there is none (that answer is cached too: most
// requests run no hook).
func (v *View) EnabledHook(ctx context.Context, t keyhook.TriggerID) (*keyhook.Hook, map[string]string, error) {
	if e, ok := get(v.c, v.version, &v.c.hooks, t); ok {
		return e.hook, e.secrets, nil
	}
	h, err := v.c.Store.HookGetEnabled(ctx, t)
	if errors.Is(err, store.ErrNotFound) {
		put(v.c, v.version, &v.c.hooks, t, hookEntry{})
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	secrets, err := v.c.Store.HookSecretsGet(ctx, h.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	put(v.c, v.version, &v.c.hooks, t, hookEntry{hook: h, secrets: secrets})
	return h, secrets, nil
}

// Flow returns the actions bound to a trigger, in order, each with its
// deployed version (bundle and secrets included); empty when none is bound.
func (v *View) Flow(ctx context.Context, t keyhook.TriggerID) ([]store.DeployedBinding, error) {
	if f, ok := get(v.c, v.version, &v.c.flows, t); ok {
		return f, nil
	}
	f, err := v.c.Store.BindingListDeployed(ctx, t)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = []store.DeployedBinding{}
	}
	put(v.c, v.version, &v.c.flows, t, f)
	return f, nil
}
