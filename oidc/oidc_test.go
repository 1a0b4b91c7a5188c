package oidc

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/signer"
	"github.com/keyhook/keyhook/store/sqlite"
)

func setup(t *testing.T) (*httptest.Server, *signer.Signer) {
	t.Helper()
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "k.db"), Sealer: box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := signer.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&Handler{Issuer: "https://auth.example.test:8443/", Signer: s}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, s
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return body
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	var doc map[string]any
	if err := json.Unmarshal(get(t, srv.URL+"/.well-known/openid-configuration"), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"issuer":         "https://auth.example.test:8443/",
		"token_endpoint": "https://auth.example.test:8443/oauth/token",
		"jwks_uri":       "https://auth.example.test:8443/.well-known/jwks.json",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	// Every URL the document holds is one keyhook serves (e2e checks each
	// answers): no endpoint is advertised before it exists.
	for k, v := range doc {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "https://") && want[k] == "" {
			t.Errorf("%s = %s is advertised but not served", k, s)
		}
	}
	for _, k := range []string{"scopes_supported", "id_token_signing_alg_values_supported",
		"token_endpoint_auth_methods_supported", "subject_types_supported"} {
		if l, ok := doc[k].([]any); !ok || len(l) == 0 {
			t.Errorf("%s missing or empty", k)
		}
	}
	if c := NewConfiguration("https://x.test"); c.Issuer != "https://x.test/" || c.TokenEndpoint != "https://x.test/oauth/token" {
		t.Errorf("issuer without slash: %+v", c)
	}
}

func TestJWKSVerifiesSignerTokens(t *testing.T) {
	t.Parallel()
	srv, s := setup(t)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(get(t, srv.URL+"/.well-known/jwks.json"), &set); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(map[string]any{"sub": "x", "exp": time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %s not in JWKS", parsed.Headers[0].KeyID)
	}
	var claims jwt.Claims
	if err := parsed.Claims(keys[0].Key, &claims); err != nil || claims.Subject != "x" {
		t.Fatalf("verify with JWKS: %v %+v", err, claims)
	}
}
