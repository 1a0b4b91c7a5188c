package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
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

	for _, q := range []string{`SELECT sealed FROM hook_secrets`, `SELECT private_key FROM signing_keys`,
		`SELECT secrets FROM actions`, `SELECT secrets FROM action_versions`} {
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

// TestOpenRefusesAnotherKey: a database opened with one key refuses
// another at Open, with an error that names the setting to fix, and opens
// again with its own key.
func TestOpenRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	schema := testSchema(t)
	box := testBox(t)
	first, err := Open(t.Context(), Config{URL: testURL(t), Schema: schema, Sealer: box, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteSecrets(t, first)
	mustRefuse := func(t *testing.T) {
		t.Helper()
		db, err := Open(t.Context(), Config{URL: testURL(t), Schema: schema, Sealer: testBox(t), Logger: testLogger})
		if err == nil {
			_ = db.Close()
			t.Fatal("Open succeeded with another key")
		}
		if !errors.Is(err, store.ErrSecretKeyMismatch) || !strings.Contains(err.Error(), "every node sharing a database must use the same KEYHOOK_SECRET_KEY") {
			t.Fatalf("err = %v, want ErrSecretKeyMismatch naming KEYHOOK_SECRET_KEY", err)
		}
	}
	// Refused while the first node runs, and after it stopped.
	mustRefuse(t)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t)

	// A database from before the check value: its signing key decides.
	conn, err := pgx.Connect(t.Context(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	if _, err := conn.Exec(t.Context(), `DELETE FROM `+pgx.Identifier{schema, "meta"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t)

	// Its own key opens it (and stores the check value again).
	db := openTest(t, Config{Schema: schema, Sealer: box})
	keys, err := db.SigningKeyList(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("signing keys = %v, %v", keys, err)
	}
	stored, err := dbsqlc.New(db.pool).MetaGet(t.Context(), secretKeyCheck)
	if err != nil || stored == nil {
		t.Fatalf("check value = %v, %v", stored, err)
	}
	mustRefuse(t)
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

// TestQueryPlans checks that the lookups of users by email and username,
// the users list filtered by email, and the log lists search an index
// rather than scan the table. pgx prepares statements, and PostgreSQL soon
// plans a prepared statement once for any parameter values (the generic
// plan), so the test asks for that plan; sequential scans are priced out so
// that, on a small table, only an unusable index makes the planner scan.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	err := db.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		for i := range 200 {
			u := &keyhook.User{ID: fmt.Sprintf("auth0|%03d", i), Connection: "db",
				Email: fmt.Sprintf("u%03d@example.com", i), Username: fmt.Sprintf("u%03d", i)}
			if err := tx.UserCreate(ctx, u); err != nil {
				return err
			}
			types := []string{keyhook.LogSuccessLogin, keyhook.LogFailedLogin, keyhook.LogSuccessSignup, keyhook.LogSuccessCredentialsExchange}
			if err := tx.LogCreate(ctx, &keyhook.LogEntry{Type: types[i%len(types)], UserID: u.ID}); err != nil {
				return err
			}
			if _, err := tx.LoginFailureAdd(ctx, store.LoginFailureAddParams{UserID: u.ID, IP: "192.0.2.1", Identifier: u.Email}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{`ANALYZE users`, `ANALYZE logs`, `ANALYZE login_failures`, `SET plan_cache_mode = force_generic_plan`, `SET enable_seqscan = off`} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		// The connection goes back to the pool: restore its settings.
		_, _ = conn.Exec(context.WithoutCancel(t.Context()), `RESET ALL`)
	}()

	const email = "u001@example.com"
	// args are in $n order.
	tests := []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"UserGetByEmail", dbsqlc.UserGetByEmail, []any{email, "db"}, "users_email_connection"},
		{"UserGetByUsername", dbsqlc.UserGetByUsername, []any{"db", "u001"}, "users_connection_username"},
		{"UserCountByEmail", dbsqlc.UserCountByEmail, []any{email, ""}, "users_email_connection"},
		{"UserCountByEmail in a connection", dbsqlc.UserCountByEmail, []any{email, "db"}, "users_email_connection"},
		{"UserListByEmail", dbsqlc.UserListByEmail, []any{email, "", 0, 50, "created_at", false}, "users_email_connection"},
		{"UserListByEmail in a connection", dbsqlc.UserListByEmail, []any{email, "db", 0, 50, "name", true}, "users_email_connection"},
		{"UserListCreated", dbsqlc.UserListCreated, []any{"", 0, 50}, "users_created_at"},
		{"LogCountByUser", dbsqlc.LogCountByUser, []any{"auth0|001", ""}, "logs_user_id"},
		{"LogListByUser", dbsqlc.LogListByUser, []any{"auth0|001", "", 0, 50, false}, "logs_user_id"},
		{"LogCheckpointByUser", dbsqlc.LogCheckpointByUser, []any{"auth0|001", "", "", 50}, "logs_user_id"},
		{"LoginFailureListByUser", dbsqlc.LoginFailureListByUser, []any{"auth0|001", "192.0.2.1", "", 1}, "login_failures_pkey"},
		{"LoginFailureListByIdentifier", dbsqlc.LoginFailureListByIdentifier, []any{email, "", 1}, "login_failures_identifier"},
		{"LoginFailureDeleteByUser", dbsqlc.LoginFailureDeleteByUser, []any{"auth0|001", "192.0.2.1", ""}, "login_failures_pkey"},
		{"LogCountByType", dbsqlc.LogCountByType, []any{"s"}, "logs_type"},
		// LogCheckpointByType is left out: its generic plan may as well walk
		// the primary key in log id order, filtering by type.
		{"LogListNewest", dbsqlc.LogListNewest, []any{0, 50}, "logs_date"},
		{"LogListOldest", dbsqlc.LogListOldest, []any{0, 50}, "logs_date"},
	}
	for i, tt := range tests {
		// Subtests share the one connection: not parallel.
		t.Run(tt.name, func(t *testing.T) {
			stmt := fmt.Sprintf("plan_%d", i)
			if _, err := conn.Exec(t.Context(), `PREPARE `+stmt+` AS `+tt.query); err != nil {
				t.Fatal(err)
			}
			params := make([]string, len(tt.args))
			for j, a := range tt.args {
				params[j] = fmt.Sprintf("'%v'", a)
			}
			rows, err := conn.Query(t.Context(), `EXPLAIN EXECUTE `+stmt+`(`+strings.Join(params, ", ")+`)`,
				pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, " "+tt.index+" ") || strings.Contains(text, "Seq Scan") {
				t.Fatalf("plan does not search %s:\n%s", tt.index, text)
			}
		})
	}
}
