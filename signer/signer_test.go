package signer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	key := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "keyhook.db"), Sealer: box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// clock is a settable now function.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestNewGeneratesOnceAndReloads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openStore(t)
	s1, err := New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := db.SigningKeyList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].KID != s1.KID() {
		t.Fatalf("stored keys %d (kid %v), want one with kid %s", len(keys), keys, s1.KID())
	}
	block, _ := pem.Decode(keys[0].PrivateKeyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatal("stored key is not PKCS#8 PEM")
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || priv.(*rsa.PrivateKey).N.BitLen() != 2048 {
		t.Fatalf("stored key: %v", err)
	}

	s2, err := New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s2.KID() != s1.KID() {
		t.Fatalf("second start uses kid %s, want %s", s2.KID(), s1.KID())
	}
	// The certificate is derived, not stored: it must come out identical.
	if !bytes.Equal(s1.JWKS(), s2.JWKS()) {
		t.Fatalf("JWKS differs between loads:\n%s\n%s", s1.JWKS(), s2.JWKS())
	}
	if keys, _ := db.SigningKeyList(ctx); len(keys) != 1 {
		t.Fatalf("second start stored another key: %d keys", len(keys))
	}
}

func TestJWKSVerifiesTokens(t *testing.T) {
	t.Parallel()
	s, err := New(context.Background(), openStore(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(s.JWKS(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || len(raw.Keys) != 1 {
		t.Fatalf("want one key, got %s", s.JWKS())
	}
	for _, f := range []string{"kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"} {
		if _, ok := raw.Keys[0][f]; !ok {
			t.Errorf("JWK lacks %s", f)
		}
	}
	k := set.Keys[0]
	if k.KeyID != s.KID() || k.Algorithm != "RS256" || k.Use != "sig" || raw.Keys[0]["e"] != "AQAB" {
		t.Fatalf("JWK %+v", raw.Keys[0])
	}
	if len(k.Certificates) != 1 {
		t.Fatal("x5c must hold the key's certificate")
	}
	cert := k.Certificates[0]
	if !cert.PublicKey.(*rsa.PublicKey).Equal(k.Key) {
		t.Fatal("x5c certificate is for another key")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("x5c is not self-signed: %v", err)
	}
	sum := sha1.Sum(cert.Raw)
	if raw.Keys[0]["x5t"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatal("x5t is not the SHA-1 thumbprint of x5c")
	}

	now := time.Now()
	tok, err := s.Sign(map[string]any{"iss": "https://x/", "sub": "abc@clients", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Protected
	if h.KeyID != s.KID() || h.Algorithm != "RS256" || h.ExtraHeaders["typ"] != "JWT" {
		t.Fatalf("header %+v", h)
	}
	payload, err := jws.Verify(set.Key(h.KeyID)[0].Key)
	if err != nil {
		t.Fatalf("token does not verify with the JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims["sub"] != "abc@clients" {
		t.Fatalf("claims %s: %v", payload, err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	s, err := New(context.Background(), openStore(t), c.now)
	if err != nil {
		t.Fatal(err)
	}
	now := c.now().Unix()
	sign := func(claims map[string]any) string {
		tok, err := s.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(map[string]any{"sub": "u", "exp": now + 10, "big": int64(1) << 60})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":9999999999}`)) + "." + parts[2]
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+s.KID()+`"}`)) + "." + parts[1] + "."
	hsAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"`+s.KID()+`"}`)) + "." + parts[1] + "." + parts[2]
	otherKID := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"nope"}`)) + "." + parts[1] + "." + parts[2]

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", good, true},
		{"expired within leeway", sign(map[string]any{"exp": now - 59}), true},
		{"expired beyond leeway", sign(map[string]any{"exp": now - 61}), false},
		{"nbf within leeway", sign(map[string]any{"exp": now + 100, "nbf": now + 59}), true},
		{"nbf beyond leeway", sign(map[string]any{"exp": now + 100, "nbf": now + 61}), false},
		{"no exp", sign(map[string]any{"sub": "u"}), false},
		{"string exp", sign(map[string]any{"exp": "soon"}), false},
		{"tampered payload", tampered, false},
		{"alg none", noneAlg, false},
		{"alg HS256", hsAlg, false},
		{"unknown kid", otherKID, false},
		{"garbage", "a.b.c", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		claims, err := s.Verify(tt.token)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && (err == nil || !errors.Is(err, ErrInvalidToken)) {
			t.Errorf("%s: got claims %v err %v, want ErrInvalidToken", tt.name, claims, err)
		}
	}
	claims, err := s.Verify(good)
	if err != nil {
		t.Fatal(err)
	}
	if claims["big"] != json.Number("1152921504606846976") {
		t.Fatalf("integer claim lost precision: %v", claims["big"])
	}
}

// TestConcurrentStartConverges starts several signers on one empty database
// at once: they may each store a key, but after a Refresh they all sign with
// the same one and each verifies the others' tokens.
func TestConcurrentStartConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openStore(t)
	signers := make([]*Signer, 4)
	errs := make([]error, len(signers))
	var wg sync.WaitGroup
	for i := range signers {
		wg.Go(func() { signers[i], errs[i] = New(ctx, db, nil) })
	}
	wg.Wait()
	exp := time.Now().Add(time.Hour).Unix()
	var tokens []string
	for i, s := range signers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		tok, err := s.Sign(map[string]any{"exp": exp})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	for _, s := range signers {
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range signers {
		if s.KID() != signers[0].KID() {
			t.Fatalf("signers disagree after Refresh: %s vs %s", s.KID(), signers[0].KID())
		}
		for _, tok := range tokens {
			if _, err := s.Verify(tok); err != nil {
				t.Fatalf("token from a sibling does not verify: %v", err)
			}
		}
	}
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openStore(t)
	c := &clock{t: time.Now().Add(-time.Hour)}
	old, err := New(ctx, db, c.now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := old.Sign(map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	// Another node (or a rotation) stores a newer key.
	c.set(time.Now())
	other := &Signer{q: db, now: c.now}
	if err := other.generate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := old.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	keys, _ := db.SigningKeyList(ctx)
	if len(keys) != 2 || old.KID() != keys[0].KID {
		t.Fatalf("after Refresh signing with %s, want newest %s", old.KID(), keys[0].KID)
	}
	if _, err := old.Verify(tok); err != nil {
		t.Fatalf("token of the previous key no longer verifies: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(old.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS after rotation: %s", old.JWKS())
	}
}

func FuzzVerify(f *testing.F) {
	s, err := New(context.Background(), openStore(f), nil)
	if err != nil {
		f.Fatal(err)
	}
	tok, err := s.Sign(map[string]any{"exp": time.Now().Add(time.Hour).Unix(), "sub": "x"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add(strings.Repeat(".", 10))
	f.Add(`{"protected":"e30","payload":"e30","signature":""}`)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := s.Verify(token)
		if err == nil && token != tok {
			t.Fatalf("forged token accepted: %q -> %v", token, claims)
		}
	})
}

func TestRefreshEvery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := openStore(t)
	c := &clock{t: time.Now().Add(-time.Hour)}
	s, err := New(ctx, db, c.now)
	if err != nil {
		t.Fatal(err)
	}
	first := s.KID()
	done := make(chan struct{})
	go func() { s.RefreshEvery(ctx, 5*time.Millisecond, slog.New(slog.DiscardHandler)); close(done) }()
	c.set(time.Now())
	if err := (&Signer{q: db, now: c.now}).generate(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); s.KID() == first; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("RefreshEvery never picked up the new key")
		}
	}
	cancel()
	<-done
}
