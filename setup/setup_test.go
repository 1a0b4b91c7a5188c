package setup

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "keyhook.db"), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBootstrapGenerated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	res, err := Bootstrap(ctx, st, Config{Domain: "auth.test:8443", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Audience != "https://auth.test:8443/api/v2/" || res.GeneratedSecret == "" {
		t.Fatalf("result = %+v", res)
	}
	fi, err := os.Stat(res.CredentialsFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v", err, fi.Mode())
	}
	var creds AdminCredentials
	b, _ := os.ReadFile(res.CredentialsFile)
	if err := json.Unmarshal(b, &creds); err != nil || creds.ClientID != res.AdminClientID || creds.ClientSecret != res.GeneratedSecret {
		t.Fatalf("credentials = %+v, %v", creds, err)
	}
	c, err := st.ClientGet(ctx, creds.ClientID)
	if err != nil || c.SecretHash != keyhook.HashClientSecret(creds.ClientSecret) {
		t.Fatalf("admin client = %+v, %v", c, err)
	}
	g, err := st.ClientGrantFind(ctx, creds.ClientID, res.Audience)
	if err != nil || len(g.Scope) != len(ManagementScopes) {
		t.Fatalf("grant = %+v, %v", g, err)
	}
	rs, err := st.ResourceServerGetByIdentifier(ctx, res.Audience)
	if err != nil || !rs.IsSystem {
		t.Fatalf("resource server = %+v, %v", rs, err)
	}
	if conn, err := st.ConnectionGetByName(ctx, keyhook.DefaultDatabaseConnection); err != nil || conn.PasswordPolicy != "good" {
		t.Fatalf("default connection = %+v, %v; want password policy good", conn, err)
	}

	// A second start reuses the file and changes nothing.
	again, err := Bootstrap(ctx, st, Config{Domain: "auth.test:8443", DataDir: dir})
	if err != nil || again.AdminClientID != res.AdminClientID || again.GeneratedSecret != "" {
		t.Fatalf("second start = %+v, %v", again, err)
	}
	clients, _, err := st.ClientList(ctx, store.PageParams{})
	if err != nil || len(clients) != 1 {
		t.Fatalf("%d clients after two starts, %v", len(clients), err)
	}
}

func TestBootstrapFromEnvironment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	cfg := Config{Domain: "localhost:8443", DataDir: dir, AdminClientID: "admin", AdminClientSecret: "first-secret"}
	res, err := Bootstrap(ctx, st, cfg)
	if err != nil || res.AdminClientID != "admin" || res.CredentialsFile != "" || res.GeneratedSecret != "" {
		t.Fatalf("result = %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin-client.json")); !os.IsNotExist(err) {
		t.Errorf("credentials from the environment were written to disk: %v", err)
	}
	// The operator rotates the secret through the environment.
	cfg.AdminClientSecret = "second-secret"
	if _, err := Bootstrap(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := st.ClientGet(ctx, "admin")
	if err != nil || c.SecretHash != keyhook.HashClientSecret("second-secret") {
		t.Fatalf("client after rotation = %+v, %v", c, err)
	}
}
