package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/storetest"
)

// testURL is the database the tests use; .ci/postgres.sh prepares one.
func testURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("KEYHOOK_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("KEYHOOK_TEST_POSTGRES_URL is not set; run .ci/postgres.sh and export the URL it prints to test store/postgres")
	}
	return url
}

func testBox(t *testing.T) *secretbox.Box {
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

var testLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// testSchema returns a new schema name and drops the schema when the test
// ends (after the store using it is closed: cleanups run last-in first-out).
func testSchema(t *testing.T) string {
	t.Helper()
	url := testURL(t)
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
	return schema
}

func openTest(t *testing.T, cfg Config) *DB {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = testURL(t)
	}
	if cfg.Schema == "" {
		cfg.Schema = testSchema(t)
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
	testURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Config{}) })
}

func TestConcurrency(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunConcurrency(t, func(t *testing.T) store.Store { return openTest(t, Config{}) })
}

func TestJobs(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunJobs(t, func(t *testing.T, workers *river.Workers) store.Store {
		return openTest(t, Config{Workers: workers, JobPollInterval: 200 * time.Millisecond})
	})
}

// TestSecretsSealedAtRest reads the stored bytes of the secret columns
// straight from the tables and fails if a plaintext is among them, then
// checks those bytes are the sealed values (they open under the store's key).
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	box := testBox(t)
	db := openTest(t, Config{Sealer: box})
	storetest.WriteSecrets(t, db)

	for _, q := range []string{`SELECT sealed FROM hook_secrets`, `SELECT private_key FROM signing_keys`} {
		rows, err := db.pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			for _, m := range storetest.SecretMarkers {
				if bytes.Contains(raw, []byte(m)) {
					t.Errorf("%s: holds %q in plaintext", q, m)
				}
			}
			if _, err := box.Open(raw); err != nil {
				t.Errorf("%s: stored bytes are not a sealed value: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%s: %d rows, want 1", q, n)
		}
	}
}

func TestReopenMigratesOnce(t *testing.T) {
	t.Parallel()
	schema := testSchema(t)
	box := testBox(t)
	first, err := Open(t.Context(), Config{URL: testURL(t), Schema: schema, Sealer: box, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteSecrets(t, first)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, Config{Schema: schema, Sealer: box})
	keys, err := db.SigningKeyList(t.Context())
	if err != nil || len(keys) != 1 || string(keys[0].PrivateKeyPEM) != storetest.PlaintextPEM {
		t.Fatalf("signing keys after reopen = %v, %v", keys, err)
	}
	var versions int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
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

// TestConcurrentOpen starts several nodes on one empty schema at once; the
// advisory lock must let exactly one migrate and the rest see its work.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	schema := testSchema(t)
	box := testBox(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			db, err := Open(t.Context(), Config{URL: testURL(t), Schema: schema, Sealer: box, Logger: testLogger})
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestSchemaIsolation checks that a schema's tables are its own: what one
// store writes, a store on another schema does not see.
func TestSchemaIsolation(t *testing.T) {
	t.Parallel()
	a := openTest(t, Config{})
	b := openTest(t, Config{})
	storetest.WriteSecrets(t, a)
	keys, err := b.SigningKeyList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("schema b sees %d keys written in schema a", len(keys))
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	box := testBox(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no url", Config{Sealer: box}},
		{"no sealer", Config{URL: "postgres://127.0.0.1:1/x"}},
		{"bad schema", Config{URL: "postgres://127.0.0.1:1/x", Sealer: box, Schema: `x"; DROP TABLE users; --`}},
		{"bad url", Config{URL: "://", Sealer: box}},
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
