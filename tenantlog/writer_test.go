package tenantlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres"
	"github.com/keyhook/keyhook/store/sqlite"
)

var testLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// backends runs fn once per storage backend, each subtest with a store of
// its own: a SQLite file, and a fresh PostgreSQL schema when
// KEYHOOK_TEST_POSTGRES_URL is set.
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) store.Store { return openSQLite(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("KEYHOOK_TEST_POSTGRES_URL") == "" {
			t.Skip("KEYHOOK_TEST_POSTGRES_URL is not set")
		}
		t.Parallel()
		fn(t, func(t *testing.T) store.Store { return openPostgres(t) })
	})
}

func testBox(t testing.TB) *secretbox.Box {
	t.Helper()
	key := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "keyhook.db"), Sealer: testBox(t), Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func openPostgres(t testing.TB) store.Store {
	t.Helper()
	url := os.Getenv("KEYHOOK_TEST_POSTGRES_URL")
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "keyhook_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	st, err := postgres.Open(t.Context(), postgres.Config{URL: url, Schema: schema, Sealer: testBox(t), Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func entry(i int) *keyhook.LogEntry {
	return &keyhook.LogEntry{Type: keyhook.LogSuccessCredentialsExchange, ClientID: fmt.Sprintf("client-%d", i), Description: "test"}
}

// mustBeStored fails unless e can be read back as written.
func mustBeStored(t *testing.T, st store.Store, e *keyhook.LogEntry) {
	t.Helper()
	got, err := st.LogGet(context.Background(), e.LogID)
	if err != nil {
		t.Errorf("entry %s (%s) not stored: %v", e.LogID, e.ClientID, err)
		return
	}
	if got.ClientID != e.ClientID || got.Type != e.Type {
		t.Errorf("entry %s stored as %s/%s, want %s/%s", e.LogID, got.Type, got.ClientID, e.Type, e.ClientID)
	}
}

// queued starts writes of entries that wait in w's queue, its flusher not
// running yet, so the first flush sees all of them. It returns each
// write's outcome once the flusher has answered.
func queued(t *testing.T, w *Writer, ctx context.Context, entries []*keyhook.LogEntry) func() []error {
	t.Helper()
	errs := make([]error, len(entries))
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Go(func() { errs[i] = w.Write(ctx, e) })
	}
	for len(w.queue) < len(entries) {
		time.Sleep(time.Millisecond)
	}
	return func() []error {
		wg.Wait()
		return errs
	}
}

func TestWriterConcurrentWritesDurable(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := NewWriter(st, WriterConfig{})
		defer w.Close()
		const writers, each = 32, 5
		var wg sync.WaitGroup
		for g := range writers {
			wg.Go(func() {
				for i := range each {
					e := entry(g*each + i)
					if err := w.Write(context.Background(), e); err != nil {
						t.Errorf("write %s: %v", e.ClientID, err)
						return
					}
					// Durable when Write returns: another reader sees it now.
					mustBeStored(t, st, e)
				}
			})
		}
		wg.Wait()
		_, total, err := st.LogList(context.Background(), store.LogListParams{})
		if err != nil {
			t.Fatal(err)
		}
		if total != writers*each {
			t.Fatalf("%d entries stored, want %d", total, writers*each)
		}
		t.Logf("%d entries in %d transactions", total, w.batches.Load())
	})
}

func TestWriterGroupsQueuedEntries(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := newWriter(st, WriterConfig{})
		entries := make([]*keyhook.LogEntry, 20)
		for i := range entries {
			entries[i] = entry(i)
		}
		wait := queued(t, w, context.Background(), entries)
		go w.run()
		defer w.Close()
		for i, err := range wait() {
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
		for _, e := range entries {
			mustBeStored(t, st, e)
		}
		if n := w.batches.Load(); n != 1 {
			t.Fatalf("%d transactions for %d queued entries, want 1", n, len(entries))
		}
	})
}

// A client that disconnects cancels its request's context; its entry is
// stored all the same, whether the context ends before or during the wait.
func TestWriterIgnoresCancellation(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := newWriter(st, WriterConfig{})
		during, cancel := context.WithCancel(context.Background())
		waiting := entry(1)
		wait := queued(t, w, during, []*keyhook.LogEntry{waiting})
		cancel()
		go w.run()
		defer w.Close()
		if err := wait()[0]; err != nil {
			t.Fatalf("write cancelled while queued: %v", err)
		}
		mustBeStored(t, st, waiting)

		before, cancel := context.WithCancel(context.Background())
		cancel()
		e := entry(2)
		if err := w.Write(before, e); err != nil {
			t.Fatalf("write with a cancelled context: %v", err)
		}
		mustBeStored(t, st, e)
	})
}

// An entry the database refuses (here a duplicate id) fails alone; the
// others in its batch are stored.
func TestWriterRefusedEntryFailsAlone(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		first := entry(0)
		if err := Write(context.Background(), st, first); err != nil {
			t.Fatal(err)
		}
		w := newWriter(st, WriterConfig{})
		entries := make([]*keyhook.LogEntry, 10)
		for i := range entries {
			entries[i] = entry(i + 1)
		}
		dup := entries[4]
		dup.LogID, dup.Date = first.LogID, first.Date
		wait := queued(t, w, context.Background(), entries)
		go w.run()
		defer w.Close()
		for i, err := range wait() {
			if entries[i] == dup {
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("duplicate id: got %v, want ErrConflict", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			mustBeStored(t, st, entries[i])
		}
		got, err := st.LogGet(context.Background(), first.LogID)
		if err != nil || got.ClientID != first.ClientID {
			t.Fatalf("first entry %v %v, want it unchanged", got, err)
		}
		if n := w.batches.Load(); n != 1+int64(len(entries)) {
			t.Fatalf("%d writes, want %d (the batch, then each entry alone)", n, 1+len(entries))
		}
	})
}

// A batch that fails as a whole (the store is closed) answers every waiter
// with the error, without retrying entry by entry.
func TestWriterFailedBatchAnswersEveryWaiter(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := newWriter(st, WriterConfig{})
		entries := make([]*keyhook.LogEntry, 10)
		for i := range entries {
			entries[i] = entry(i)
		}
		wait := queued(t, w, context.Background(), entries)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		go w.run()
		defer w.Close()
		for i, err := range wait() {
			if err == nil {
				t.Errorf("write %d to a closed store succeeded", i)
			}
		}
		if n := w.batches.Load(); n != 1 {
			t.Fatalf("%d writes, want 1 (no entry-by-entry retry against a closed store)", n)
		}
	})
}

// Close stores what is queued before it returns; later writes go to the
// store directly.
func TestWriterCloseDrains(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := newWriter(st, WriterConfig{})
		entries := make([]*keyhook.LogEntry, 50)
		for i := range entries {
			entries[i] = entry(i)
		}
		wait := queued(t, w, context.Background(), entries)
		go w.run()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for i, err := range wait() {
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
		for _, e := range entries {
			mustBeStored(t, st, e)
		}
		late := entry(99)
		if err := w.Write(context.Background(), late); err != nil {
			t.Fatalf("write after Close: %v", err)
		}
		mustBeStored(t, st, late)
	})
}

// While entries arrive concurrently, the flusher lingers for more before a
// commit; Close ends a linger at once.
func TestWriterLingers(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		w := newWriter(st, WriterConfig{MaxBatch: 3, Linger: time.Hour})
		// A first batch of two marks the writer busy.
		wait := queued(t, w, context.Background(), []*keyhook.LogEntry{entry(0), entry(1)})
		go w.run()
		for i, err := range wait() {
			if err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		// Entries handed over one by one now share a commit: the first
		// waits for the others until the batch is full.
		var pending []*Pending
		for i := range 3 {
			pending = append(pending, w.Begin(context.Background(), entry(2+i)))
			time.Sleep(10 * time.Millisecond)
		}
		for i, p := range pending {
			if err := p.Wait(); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		if n := w.batches.Load(); n != 2 {
			t.Fatalf("%d batches, want 2", n)
		}
		// Busy again: a lone entry lingers, but not once its caller waits.
		waited := entry(8)
		if err := w.Begin(context.Background(), waited).Wait(); err != nil {
			t.Fatal(err)
		}
		mustBeStored(t, st, waited)
		// Nor past Close.
		last := entry(9)
		p := w.Begin(context.Background(), last)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		mustBeStored(t, st, last)
	})
}
