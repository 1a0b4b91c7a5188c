package jsrt_test

import (
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/npmdeps"
	"github.com/keyhook/keyhook/webhook"
)

// npmServer stands for every service the packages talk to: a Slack
// incoming webhook, a JSON API (plain and gzipped, with a redirect), an
// echo, and Auth0's /oauth/token and /api/v2/users/{id}. It records what
// it was sent.
type npmServer struct {
	mu   sync.Mutex
	seen []string
}

func (s *npmServer) record(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Method+" "+r.URL.Path+" "+string(body))
}

func (s *npmServer) sent(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, x := range s.seen {
		if strings.HasPrefix(x, prefix) {
			out = append(out, x)
		}
	}
	return out
}

func (s *npmServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.record(r, body)
	switch {
	case r.URL.Path == "/slack":
		if r.Header.Get("Content-Type") != "application/json" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "ok")
	case r.URL.Path == "/json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"hello":"world"}`)
	case r.URL.Path == "/gzip":
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not accepted: "+r.Header.Get("Accept-Encoding"), http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, `{"compressed":true}`)
		_ = zw.Close()
	case r.URL.Path == "/redirect":
		http.Redirect(w, r, "/json", http.StatusFound)
	case r.URL.Path == "/echo":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "test": r.Header.Get("X-Test"),
			"type": r.Header.Get("Content-Type"), "body": string(body)})
	case r.URL.Path == "/oauth/token":
		var form map[string]string
		_ = json.Unmarshal(body, &form)
		if form["client_secret"] != "the-secret" && r.FormValue("client_secret") != "the-secret" && !strings.Contains(string(body), "the-secret") {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"access_denied","error_description":"Unauthorized"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"mgmt-token","token_type":"Bearer","expires_in":86400,"scope":"read:users"}`)
	case strings.HasPrefix(r.URL.Path, "/api/v2/users/"):
		if r.Header.Get("Authorization") != "Bearer mgmt-token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"user_id": strings.TrimPrefix(r.URL.Path, "/api/v2/users/"), "email": "ada@example.com"})
	default:
		http.NotFound(w, r)
	}
}

// npmBuilder builds from the registry npm itself is configured with, into
// KEYHOOK_NPM_CACHE when set (so repeated runs download nothing), leaving
// exactly what the sandbox's require serves to it.
func npmBuilder(t *testing.T) *npmdeps.Builder {
	t.Helper()
	ctx := context.Background()
	reg, err := npmdeps.LoadRegistry(npmdeps.ConfigSource{
		Environ:    os.Environ(),
		NPMDefault: func() (string, error) { return npmdeps.AskNPM(ctx, os.Environ()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("KEYHOOK_NPM_CACHE")
	if cache == "" {
		cache = t.TempDir()
	}
	b, err := npmdeps.New(npmdeps.Options{Registry: reg, CacheDir: cache, Builtins: jsrt.BuiltinModules()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// guardedClient is the client keyhook gives scripts, with loopback
// allowed (tests only) and the TLS test server's certificate trusted.
func guardedClient(t *testing.T, allow []string, tlsSrv *httptest.Server) *http.Client {
	t.Helper()
	g, err := webhook.NewGuard(allow)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Client(webhook.ClientOptions{Timeout: 20 * time.Second})
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	c.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	return c
}

func pemOf(t *testing.T, typ string, der []byte, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// TestNPMPackagesRun builds each npm package the README lists from the
// real registry and runs an action that uses it in the sandbox, its
// outbound calls going through the guarded client to servers on loopback.
func TestNPMPackagesRun(t *testing.T) {
	if os.Getenv("KEYHOOK_NPM_E2E") != "1" {
		t.Skip("set KEYHOOK_NPM_E2E=1 to build real packages from npm's registry")
	}
	srv := &npmServer{}
	plain := httptest.NewServer(srv)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(srv)
	t.Cleanup(secure.Close)
	engine := jsrt.New(jsrt.Options{DefaultTimeout: 30 * time.Second, HTTPClient: guardedClient(t, []string{"127.0.0.1"}, secure)})
	t.Cleanup(engine.Close)
	builder := npmBuilder(t)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	rsaPrivPEM := pemOf(t, "PRIVATE KEY", rsaPriv, err)
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPubPEM := pemOf(t, "PUBLIC KEY", rsaPub, err)
	ecPriv, err := x509.MarshalECPrivateKey(ecKey)
	ecPrivPEM := pemOf(t, "EC PRIVATE KEY", ecPriv, err)
	ecPub, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPubPEM := pemOf(t, "PUBLIC KEY", ecPub, err)

	secrets := map[string]any{
		"BASE":        plain.URL,
		"SECURE_HOST": strings.TrimPrefix(secure.URL, "https://"),
		"RSA_PRIVATE": rsaPrivPEM, "RSA_PUBLIC": rsaPubPEM,
		"EC_PRIVATE": ecPrivPEM, "EC_PUBLIC": ecPubPEM,
		"HS_SECRET": "a-shared-secret-of-enough-length",
	}

	tests := []struct {
		name string
		deps []npmdeps.Dependency
		code string // the action's body: s is event.secrets; its value is the result
		want string // the result as JSON; "" to check with check
		// check, when set, checks the result (and what the servers saw).
		check func(t *testing.T, result map[string]any)
	}{
		{
			name: "@slack/webhook 7",
			deps: []npmdeps.Dependency{{Name: "@slack/webhook", Version: "7"}},
			code: `const { IncomingWebhook } = require('@slack/webhook');
const webhook = new IncomingWebhook(s.BASE + '/slack');
const res = await webhook.send({ text: 'A user logged in: ' + event.user.email });
return { text: res.text };`,
			want: `{"text":"ok"}`,
			check: func(t *testing.T, _ map[string]any) {
				if got := srv.sent("POST /slack"); len(got) == 0 || !strings.Contains(got[len(got)-1], `"text":"A user logged in: ada@example.com"`) {
					t.Errorf("slack saw %q", got)
				}
			},
		},
		{
			name: "@slack/webhook latest",
			deps: []npmdeps.Dependency{{Name: "@slack/webhook", Version: "latest"}},
			code: `const { IncomingWebhook } = require('@slack/webhook');
const webhook = new IncomingWebhook(s.BASE + '/slack');
const res = await webhook.send({ text: 'latest' });
return { text: res.text };`,
			want: `{"text":"ok"}`,
		},
		{
			name: "axios",
			deps: []npmdeps.Dependency{{Name: "axios", Version: "latest"}},
			code: `const axios = require('axios');
const got = await axios.get(s.BASE + '/json');
const posted = await axios.post(s.BASE + '/echo', { a: 1 }, { headers: { 'X-Test': 'yes' } });
const redirected = await axios.get(s.BASE + '/redirect');
let status;
try { await axios.get(s.BASE + '/missing'); } catch (e) { status = e.response.status; }
return { data: got.data, type: got.headers['content-type'], echo: posted.data, redirected: redirected.data, status };`,
			want: `{"data":{"hello":"world"},"type":"application/json","echo":{"body":"{\"a\":1}","method":"POST","test":"yes","type":"application/json"},"redirected":{"hello":"world"},"status":404}`,
		},
		{
			name: "jsonwebtoken",
			deps: []npmdeps.Dependency{{Name: "jsonwebtoken", Version: "latest"}},
			code: `const jwt = require('jsonwebtoken');
const rs = jwt.sign({ sub: 'u1' }, s.RSA_PRIVATE, { algorithm: 'RS256', expiresIn: 60, keyid: 'k1' });
const hs = jwt.sign({ sub: 'u2' }, s.HS_SECRET, { expiresIn: '1h' });
const es = jwt.sign({ sub: 'u3' }, s.EC_PRIVATE, { algorithm: 'ES256' });
const bad = [];
try { jwt.verify(hs, 'the wrong secret'); } catch (e) { bad.push(e.message); }
try { jwt.verify(rs, s.EC_PUBLIC); } catch (e) { bad.push(e.message); }
try { jwt.verify(rs.slice(0, -4) + 'AAAA', s.RSA_PUBLIC); } catch (e) { bad.push(e.message); }
return { rs, hs, rsSub: jwt.verify(rs, s.RSA_PUBLIC, { algorithms: ['RS256'] }).sub, hsSub: jwt.verify(hs, s.HS_SECRET).sub,
  esSub: jwt.verify(es, s.EC_PUBLIC).sub, header: jwt.decode(rs, { complete: true }).header, bad };`,
			check: func(t *testing.T, r map[string]any) {
				if r["rsSub"] != "u1" || r["hsSub"] != "u2" || r["esSub"] != "u3" {
					t.Errorf("verified subjects %v %v %v", r["rsSub"], r["hsSub"], r["esSub"])
				}
				if h, _ := json.Marshal(r["header"]); string(h) != `{"alg":"RS256","kid":"k1","typ":"JWT"}` {
					t.Errorf("header %s", h)
				}
				if b, _ := json.Marshal(r["bad"]); string(b) != `["invalid signature","invalid algorithm","invalid signature"]` {
					t.Errorf("refusals %s", b)
				}
				// The signatures are real: Go verifies them.
				sig, err := jose.ParseSignedCompact(r["rs"].(string), []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sig.Verify(&rsaKey.PublicKey); err != nil {
					t.Errorf("Go does not verify the RS256 token: %v", err)
				}
				parts := strings.Split(r["hs"].(string), ".")
				mac := hmac.New(sha256.New, []byte(secrets["HS_SECRET"].(string)))
				mac.Write([]byte(parts[0] + "." + parts[1]))
				if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] {
					t.Error("Go does not verify the HS256 token")
				}
			},
		},
		{
			name: "lodash",
			deps: []npmdeps.Dependency{{Name: "lodash", Version: "latest"}},
			code: `const _ = require('lodash');
return { chunk: _.chunk([1, 2, 3, 4, 5], 2), get: _.get(event, 'user.email'), merged: _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
  template: _.template('hi <%= name %>')({ name: 'ada' }), debounced: typeof _.debounce(() => {}, 10) };`,
			want: `{"chunk":[[1,2],[3,4],[5]],"get":"ada@example.com","merged":{"a":{"b":1,"c":2}},"template":"hi ada","debounced":"function"}`,
		},
		{
			name: "uuid",
			deps: []npmdeps.Dependency{{Name: "uuid", Version: "latest"}},
			code: `const { v4, v5, validate, version } = require('uuid');
const id = v4();
return { valid: validate(id), version: version(id), v5: v5('hello', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), unique: v4() !== id };`,
			want: `{"valid":true,"version":4,"v5":"9342d47a-1bab-5709-9869-c840b2eac501","unique":true}`,
		},
		{
			name: "request",
			deps: []npmdeps.Dependency{{Name: "request", Version: "latest"}},
			code: `const request = require('request');
const call = (opts) => new Promise((resolve, reject) => request(opts, (err, res, body) => err ? reject(err) : resolve({ status: res.statusCode, body })));
const got = await call({ url: s.BASE + '/json', json: true });
const posted = await call({ method: 'POST', url: s.BASE + '/echo', json: { a: 1 }, headers: { 'X-Test': 'yes' } });
const zipped = await call({ url: s.BASE + '/gzip', gzip: true, json: true });
const redirected = await call({ url: s.BASE + '/redirect', json: true });
return { got, posted, zipped, redirected };`,
			want: `{"got":{"status":200,"body":{"hello":"world"}},"posted":{"status":200,"body":{"body":"{\"a\":1}","method":"POST","test":"yes","type":"application/json"}},"zipped":{"status":200,"body":{"compressed":true}},"redirected":{"status":200,"body":{"hello":"world"}}}`,
		},
		{
			name: "node-fetch 2",
			deps: []npmdeps.Dependency{{Name: "node-fetch", Version: "2"}},
			code: `const fetch = require('node-fetch');
const res = await fetch(s.BASE + '/echo', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'Content-Type': 'application/json', 'X-Test': 'yes' } });
return { status: res.status, body: await res.json(), headers: typeof fetch.Headers };`,
			want: `{"status":200,"body":{"body":"{\"a\":1}","method":"POST","test":"yes","type":"application/json"},"headers":"function"}`,
		},
		{
			name: "node-fetch 3",
			deps: []npmdeps.Dependency{{Name: "node-fetch", Version: "3"}},
			code: `const { default: fetch, Headers } = require('node-fetch');
const res = await fetch(s.BASE + '/echo', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: new Headers({ 'Content-Type': 'application/json', 'X-Test': 'yes' }) });
const zipped = await fetch(s.BASE + '/gzip');
const redirected = await fetch(s.BASE + '/redirect');
return { status: res.status, body: await res.json(), zipped: await zipped.json(), redirected: [redirected.redirected, await redirected.json()] };`,
			want: `{"status":200,"body":{"body":"{\"a\":1}","method":"POST","test":"yes","type":"application/json"},"zipped":{"compressed":true},"redirected":[true,{"hello":"world"}]}`,
		},
		{
			name: "auth0",
			deps: []npmdeps.Dependency{{Name: "auth0", Version: "latest"}},
			code: `const { ManagementClient } = require('auth0');
const management = new ManagementClient({ domain: s.SECURE_HOST, clientId: 'the-client', clientSecret: 'the-secret' });
const user = await management.users.get(event.user.user_id);
return { id: user.user_id, email: user.email };`,
			want: `{"id":"auth0|1","email":"ada@example.com"}`,
			check: func(t *testing.T, _ map[string]any) {
				if len(srv.sent("POST /oauth/token")) == 0 || len(srv.sent("GET /api/v2/users/auth0|1")) == 0 {
					t.Errorf("the management API saw %q", srv.sent(""))
				}
			},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := "exports.onExecutePostLogin = async (event, api) => {\n  const s = event.secrets;\n  const result = await (async () => {\n" +
				tc.code + "\n  })();\n  api.idToken.setCustomClaim('result', result);\n};\n"
			// The require at the top level of the module, as actions have it.
			if i := strings.Index(tc.code, "\n"); strings.HasPrefix(tc.code, "const ") && strings.Contains(tc.code[:i], "require(") {
				code = tc.code[:i] + "\n" + strings.Replace(code, tc.code[:i]+"\n", "", 1)
			}
			bundle, err := builder.Build(ctx, npmdeps.Input{Code: code, Dependencies: tc.deps})
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			t.Logf("%v: %d KiB, %d packages; left to require: %v", bundle.Dependencies, bundle.Metrics.Bytes>>10, bundle.Metrics.Packages, bundle.RuntimeRequires)
			event := map[string]any{"user": map[string]any{"user_id": "auth0|1", "email": "ada@example.com"}, "secrets": secrets}
			res := engine.RunAction(ctx, jsrt.ActionCall{Script: bundle.Code, Trigger: keyhook.TriggerPostLogin, Event: event, Slot: "action:" + tc.name})
			if res.Error != nil {
				t.Fatalf("%s: %s\n%s\nlogs: %s", res.Error.Name, res.Error.Message, res.Error.Stack, res.Logs)
			}
			if len(res.Commands) != 1 || len(res.Commands[0].Args) != 2 {
				t.Fatalf("commands %+v, logs %s", res.Commands, res.Logs)
			}
			result, _ := res.Commands[0].Args[1].(map[string]any)
			got, _ := json.Marshal(res.Commands[0].Args[1])
			if tc.want != "" && !jsonEqual(t, string(got), tc.want) {
				t.Errorf("got  %s\nwant %s\nlogs: %s", got, tc.want, res.Logs)
			}
			if tc.check != nil {
				tc.check(t, result)
			}
			t.Logf("run %v (boot %v)", res.Duration, res.BootDuration)
		})
	}

	// The same client without the test's allow-list refuses loopback: the
	// packages' requests really go through the guard.
	refusing := jsrt.New(jsrt.Options{HTTPClient: guardedClient(t, nil, secure)})
	t.Cleanup(refusing.Close)
	bundle, err := builder.Build(ctx, npmdeps.Input{Code: `const axios = require('axios');
exports.onExecutePostLogin = async (event, api) => {
  try { await axios.get(event.secrets.BASE + '/json'); api.access.deny('reached'); } catch (e) { api.access.deny(e.message); }
};`, Dependencies: []npmdeps.Dependency{{Name: "axios", Version: "latest"}}})
	if err != nil {
		t.Fatal(err)
	}
	before := len(srv.sent("GET /json"))
	res := refusing.RunAction(ctx, jsrt.ActionCall{Script: bundle.Code, Trigger: keyhook.TriggerPostLogin, Event: map[string]any{"secrets": secrets}})
	if res.Error != nil || len(res.Commands) != 1 || res.Commands[0].Args[0] == "reached" {
		t.Fatalf("without the allow-list: %+v %v", res.Commands, res.Error)
	}
	if before == 0 || len(srv.sent("GET /json")) != before {
		t.Fatalf("GET /json reached the server %d times before, %d after the refused run", before, len(srv.sent("GET /json")))
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
