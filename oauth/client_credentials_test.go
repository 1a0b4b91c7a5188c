package oauth

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := time.Now().Unix()
	r := b.post(t, b.m2mParams(), false)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(3600) {
		t.Fatalf("response %s", r.raw)
	}
	if _, ok := r.body["scope"]; ok {
		t.Fatalf("scope returned for a request that asked for the granted scopes: %s", r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	c := b.verify(t, r.body["access_token"].(string))
	want := map[string]any{
		"iss": testIssuer, "sub": b.m2m.ClientID + "@clients", "aud": testAudience,
		"scope": "read:a write:a", "gty": "client-credentials", "azp": b.m2m.ClientID,
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	iat, _ := c["iat"].(float64)
	if int64(iat) < before || int64(iat) > time.Now().Unix() || c["exp"] != iat+3600 {
		t.Errorf("iat %v exp %v", c["iat"], c["exp"])
	}
	if len(c) != 8 {
		t.Errorf("unexpected claims: %v", c)
	}
	if _, err := b.signer.Verify(r.body["access_token"].(string)); err != nil {
		t.Fatal(err)
	}

	e := b.lastLog(t)
	if e.Type != keyhook.LogSuccessCredentialsExchange || e.ClientID != b.m2m.ClientID || e.ClientName != "m2m app" ||
		e.Audience != testAudience || e.Scope != "read:a write:a" || e.IP != "127.0.0.1" || e.UserAgent != "keyhook-test/1" ||
		e.Hostname != "auth.example.test" {
		t.Fatalf("log entry %+v", e)
	}
	if _, ok := e.Details["hooks"]; ok {
		t.Fatal("hooks recorded although none ran")
	}
}

func TestClientCredentialsRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	notGranted := `Client is not authorized to access "` + otherAPI + `". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`
	tests := []struct {
		name      string
		params    url.Values
		json      bool
		basic     []string
		status    int
		code      string
		desc      string
		wantScope string // token scope on success; "-" for none
	}{
		{name: "narrowed scope", params: b.m2mParams("scope", "read:a"), status: 200, wantScope: "read:a"},
		{name: "empty scope param", params: b.m2mParams("scope", ""), status: 200, wantScope: "-"},
		{name: "scope not granted", params: b.m2mParams("scope", "read:a admin"), status: 403, code: "access_denied", desc: "Client has not been granted scopes: admin"},
		{name: "no client grant", params: b.m2mParams("audience", otherAPI), status: 403, code: "access_denied", desc: notGranted},
		{name: "unknown audience", params: b.m2mParams("audience", "https://nope.test/"), status: 403, code: "access_denied", desc: "Service not found: https://nope.test/"},
		{name: "no audience", params: b.m2mParams("audience", ""), status: 403, code: "access_denied", desc: "No audience parameter was provided, and no default audience has been configured"},
		{name: "wrong secret", params: b.m2mParams("client_secret", "nope"), status: 401, code: "access_denied", desc: "Unauthorized"},
		{name: "unknown client", params: b.m2mParams("client_id", "nobody"), status: 401, code: "access_denied", desc: "Unauthorized"},
		{name: "no secret", params: func() url.Values { v := b.m2mParams(); v.Del("client_secret"); return v }(), status: 401, code: "access_denied", desc: "Unauthorized"},
		{name: "no client id", params: url.Values{"grant_type": {GrantClientCredentials}, "audience": {testAudience}}, status: 400, code: "invalid_request", desc: "Missing required parameter: client_id"},
		{name: "public client", params: url.Values{"grant_type": {GrantClientCredentials}, "client_id": {b.spa.ClientID}, "audience": {testAudience}}, status: 401, code: "access_denied"},
		{name: "json body", params: b.m2mParams(), json: true, status: 200, wantScope: "read:a write:a"},
		{
			name:   "basic auth",
			params: url.Values{"grant_type": {GrantClientCredentials}, "audience": {testAudience}},
			basic:  []string{b.m2m.ClientID, b.m2mSec}, status: 200, wantScope: "read:a write:a",
		},
		{
			name:   "basic auth wrong secret",
			params: url.Values{"grant_type": {GrantClientCredentials}, "audience": {testAudience}},
			basic:  []string{b.m2m.ClientID, "wrong"}, status: 401, code: "access_denied",
		},
		{
			name:   "public client sending a secret",
			params: url.Values{"grant_type": {GrantClientCredentials}, "client_id": {b.spa.ClientID}, "client_secret": {"x"}, "audience": {testAudience}},
			status: 401, code: "access_denied",
		},
		{name: "unsupported grant", params: b.m2mParams("grant_type", "urn:example:magic"), status: 400, code: "unsupported_grant_type", desc: "Unsupported grant type: urn:example:magic"},
		{name: "assertion", params: b.m2mParams("client_assertion", "x.y.z"), status: 400, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.post(t, tt.params, tt.json, tt.basic...)
			if tt.status != 200 {
				r.wantError(t, tt.status, tt.code, tt.desc)
				if len(tt.basic) == 2 && r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 to Basic auth without WWW-Authenticate")
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			c := b.verify(t, r.body["access_token"].(string))
			got, ok := c["scope"].(string)
			if !ok {
				got = "-"
			}
			if got != tt.wantScope {
				t.Fatalf("token scope %q, want %q", got, tt.wantScope)
			}
		})
	}
}

func TestClientCredentialsGrantTypeNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The SPA is public: give it a secret so that it authenticates and the
	// grant-type check is what refuses it.
	secret := keyhook.NewClientSecret()
	spa, err := b.db.ClientUpdate(t.Context(), b.spa.ClientID, func(c *keyhook.Client) error {
		c.SecretHash, c.TokenEndpointAuthMethod = HashClientSecret(secret), "client_secret_post"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := b.post(t, url.Values{"grant_type": {GrantClientCredentials}, "client_id": {spa.ClientID}, "client_secret": {secret}, "audience": {testAudience}}, false)
	r.wantError(t, 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.")
	if e := b.lastLog(t); e.Type != keyhook.LogFailedCredentialsExchange || e.ClientName != "spa" {
		t.Fatalf("log %+v", e)
	}
}

func TestFailedExchangeIsLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.post(t, b.m2mParams("client_secret", "wrong"), false).wantError(t, 401, "access_denied", "Unauthorized")
	e := b.lastLog(t)
	if e.Type != keyhook.LogFailedCredentialsExchange || e.Description != "Unauthorized" || e.ClientID != b.m2m.ClientID || e.Audience != testAudience {
		t.Fatalf("log %+v", e)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.post(t, b.m2mParams("scope", strings.Repeat("a", MaxBodyBytes)), false)
	r.wantError(t, 413, "invalid_request", "Payload content length greater than maximum allowed: 65536")
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Fatalf("413 cache headers %v", r.header)
	}
}

const pushScopeHook = `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token['https://example.test/tenant'] = client.tenant + ':' + client.metadata.plan + ':' + context.webtask.secrets.SECRET;
  access_token['https://example.test/audience'] = audience;
  access_token.plain = 'not namespaced';
  access_token['https://auth0.com/claim'] = 'reserved';
  access_token['https://x.webtask.io/claim'] = 'reserved';
  access_token.iss = 'https://evil.test/';
  access_token.scope = scope.concat(['extra:scope']);
  console.log('granted', scope.join(','));
  cb(null, access_token);
};`

func TestCredentialsExchangeHook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addHook(t, pushScopeHook, map[string]string{"SECRET": "s3"})
	r := b.post(t, b.m2mParams("scope", "read:a"), false)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	if r.body["scope"] != "read:a extra:scope" {
		t.Fatalf("response scope %v", r.body["scope"])
	}
	c := b.verify(t, r.body["access_token"].(string))
	if c["scope"] != "read:a extra:scope" || c["https://example.test/tenant"] != "test-tenant:gold:s3" ||
		c["https://example.test/audience"] != testAudience || c["iss"] != testIssuer {
		t.Fatalf("claims %v", c)
	}
	for _, k := range []string{"plain", "https://auth0.com/claim", "https://x.webtask.io/claim"} {
		if _, ok := c[k]; ok {
			t.Errorf("claim %s must be ignored", k)
		}
	}
	e := b.lastLog(t)
	if e.Type != keyhook.LogSuccessCredentialsExchange || e.Scope != "read:a extra:scope" {
		t.Fatalf("log %+v", e)
	}
	hooks, ok := e.Details["hooks"].([]any)
	if !ok || len(hooks) != 1 {
		t.Fatalf("details.hooks %v", e.Details["hooks"])
	}
	h := hooks[0].(map[string]any)
	if h["trigger_id"] != "credentials-exchange" || h["error"] != nil || !strings.Contains(h["logs"].(string), "granted read:a") {
		t.Fatalf("execution %v", h)
	}
}

func TestCredentialsExchangeHookDenies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		status  int
		code    string
		desc    string
	}{
		{
			name:   "InvalidScopeError",
			script: `module.exports = function (client, scope, audience, context, cb) { cb(new InvalidScopeError('scope not for you')); };`,
			status: 400, code: "invalid_scope", desc: "scope not for you",
		},
		{
			name:   "InvalidRequestError",
			script: `module.exports = function (client, scope, audience, context, cb) { cb(new InvalidRequestError('bad request')); };`,
			status: 400, code: "invalid_request", desc: "bad request",
		},
		{
			name:   "plain Error",
			script: `module.exports = function (client, scope, audience, context, cb) { cb(new Error('boom')); };`,
			status: 500, code: "server_error", desc: "boom",
		},
		{
			name:   "throws",
			script: `module.exports = function (client, scope, audience, context, cb) { throw new Error('thrown'); };`,
			status: 500, code: "server_error",
		},
		{
			name:    "never calls back",
			script:  `module.exports = function (client, scope, audience, context, cb) { };`,
			timeout: 200 * time.Millisecond, status: 500, code: "server_error",
		},
		{
			name:    "loops forever",
			script:  `module.exports = function (client, scope, audience, context, cb) { for (;;) {} };`,
			timeout: 200 * time.Millisecond, status: 500, code: "server_error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.timeout > 0 {
				b.engine.StepTimeout = tt.timeout
			}
			b.addHook(t, tt.script, nil)
			start := time.Now()
			r := b.post(t, b.m2mParams(), false)
			r.wantError(t, tt.status, tt.code, tt.desc)
			if tt.timeout > 0 && time.Since(start) > 4*time.Second {
				t.Errorf("hook ran past its step timeout: %v", time.Since(start))
			}
			e := b.lastLog(t)
			if e.Type != keyhook.LogFailedCredentialsExchange || e.Description != r.body["error_description"] {
				t.Fatalf("log %+v", e)
			}
			hooks, ok := e.Details["hooks"].([]any)
			if !ok || len(hooks) != 1 || hooks[0].(map[string]any)["error"] == nil {
				t.Fatalf("details.hooks %v", e.Details["hooks"])
			}
		})
	}
}

// Concurrent token requests share log commits, and every response still
// comes after its entry is stored.
func TestClientCredentialsConcurrentLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 24
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if r := b.post(t, b.m2mParams(), false); r.status != 200 {
				t.Errorf("status %d %s", r.status, r.raw)
			}
		})
	}
	wg.Wait()
	_, total, err := b.db.LogList(context.Background(), storeLogsOfType(keyhook.LogSuccessCredentialsExchange))
	if err != nil {
		t.Fatal(err)
	}
	if total != n {
		t.Fatalf("%d seccft entries after %d answered requests", total, n)
	}
}
