package configcache

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "k.db"), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCacheSeesEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	c := &Cache{Store: st}
	view := func() *View {
		t.Helper()
		v, err := c.View(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// No hook yet: the absence is cached, and creating one is seen at once.
	if h, _, err := view().EnabledHook(ctx, keyhook.TriggerCredentialsExchange); h != nil || err != nil {
		t.Fatalf("EnabledHook = %v, %v", h, err)
	}
	hook := &keyhook.Hook{ID: "01HCACHE000000000000000000", Name: "h", Script: "v1", TriggerID: keyhook.TriggerCredentialsExchange, Enabled: true}
	if err := st.HookCreate(ctx, hook); err != nil {
		t.Fatal(err)
	}
	h, _, err := view().EnabledHook(ctx, keyhook.TriggerCredentialsExchange)
	if err != nil || h == nil || h.Script != "v1" {
		t.Fatalf("after create: %+v, %v", h, err)
	}
	if err := st.HookSecretsPut(ctx, hook.ID, map[string]string{"K": "v"}); err != nil {
		t.Fatal(err)
	}
	if _, s, _ := view().EnabledHook(ctx, keyhook.TriggerCredentialsExchange); s["K"] != "v" {
		t.Fatalf("secrets after put = %v", s)
	}
	if _, err := st.HookUpdate(ctx, hook.ID, func(h *keyhook.Hook) error { h.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := view().EnabledHook(ctx, keyhook.TriggerCredentialsExchange); h != nil {
		t.Fatalf("a disabled hook is still served: %+v", h)
	}

	client := &keyhook.Client{ClientID: "c1", Name: "one", SecretHash: "a"}
	if _, err := view().Client(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing client: %v", err)
	}
	if err := st.ClientCreate(ctx, client); err != nil {
		t.Fatal(err)
	}
	if got, err := view().Client(ctx, "c1"); err != nil || got.SecretHash != "a" {
		t.Fatalf("client = %+v, %v", got, err)
	}
	if _, err := st.ClientUpdate(ctx, client.ClientID, func(c *keyhook.Client) error { c.SecretHash = "b"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := view().Client(ctx, "c1"); got.SecretHash != "b" {
		t.Fatalf("rotated secret not seen: %q", got.SecretHash)
	}

	rs := &keyhook.ResourceServer{ID: "rs1", Identifier: "https://api.test/", Name: "api"}
	if err := st.ResourceServerCreate(ctx, rs); err != nil {
		t.Fatal(err)
	}
	g := &keyhook.ClientGrant{ID: "cgr_1", ClientID: "c1", Audience: rs.Identifier, Scope: []string{"a"}}
	if err := st.ClientGrantCreate(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, err := view().ClientGrant(ctx, "c1", rs.Identifier); err != nil || len(got.Scope) != 1 {
		t.Fatalf("grant = %+v, %v", got, err)
	}
	if _, err := st.ClientGrantUpdate(ctx, g.ID, func(g *keyhook.ClientGrant) error { g.Scope = []string{"a", "b"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := view().ClientGrant(ctx, "c1", rs.Identifier); len(got.Scope) != 2 {
		t.Fatalf("updated grant not seen: %v", got.Scope)
	}
	if got, err := view().ResourceServer(ctx, rs.Identifier); err != nil || got.Name != "api" {
		t.Fatalf("resource server = %+v, %v", got, err)
	}
}

// TestStaleLoadNotKept: a value loaded by a view older than the cache's
// current version is not stored.
func TestStaleLoadNotKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	c := &Cache{Store: st}
	old, err := c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: "c", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.View(ctx); err != nil { // moves the cache to the new version
		t.Fatal(err)
	}
	if _, err := old.Client(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, ok := get(c, c.version, &c.clients, "c"); ok {
		t.Error("a value loaded through a stale view was cached")
	}
}

// TestConcurrentViews runs lookups while the version moves (go test -race).
func TestConcurrentViews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	c := &Cache{Store: st}
	if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: "c", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			if _, err := st.ClientUpdate(ctx, "c", func(c *keyhook.Client) error { c.Name = fmt.Sprint("n", i); return nil }); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				v, err := c.View(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Client(ctx, "c"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
	// After the last change, a fresh view serves the last write.
	v, err := c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.Client(ctx, "c"); err != nil || got.Name != "n19" {
		t.Fatalf("client = %+v, %v", got, err)
	}
}

// gatedStore counts ConfigVersion reads and holds each one's answer until
// gate is closed, so a test can make requests arrive, and changes commit,
// while a read is in flight.
type gatedStore struct {
	store.Store
	reads atomic.Int64
	gate  chan struct{}
}

func (s *gatedStore) ConfigVersion(ctx context.Context) (int64, error) {
	s.reads.Add(1)
	v, err := s.Store.ConfigVersion(ctx)
	<-s.gate
	return v, err
}

// TestViewsShareReads: requests arriving while a version read is in flight
// share the next read instead of each making its own.
func TestViewsShareReads(t *testing.T) {
	t.Parallel()
	st := &gatedStore{Store: openStore(t), gate: make(chan struct{})}
	c := &Cache{Store: st}
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := c.View(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the others join while the first read is held
	close(st.gate)
	wg.Wait()
	if r := st.reads.Load(); r >= n {
		t.Fatalf("%d version reads for %d views: none shared", r, n)
	}
	t.Logf("%d version reads for %d views", st.reads.Load(), n)
}

// TestSharedReadsSeeEarlierChanges: a view sees every change committed
// before it was asked for, however reads are shared.
func TestSharedReadsSeeEarlierChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	c := &Cache{Store: st}
	var committed atomic.Int64 // the version after the newest finished change
	stop := make(chan struct{})
	changes := make(chan struct{})
	go func() {
		defer close(changes)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: fmt.Sprint("c", i), Name: "n"}); err != nil {
				t.Error(err)
				return
			}
			v, err := st.ConfigVersion(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			committed.Store(v)
		}
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				before := committed.Load()
				v, err := c.View(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if v.version < before {
					t.Errorf("view at version %d, but %d was committed before it was asked for", v.version, before)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-changes
}

func (c *Cache) peekNext() *versionRead {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	return c.next
}

// TestViewCancelledWhileWaiting: a request that gives up while waiting for
// a shared read gets its context's error; the read goes on for the others.
func TestViewCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	st := &gatedStore{Store: openStore(t), gate: make(chan struct{})}
	c := &Cache{Store: st}
	first := make(chan error, 1)
	go func() {
		_, err := c.View(context.Background())
		first <- err
	}()
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	leader := make(chan error, 1)
	go func() { // leads the next read, waiting for the held one
		_, err := c.View(context.Background())
		leader <- err
	}()
	for c.peekNext() == nil {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.View(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled view: %v", err)
	}
	close(st.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
}

// TestMaxAge: with MaxAge set, a version read vouches for changes made
// elsewhere for that long, and Invalidate ends that at once.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &gatedStore{Store: openStore(t), gate: make(chan struct{})}
	close(st.gate)
	c := &Cache{Store: st, MaxAge: time.Hour}
	first, err := c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Another process's change: not seen while the read vouches.
	if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: "c", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	v, err := c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.version != first.version || st.reads.Load() != 1 {
		t.Fatalf("view at %d after %d reads; want the first read's %d, trusted", v.version, st.reads.Load(), first.version)
	}
	c.Invalidate()
	v, err = c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.version <= first.version {
		t.Fatalf("view after Invalidate at %d, not past %d", v.version, first.version)
	}
	if _, err := v.Client(ctx, "c"); err != nil {
		t.Fatalf("client created before Invalidate: %v", err)
	}

	// Expiry: a short MaxAge re-reads once it has passed.
	short := &Cache{Store: st, MaxAge: 5 * time.Millisecond}
	before, err := short.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: "c2", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	after, err := short.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.version <= before.version {
		t.Fatalf("view past MaxAge at %d, not past %d", after.version, before.version)
	}
}

// TestInvalidateDuringRead: a read that started before an Invalidate does
// not vouch for the change behind it; the next view reads again.
func TestInvalidateDuringRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &gatedStore{Store: openStore(t), gate: make(chan struct{})}
	c := &Cache{Store: st, MaxAge: time.Hour}
	done := make(chan error, 1)
	go func() {
		_, err := c.View(ctx)
		done <- err
	}()
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The read is in flight (its generation taken); a change commits and
	// is announced before the read answers.
	if err := st.ClientCreate(ctx, &keyhook.Client{ClientID: "c", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	want, err := st.Store.ConfigVersion(ctx) // the store itself, not the gate
	if err != nil {
		t.Fatal(err)
	}
	c.Invalidate()
	close(st.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	v, err := c.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.version < want {
		t.Fatalf("view at %d after Invalidate; the change made version %d", v.version, want)
	}
}
