package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite/internal/dbsqlc"
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

// TestOpenRefusesAnotherKey: a database opened with one key refuses
// another at Open, with an error that names the setting to fix, and opens
// again with its own key.
func TestOpenRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keyhook.db")
	box := testBox(t)
	db, err := Open(t.Context(), Config{Path: path, Sealer: box, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteSecrets(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	mustRefuse := func(t *testing.T) {
		t.Helper()
		db, err := Open(t.Context(), Config{Path: path, Sealer: testBox(t), Logger: testLogger})
		if err == nil {
			_ = db.Close()
			t.Fatal("Open succeeded with another key")
		}
		if !errors.Is(err, store.ErrSecretKeyMismatch) || !strings.Contains(err.Error(), "every node sharing a database must use the same KEYHOOK_SECRET_KEY") {
			t.Fatalf("err = %v, want ErrSecretKeyMismatch naming KEYHOOK_SECRET_KEY", err)
		}
	}
	mustRefuse(t)

	// A database from before the check value: its signing key decides.
	raw, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(t.Context(), `DELETE FROM meta`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t)

	// Its own key opens it (and stores the check value again).
	db = openTest(t, Config{Path: path, Sealer: box})
	hooks, _, err := db.HookList(t.Context(), store.HookListParams{})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("HookList = %v, %v", hooks, err)
	}
	if _, err := db.HookSecretsGet(t.Context(), hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	stored, err := db.prepared.MetaGet(t.Context(), secretKeyCheck)
	if err != nil || stored == nil {
		t.Fatalf("check value = %v, %v", stored, err)
	}
	mustRefuse(t)
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

// TestQueryPlans checks that the lookups of users by email and username,
// the users list filtered by email, the log lists and the pruning of
// executions search an index rather than scan the table: signup and login
// look a user up by email on every request, and logs and executions grow
// with every request.
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
	if _, err := db.db.ExecContext(t.Context(), `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	const email = "u001@example.com"
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
		{"LoginFailureListByUser", dbsqlc.LoginFailureListByUser, []any{"auth0|001", "192.0.2.1", "", 1}, "sqlite_autoindex_login_failures_1"},
		{"LoginFailureListByIdentifier", dbsqlc.LoginFailureListByIdentifier, []any{email, "", 1}, "login_failures_identifier"},
		{"LoginFailureDeleteByUser", dbsqlc.LoginFailureDeleteByUser, []any{"auth0|001", "192.0.2.1", ""}, "sqlite_autoindex_login_failures_1"},
		{"LogCountByType", dbsqlc.LogCountByType, []any{"s"}, "logs_type"},
		{"LogCheckpointByType", dbsqlc.LogCheckpointByType, []any{"s", "", 50}, "logs_type"},
		{"LogListNewest", dbsqlc.LogListNewest, []any{0, 50}, "logs_date"},
		{"LogListOldest", dbsqlc.LogListOldest, []any{0, 50}, "logs_date"},
		{"ExecutionPrune", dbsqlc.ExecutionPrune, []any{"2024-01-01T00:00:00.000000Z", 100}, "action_executions_created_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := db.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+tt.query, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			// A table scan reads "SCAN <table>" with no index after it (the
			// parameters' one-row CTE, p, is scanned by design).
			scans := slices.ContainsFunc(plan, func(line string) bool {
				return slices.Contains([]string{"SCAN users", "SCAN logs", "SCAN login_failures", "SCAN action_executions"}, line)
			})
			uses := slices.ContainsFunc(plan, func(line string) bool {
				return strings.HasSuffix(line, "INDEX "+tt.index) || strings.Contains(line, "INDEX "+tt.index+" ")
			})
			if !uses || scans {
				t.Fatalf("plan does not search %s:\n%s", tt.index, text)
			}
		})
	}
}
