package mgmtapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/signer"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/trigger"
)

const (
	testIssuer   = "https://keyhook.test/"
	testAudience = "https://keyhook.test/api/v2/"
)

type bundle struct {
	t      testing.TB
	mux    *http.ServeMux
	db     *sqlite.DB
	h      *Handler
	srv    *httptest.Server
	signer *signer.Signer // the tenant's real signer, holding testKey
	admin  string         // a client token with every scope
	// dbPath and box reopen the database as a restarted server would.
	dbPath string
	box    *secretbox.Box
}

var allScopes = []string{
	"read:hooks", "create:hooks", "update:hooks", "delete:hooks",
	"read:actions", "create:actions", "update:actions", "delete:actions",
	"read:users", "create:users", "update:users", "delete:users",
	"read:clients", "create:clients", "update:clients", "delete:clients", "update:client_keys",
	"read:resource_servers", "create:resource_servers", "update:resource_servers", "delete:resource_servers",
	"read:client_grants", "create:client_grants", "update:client_grants", "delete:client_grants",
	"read:logs",
}

// testKey is the tenant's signing key, generated once: RSA generation is
// slow and the key is not under test.
var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func setup(t testing.TB) *bundle {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "keyhook.db")
	db, err := sqlite.Open(ctx, sqlite.Config{
		Path: dbPath, Sealer: box,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	if err := db.ConnectionCreate(ctx, &keyhook.Connection{
		ID: keyhook.NewConnectionID(), Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0", CreatedAt: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SigningKeyCreate(ctx, &store.SigningKey{
		KID: "test-key", PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), CreatedAt: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	sign, err := signer.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{
		Store:    db,
		Verifier: sign,
		Issuer:   testIssuer,
		Audience: testAudience,
		Tenant:   "my-tenant",
		Triggers: &trigger.Engine{Store: db, JS: js, Tenant: "my-tenant"},
		JS:       js,
		Logger:   slog.New(slog.DiscardHandler),
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := &bundle{t: t, mux: mux, db: db, h: h, srv: srv, signer: sign, dbPath: dbPath, box: box}
	b.admin = b.token(allScopes...)
	return b
}

// token signs an access token for the Management API with scopes.
func (b *bundle) token(scopes ...string) string {
	return b.tokenWith(map[string]any{"aud": testAudience, "scope": strings.Join(scopes, " ")})
}

// tokenWith signs a Management API client token with the tenant's signer;
// claims override the defaults (a nil value removes one).
func (b *bundle) tokenWith(claims map[string]any) string {
	b.t.Helper()
	now := time.Now()
	c := map[string]any{
		"iss": testIssuer, "sub": "admin-client@clients", "azp": "admin-client", "aud": testAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "gty": "client-credentials",
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	s, err := b.signer.Sign(c)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return v
}

func (r response) object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not an object: %s", r.body)
	}
	return m
}

func (r response) array(t testing.TB) []any {
	t.Helper()
	a, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("body is not an array: %s", r.body)
	}
	return a
}

// do sends a request; body is a string (sent raw), nil, or a value sent as
// JSON.
func (b *bundle) do(method, path, token string, body any) response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := b.srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// admin sends a request with every scope.
func (b *bundle) adminDo(method, path string, body any) response {
	b.t.Helper()
	return b.do(method, path, b.admin, body)
}

// must sends an admin request and fails unless the status is want.
func (b *bundle) must(want int, method, path string, body any) response {
	b.t.Helper()
	r := b.adminDo(method, path, body)
	if r.status != want {
		b.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// wantError checks an error answer's status, errorCode and message
// (message by substring when it ends with "…").
func wantError(t *testing.T, r response, status int, code, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body not JSON: %s", r.body)
	}
	if e["statusCode"] != float64(status) || e["error"] != http.StatusText(status) {
		t.Fatalf("error shape %v", e)
	}
	if got, _ := e["errorCode"].(string); got != code {
		t.Fatalf("errorCode %q, want %q (%s)", got, code, r.body)
	}
	msg, _ := e["message"].(string)
	if prefix, ok := strings.CutSuffix(message, "…"); ok {
		if !strings.Contains(msg, prefix) {
			t.Fatalf("message %q does not contain %q", msg, prefix)
		}
	} else if msg != message {
		t.Fatalf("message %q, want %q", msg, message)
	}
	allowed := map[string]bool{"statusCode": true, "error": true, "message": true, "errorCode": true}
	for k := range e {
		if !allowed[k] {
			t.Fatalf("unexpected error property %q in %s", k, r.body)
		}
	}
}

// snapshot is everything the API can change, serialised, so a test can
// prove a rejected request changed nothing.
func (b *bundle) snapshot() string {
	b.t.Helper()
	ctx := context.Background()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	encode := func(v any) {
		if err := enc.Encode(v); err != nil {
			b.t.Fatal(err)
		}
	}
	hooks, _, err := b.db.HookList(ctx, store.HookListParams{PageParams: store.PageParams{PerPage: 100}})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, h := range hooks {
		s, err := b.db.HookSecretsGet(ctx, h.ID)
		if err != nil {
			b.t.Fatal(err)
		}
		encode([]any{h, s})
	}
	// Actions with their secrets (values included), versions and
	// bindings.
	actions, _, err := b.db.ActionList(ctx, store.ActionListParams{PageParams: store.PageParams{PerPage: 100}})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, a := range actions {
		versions, _, err := b.db.ActionVersionList(ctx, store.ActionVersionListParams{ActionID: a.ID, PageParams: store.PageParams{PerPage: 100}})
		if err != nil {
			b.t.Fatal(err)
		}
		encode([]any{a, versions})
	}
	for _, t := range keyhook.ActionTriggers {
		bindings, _, err := b.db.BindingList(ctx, store.BindingListParams{TriggerID: t.ID, PageParams: store.PageParams{PerPage: 100}})
		if err != nil {
			b.t.Fatal(err)
		}
		encode(bindings)
	}
	users, _, err := b.db.UserList(ctx, store.UserListParams{PageParams: store.PageParams{PerPage: 100}})
	if err != nil {
		b.t.Fatal(err)
	}
	encode(users)
	clients, _, err := b.db.ClientList(ctx, store.PageParams{PerPage: 100})
	if err != nil {
		b.t.Fatal(err)
	}
	encode(clients)
	rss, _, err := b.db.ResourceServerList(ctx, store.ResourceServerListParams{PageParams: store.PageParams{PerPage: 100}})
	if err != nil {
		b.t.Fatal(err)
	}
	encode(rss)
	grants, _, err := b.db.ClientGrantList(ctx, store.ClientGrantListParams{PageParams: store.PageParams{PerPage: 100}})
	if err != nil {
		b.t.Fatal(err)
	}
	encode(grants)
	_, nlogs, err := b.db.LogList(ctx, store.LogListParams{PageParams: store.PageParams{PerPage: 1}})
	if err != nil {
		b.t.Fatal(err)
	}
	// A refused password change is audited (fcp): that entry is the one
	// write bad input may cause.
	_, nfcp, err := b.db.LogList(ctx, store.LogListParams{PageParams: store.PageParams{PerPage: 1}, Type: keyhook.LogFailedChangePassword})
	if err != nil {
		b.t.Fatal(err)
	}
	nlogs -= nfcp
	jobs, err := b.db.JobList(ctx, store.JobListParams{})
	if err != nil {
		b.t.Fatal(err)
	}
	encode([]any{nlogs, len(jobs)})
	return out.String()
}

// unchanged runs fn and fails if the stored state differs afterwards.
func (b *bundle) unchanged(name string, fn func()) {
	b.t.Helper()
	before := b.snapshot()
	fn()
	if after := b.snapshot(); after != before {
		b.t.Fatalf("%s changed the store:\nbefore %s\nafter  %s", name, before, after)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonEqual compares a decoded value with a JSON literal.
func jsonEqual(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want literal: %v", err)
	}
	g, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(g, wb) {
		t.Fatalf("got  %s\nwant %s", g, wb)
	}
}
