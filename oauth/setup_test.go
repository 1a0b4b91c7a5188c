package oauth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/signer"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
)

const (
	testIssuer   = "https://auth.example.test/"
	testAudience = "https://api.example.test/"
	otherAPI     = "https://other.example.test/"
	userPassword = "correct horse battery"
)

// testBundle is one fresh tenant: its own SQLite file, keys, JS engine and
// token endpoint behind a loopback server.
type testBundle struct {
	db       store.Store
	signer   *signer.Signer
	engine   *trigger.Engine
	handler  *Handler
	srv      *httptest.Server
	m2m      *keyhook.Client // confidential, granted read:a write:a on testAudience
	m2mSec   string
	spa      *keyhook.Client // public
	webApp   *keyhook.Client // confidential, password grants
	webSec   string
	user     *keyhook.User
	userConn *keyhook.Connection
}

func setup(t testing.TB) *testBundle {
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
	quiet := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "keyhook.db"), Sealer: box, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := signer.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	js := jsrt.New(jsrt.Options{Logger: quiet})
	t.Cleanup(js.Close)
	b := &testBundle{db: db, signer: s}
	config := &configcache.Cache{Store: db}
	b.engine = &trigger.Engine{Store: db, Config: config, JS: js, Tenant: "test-tenant"}
	logs := tenantlog.NewWriter(db, tenantlog.WriterConfig{})
	t.Cleanup(func() { _ = logs.Close() })
	b.handler = &Handler{Store: db, Config: config, Signer: s, Triggers: b.engine, Issuer: testIssuer, Logger: quiet, Logs: logs}
	mux := http.NewServeMux()
	b.handler.Mount(mux)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	b.userConn = &keyhook.Connection{ID: keyhook.NewConnectionID(), Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	must(db.ConnectionCreate(ctx, b.userConn))
	must(db.ConnectionCreate(ctx, &keyhook.Connection{ID: keyhook.NewConnectionID(), Name: "employees", Strategy: "auth0"}))
	must(db.ResourceServerCreate(ctx, &keyhook.ResourceServer{ID: keyhook.NewResourceServerID(), Identifier: testAudience, Name: "API",
		Scopes: []keyhook.ResourceServerScope{{Value: "read:a"}, {Value: "write:a"}, {Value: "admin"}}, SigningAlg: "RS256", TokenLifetime: 3600}))
	must(db.ResourceServerCreate(ctx, &keyhook.ResourceServer{ID: keyhook.NewResourceServerID(), Identifier: otherAPI, Name: "Other", SigningAlg: "RS256"}))

	b.m2mSec = keyhook.NewClientSecret()
	b.m2m = &keyhook.Client{ClientID: keyhook.NewClientID(), SecretHash: HashClientSecret(b.m2mSec), Name: "m2m app", AppType: "non_interactive",
		GrantTypes: []string{GrantClientCredentials}, TokenEndpointAuthMethod: "client_secret_post", ClientMetadata: map[string]string{"plan": "gold"}}
	must(db.ClientCreate(ctx, b.m2m))
	must(db.ClientGrantCreate(ctx, &keyhook.ClientGrant{ID: keyhook.NewClientGrantID(), ClientID: b.m2m.ClientID, Audience: testAudience, Scope: []string{"read:a", "write:a"}}))

	b.spa = &keyhook.Client{ClientID: keyhook.NewClientID(), Name: "spa", AppType: "spa", TokenEndpointAuthMethod: "none",
		GrantTypes: []string{GrantPassword, GrantPasswordRealm}}
	must(db.ClientCreate(ctx, b.spa))
	b.webSec = keyhook.NewClientSecret()
	b.webApp = &keyhook.Client{ClientID: keyhook.NewClientID(), SecretHash: HashClientSecret(b.webSec), Name: "web", AppType: "regular_web",
		TokenEndpointAuthMethod: "client_secret_post", GrantTypes: []string{GrantPassword, GrantPasswordRealm, GrantClientCredentials}}
	must(db.ClientCreate(ctx, b.webApp))

	hash, err := password.Hash(userPassword, password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	must(err)
	now := time.Now().UTC().Truncate(time.Millisecond)
	b.user = &keyhook.User{ID: keyhook.NewDatabaseUserID(), Connection: keyhook.DefaultDatabaseConnection, Email: "jane@example.test",
		EmailVerified: true, Username: "jane", Name: "Jane Doe", Nickname: "jd", Picture: "https://example.test/jane.png",
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	must(db.UserCreate(ctx, b.user))
	return b
}

// addHook stores an enabled credentials-exchange hook with secrets.
func (b *testBundle) addHook(t testing.TB, script string, secrets map[string]string) {
	t.Helper()
	ctx := context.Background()
	h := &keyhook.Hook{ID: keyhook.NewHookID(), Name: "cce", Script: script, TriggerID: keyhook.TriggerCredentialsExchange, Enabled: true}
	if err := b.db.HookCreate(ctx, h); err != nil {
		t.Fatal(err)
	}
	if secrets != nil {
		if err := b.db.HookSecretsPut(ctx, h.ID, secrets); err != nil {
			t.Fatal(err)
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends a token request; form values go as a form body unless asJSON.
func (b *testBundle) post(t testing.TB, params url.Values, asJSON bool, basicAuth ...string) reply {
	t.Helper()
	var body io.Reader
	ct := "application/x-www-form-urlencoded"
	if asJSON {
		m := map[string]string{}
		for k := range params {
			m[k] = params.Get(k)
		}
		data, _ := json.Marshal(m)
		body, ct = strings.NewReader(string(data)), "application/json"
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/oauth/token", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "keyhook-test/1")
	if len(basicAuth) == 2 {
		req.SetBasicAuth(basicAuth[0], basicAuth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("response is not JSON: %d %q", resp.StatusCode, raw)
	}
	return r
}

func (r reply) wantError(t testing.TB, status int, code, desc string) {
	t.Helper()
	if r.status != status || r.body["error"] != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	if desc != "" && r.body["error_description"] != desc {
		t.Fatalf("error_description %q, want %q", r.body["error_description"], desc)
	}
}

// verify checks a token against the published JWKS with go-jose (not with
// the signer that made it) and returns its claims.
func (b *testBundle) verify(t testing.TB, token string) map[string]any {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b.signer.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Headers[0]
	if h.ExtraHeaders["typ"] != "JWT" {
		t.Fatalf("typ %v", h.ExtraHeaders["typ"])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in JWKS", h.KeyID)
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// lastLog returns the newest tenant log entry.
func (b *testBundle) lastLog(t testing.TB) keyhook.LogEntry {
	t.Helper()
	logs, _, err := b.db.LogList(context.Background(), store.LogListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) == 0 {
		t.Fatal("no tenant log entry written")
	}
	return logs[0]
}

func (b *testBundle) m2mParams(extra ...string) url.Values {
	v := url.Values{"grant_type": {GrantClientCredentials}, "client_id": {b.m2m.ClientID}, "client_secret": {b.m2mSec}, "audience": {testAudience}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func storeLogsOfType(typ string) store.LogListParams {
	return store.LogListParams{Type: typ, PageParams: store.PageParams{PerPage: 100}}
}
