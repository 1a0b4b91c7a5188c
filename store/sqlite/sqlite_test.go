package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/storetest"
)

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

// testLogger keeps River's start/stop chatter out of test output but shows
// its warnings and errors.
var testLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

func openTest(t *testing.T, cfg Config) *DB {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "keyhook.db")
	}
	if cfg.Sealer == nil {
		cfg.Sealer = testBox(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger
	}
	db, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Config{}) })
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	storetest.RunConcurrency(t, func(t *testing.T) store.Store { return openTest(t, Config{}) })
}

func TestJobs(t *testing.T) {
	t.Parallel()
	storetest.RunJobs(t, func(t *testing.T, workers *river.Workers) store.Store {
		return openTest(t, Config{Workers: workers})
	})
}

// TestSecretsSealedAtRest searches every file of the database (main file,
// WAL and shared memory) for the plaintexts, both while open and after the
// WAL has been checkpointed into the main file on Close.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keyhook.db")
	db, err := Open(t.Context(), Config{Path: path, Sealer: testBox(t), Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteSecrets(t, db)

	check := func(when string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		sawHookRow := false
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range storetest.SecretMarkers {
				if bytes.Contains(raw, []byte(m)) {
					t.Errorf("%s: %s holds %q in plaintext", when, e.Name(), m)
				}
			}
			// The hook's name is not secret: finding it shows the search
			// reads the bytes the rows live in.
			sawHookRow = sawHookRow || bytes.Contains(raw, []byte("secret-holder"))
		}
		if !sawHookRow {
			t.Fatalf("%s: the hook row is in none of the files; the search proves nothing", when)
		}
	}
	check("open")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keyhook.db")
	box := testBox(t)
	db, err := Open(t.Context(), Config{Path: path, Sealer: box, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	h := &keyhook.Hook{ID: "h1", Name: "h1", Script: "x", TriggerID: keyhook.TriggerCredentialsExchange}
	if err := db.HookCreate(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	if err := db.HookSecretsPut(t.Context(), "h1", map[string]string{"K": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTest(t, Config{Path: path, Sealer: box})
	got, err := db.HookSecretsGet(t.Context(), "h1")
	if err != nil || got["K"] != "v" {
		t.Fatalf("secrets after reopen = %v, %v", got, err)
	}
	var versions int
	if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", versions, len(ms))
	}
}

func TestWrongKeyCannotOpenSecrets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keyhook.db")
	db, err := Open(t.Context(), Config{Path: path, Sealer: testBox(t), Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteSecrets(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, Config{Path: path, Sealer: testBox(t)})
	hooks, _, err := db.HookList(t.Context(), store.HookListParams{})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("HookList = %v, %v", hooks, err)
	}
	if _, err := db.HookSecretsGet(t.Context(), hooks[0].ID); err == nil {
		t.Fatal("secrets opened under a different key")
	}
	if _, err := db.SigningKeyList(t.Context()); err == nil {
		t.Fatal("signing keys opened under a different key")
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	box := testBox(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no path", Config{Sealer: box}},
		{"no sealer", Config{Path: filepath.Join(t.TempDir(), "x.db")}},
		{"query in path", Config{Path: filepath.Join(t.TempDir(), "x.db?mode=ro"), Sealer: box}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if db, err := Open(context.Background(), tt.cfg); err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, tt := range tests {
		var got string
		if err := db.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
}
