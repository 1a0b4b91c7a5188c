package mgmtapi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/npmdeps"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/trigger"
)

// npmRegistry is an npm registry over httptest serving packages made by the
// test: their tarballs are packed when it starts, nothing third-party is
// involved.
type npmRegistry struct {
	srv      *httptest.Server
	mu       sync.Mutex
	packages map[string]map[string][]byte // name -> version -> tarball
	deps     map[string]map[string]string // name@version -> its dependencies
	requests atomic.Int64
	status   int // when set, every request is answered with it
}

func newNPMRegistry(t *testing.T) *npmRegistry {
	t.Helper()
	r := &npmRegistry{packages: map[string]map[string][]byte{}, deps: map[string]map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// publish packs a package whose index.js is main.
func (r *npmRegistry) publish(t *testing.T, name, version, main string, deps map[string]string) {
	t.Helper()
	pj, _ := json.Marshal(map[string]any{"name": name, "version": version, "main": "index.js", "dependencies": deps})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", pj}, {"package/index.js", []byte(main)}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.packages[name] == nil {
		r.packages[name] = map[string][]byte{}
	}
	r.packages[name][version] = buf.Bytes()
	r.deps[name+"@"+version] = deps
}

func (r *npmRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status != 0 {
		http.Error(w, "{}", r.status)
		return
	}
	path := strings.TrimPrefix(req.URL.Path, "/")
	if name, file, ok := strings.Cut(path, "/-/"); ok {
		for v, tgz := range r.packages[name] {
			if file == name+"-"+v+".tgz" {
				w.Write(tgz)
				return
			}
		}
		http.NotFound(w, req)
		return
	}
	versions := r.packages[path]
	if versions == nil {
		http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
		return
	}
	doc := map[string]any{"name": path, "dist-tags": map[string]string{}, "versions": map[string]any{}}
	latest := ""
	for v, tgz := range versions {
		sum := sha512.Sum512(tgz)
		doc["versions"].(map[string]any)[v] = map[string]any{
			"name": path, "version": v, "dependencies": r.deps[path+"@"+v],
			"dist": map[string]any{
				"tarball":   r.srv.URL + "/" + path + "/-/" + path + "-" + v + ".tgz",
				"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
			},
		}
		if v > latest { // the test's versions compare as strings
			latest = v
		}
	}
	doc["dist-tags"] = map[string]string{"latest": latest}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (r *npmRegistry) failWith(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

// npmHookBuilder is cmd/keyhook's adapter reduced to what these tests need:
// npmdeps does the work against the test registry, its failures become
// *HookBuildError, and a script that names no package runs as written.
type npmHookBuilder struct {
	b     *npmdeps.Builder
	calls atomic.Int64
}

func newNPMHookBuilder(t *testing.T, reg *npmRegistry, cacheDir string) *npmHookBuilder {
	t.Helper()
	r, err := npmdeps.LoadRegistry(npmdeps.ConfigSource{Registry: reg.srv.URL, Environ: []string{"HOME=" + t.TempDir()},
		Dir: t.TempDir(), NodePath: "/nonexistent/bin/node", NPMDir: "/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := npmdeps.New(npmdeps.Options{Registry: r, CacheDir: cacheDir, Builtins: jsrt.BuiltinModules()})
	if err != nil {
		t.Fatal(err)
	}
	return &npmHookBuilder{b: b}
}

func (nb *npmHookBuilder) BuildHook(ctx context.Context, script string, deps map[string]string) (string, string, error) {
	nb.calls.Add(1)
	in := npmdeps.Input{Code: script, Language: npmdeps.LanguageJavaScript}
	for n, v := range deps {
		in.Dependencies = append(in.Dependencies, npmdeps.Dependency{Name: n, Version: v})
	}
	out, err := nb.b.Build(ctx, in)
	var e *npmdeps.Error
	if errors.As(err, &e) {
		return "", "", &HookBuildError{Message: e.Error(), Unavailable: e.Kind == npmdeps.KindRegistry}
	}
	if err != nil {
		return "", "", err
	}
	if len(out.Dependencies) == 0 {
		return "", "", nil
	}
	return out.Code, "sha256-" + out.SHA256, nil
}

// greetHook gives the access token a claim made by the greet package.
const greetHook = `const greet = require('greet');
module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope, 'https://example.com/greeting': greet(client.name) });
};`

// hookDepsSetup is a Management API whose hooks build against a test
// registry publishing greet 1.0.0 and 1.1.0 (which depends on punct).
func hookDepsSetup(t *testing.T) (*bundle, *npmRegistry, *npmHookBuilder) {
	t.Helper()
	reg := newNPMRegistry(t)
	reg.publish(t, "greet", "1.0.0", `module.exports = function (n) { return 'hello ' + n + ' from greet@1.0.0'; };`, nil)
	reg.publish(t, "greet", "1.1.0", `var p = require('punct');
module.exports = function (n) { return 'hello ' + n + ' from greet@1.1.0' + p; };`, map[string]string{"punct": "^2.0.0"})
	reg.publish(t, "punct", "2.0.0", `module.exports = '!';`, nil)
	b := setup(t)
	nb := newNPMHookBuilder(t, reg, t.TempDir())
	b.h.HookBuilder = nb
	return b, reg, nb
}

// testRunGreeting runs hook id through the test runner and returns its claim.
func (b *bundle) testRunGreeting(id string) any {
	b.t.Helper()
	p := b.must(200, "POST", "/api/v2/hooks/"+id+"/test", map[string]any{"payload": map[string]any{
		"audience": "https://api.example.com/", "scope": []any{"read:x"},
		"client": map[string]any{"id": "cid", "name": "tester", "tenant": "my-tenant", "metadata": map[string]any{}},
	}}).object(b.t)["payload"].(map[string]any)
	if p["error"] != nil {
		b.t.Fatalf("test run failed: %v (logs %v)", p["error"], p["logs"])
	}
	return p["response"].(map[string]any)["https://example.com/greeting"]
}

// triggerGreeting runs the enabled credentials-exchange hook as the token
// endpoint does, and returns its claim.
func triggerGreeting(t *testing.T, e *trigger.Engine) any {
	t.Helper()
	res, err := e.CredentialsExchange(context.Background(), trigger.CredentialsExchange{
		Client: &keyhook.Client{ClientID: "cid", Name: "app"}, Audience: "https://api.example.com/", Scope: []string{"read:x"},
	})
	if err != nil {
		t.Fatalf("credentials exchange: %v (executions %+v)", err, res.Executions)
	}
	return res.Claims["https://example.com/greeting"]
}

func TestHookDependenciesBuildAndRun(t *testing.T) {
	b, reg, _ := hookDepsSetup(t)
	cacheDir := t.TempDir()
	b.h.HookBuilder = newNPMHookBuilder(t, reg, cacheDir)

	created := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "greeting", "triggerId": "credentials-exchange", "script": greetHook,
		"dependencies": map[string]any{"greet": "^1.0.0"},
	}).object(t)
	id := created["id"].(string)
	// The hook shows the version string as given, not the pinned version.
	jsonEqual(t, created["dependencies"], `{"greet": "^1.0.0"}`)
	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks/"+id, nil).object(t)["dependencies"], `{"greet": "^1.0.0"}`)
	stored, err := b.db.HookGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Script != greetHook || !strings.HasPrefix(stored.BundleHash, "sha256-") || !strings.Contains(stored.Bundle, "greet@1.1.0") {
		t.Fatalf("stored hook: script %q, hash %q, bundle of %d bytes", stored.Script, stored.BundleHash, len(stored.Bundle))
	}

	// The range picked 1.1.0, with its own dependency, in the test runner
	// and in the trigger chain alike.
	want := "hello tester from greet@1.1.0!"
	if got := b.testRunGreeting(id); got != want {
		t.Fatalf("test runner: %v, want %q", got, want)
	}
	if got := triggerGreeting(t, b.h.Triggers); got != "hello app from greet@1.1.0!" {
		t.Fatalf("trigger: %v", got)
	}

	// The bundle is stored: a restarted server runs it with the registry
	// gone and the package cache emptied.
	reg.srv.Close()
	if err := os.RemoveAll(cacheDir); err != nil {
		t.Fatal(err)
	}
	b.db.Close()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: b.dbPath, Sealer: b.box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	if got := triggerGreeting(t, &trigger.Engine{Store: db, JS: js, Tenant: "my-tenant"}); got != "hello app from greet@1.1.0!" {
		t.Fatalf("trigger after restart: %v", got)
	}
}

func TestHookRequireNameAtVersion(t *testing.T) {
	b, reg, _ := hookDepsSetup(t)
	script := strings.Replace(greetHook, "require('greet')", "require('greet@1.0.0')", 1)
	id := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "pinned", "triggerId": "credentials-exchange", "script": script,
	}).object(t)["id"].(string)
	if got := b.testRunGreeting(id); got != "hello tester from greet@1.0.0" {
		t.Fatalf("test runner: %v", got)
	}
	if got := triggerGreeting(t, b.h.Triggers); got != "hello app from greet@1.0.0" {
		t.Fatalf("trigger: %v", got)
	}

	// A hook naming no package runs as written, built without the registry.
	before := reg.requests.Load()
	plain := `module.exports = function (client, scope, audience, context, cb) { cb(null, { scope: scope, 'https://example.com/greeting': 'plain ' + require('crypto').randomUUID().length }); };`
	pid := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "plain", "triggerId": "credentials-exchange", "script": plain, "enabled": false,
	}).object(t)["id"].(string)
	if n := reg.requests.Load() - before; n != 0 {
		t.Fatalf("a hook without packages made %d registry requests", n)
	}
	h, err := b.db.HookGet(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	if h.Bundle != "" || h.BundleHash != "" || h.Code() != plain {
		t.Fatalf("hook without packages got a bundle (%d bytes, %q)", len(h.Bundle), h.BundleHash)
	}
	if got := b.testRunGreeting(pid); got != "plain 36" {
		t.Fatalf("test runner: %v", got)
	}
}

func TestHookBuildFailures(t *testing.T) {
	b, reg, _ := hookDepsSetup(t)
	id := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "greeting", "triggerId": "credentials-exchange", "script": greetHook,
		"dependencies": map[string]any{"greet": "1.0.0"},
	}).object(t)["id"].(string)

	bad := []struct {
		name   string
		deps   map[string]any
		script string
		want   string
	}{
		{"unknown package", map[string]any{"greet": "1.0.0", "no-such-package": "1.0.0"}, "", "package no-such-package does not exist in the npm registry"},
		{"unknown version", map[string]any{"greet": "9.9.9"}, "", "greet"},
		{"unknown version in a require", nil, strings.Replace(greetHook, "require('greet')", "require('greet@3.0.0')", 1), "greet"},
		{"undeclared require", map[string]any{"punct": "2.0.0"}, "", `cannot find module "greet": add greet to the dependencies`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"name": "other-" + strings.ReplaceAll(tt.name, " ", "-"), "triggerId": "credentials-exchange", "enabled": false}
			patch := map[string]any{}
			if tt.deps != nil {
				body["dependencies"], patch["dependencies"] = tt.deps, tt.deps
			}
			body["script"] = greetHook
			if tt.script != "" {
				body["script"], patch["script"] = tt.script, tt.script
			}
			b.unchanged("create", func() {
				wantError(t, b.adminDo("POST", "/api/v2/hooks", body), 400, "invalid_body", "The hook could not be built: …")
			})
			b.unchanged("patch", func() {
				r := b.adminDo("PATCH", "/api/v2/hooks/"+id, patch)
				wantError(t, r, 400, "invalid_body", "The hook could not be built: …")
				if msg, _ := r.object(t)["message"].(string); !strings.Contains(msg, tt.want) {
					t.Fatalf("reason missing (%q): %s", tt.want, r.body)
				}
			})
		})
	}

	// A registry that fails is the server's trouble: 503, which SDKs retry.
	reg.failWith(http.StatusForbidden)
	b.unchanged("patch with the registry failing", func() {
		wantError(t, b.adminDo("PATCH", "/api/v2/hooks/"+id, map[string]any{"dependencies": map[string]any{"greet": "1.1.0"}}),
			503, "", "The hook could not be built: package greet: the npm registry refused access…")
	})
	if got := b.testRunGreeting(id); got != "hello tester from greet@1.0.0" {
		t.Fatalf("the stored hook changed: %v", got)
	}
}

func TestHookPatchRebuilds(t *testing.T) {
	b, _, nb := hookDepsSetup(t)
	id := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "greeting", "triggerId": "credentials-exchange", "script": greetHook,
		"dependencies": map[string]any{"greet": "1.0.0"},
	}).object(t)["id"].(string)
	get := func() *keyhook.Hook {
		h, err := b.db.HookGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first := get()

	steps := []struct {
		name      string
		patch     map[string]any
		wantRuns  string
		wantBuild bool // the PATCH built the hook
		newHash   bool // into another bundle
		wantDeps  string
	}{
		{"dependencies", map[string]any{"dependencies": map[string]any{"greet": "latest"}}, "hello tester from greet@1.1.0!", true, true, `{"greet": "latest"}`},
		{"name and enabled only", map[string]any{"name": "renamed", "enabled": true}, "hello tester from greet@1.1.0!", false, false, `{"greet": "latest"}`},
		{"blank version", map[string]any{"dependencies": map[string]any{"greet": " "}}, "hello tester from greet@1.1.0!", true, false, `{"greet": " "}`},
		{"script", map[string]any{"script": strings.Replace(greetHook, "greet(client.name)", "greet(client.name).toUpperCase()", 1)}, "HELLO TESTER FROM GREET@1.1.0!", true, true, `{"greet": " "}`},
		{"range", map[string]any{"dependencies": map[string]any{"greet": "~1.0"}}, "HELLO TESTER FROM GREET@1.0.0", true, true, `{"greet": "~1.0"}`},
		{"no dependencies left", map[string]any{"dependencies": map[string]any{}, "script": `module.exports = function (c, s, a, ctx, cb) { cb(null, { scope: s, 'https://example.com/greeting': 'none' }); };`}, "none", true, true, `{}`},
	}
	prev := first.BundleHash
	for _, st := range steps {
		calls := nb.calls.Load()
		r := b.adminDo("PATCH", "/api/v2/hooks/"+id, st.patch)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", st.name, r.status, r.body)
		}
		jsonEqual(t, r.object(t)["dependencies"], st.wantDeps)
		if built := nb.calls.Load() > calls; built != st.wantBuild {
			t.Fatalf("%s: built %v, want %v", st.name, built, st.wantBuild)
		}
		h := get()
		if (h.BundleHash != prev) != st.newHash || (h.Bundle == "") != (st.wantDeps == `{}`) {
			t.Fatalf("%s: bundle %q (was %q)", st.name, h.BundleHash, prev)
		}
		prev = h.BundleHash
		if got := b.testRunGreeting(id); got != st.wantRuns {
			t.Fatalf("%s: test runner %v, want %q", st.name, got, st.wantRuns)
		}
	}
}

// racingBuilder changes the hook in the store while the first builds run,
// as a concurrent PATCH committing meanwhile would.
type racingBuilder struct {
	*npmHookBuilder
	t      *testing.T
	db     *sqlite.DB
	id     string
	races  int // builds during which the hook changes
	builds int
}

func (rb *racingBuilder) BuildHook(ctx context.Context, script string, deps map[string]string) (string, string, error) {
	rb.builds++
	if rb.builds <= rb.races {
		if _, err := rb.db.HookUpdate(ctx, rb.id, func(h *keyhook.Hook) error {
			v := "1.1.0"
			if h.Dependencies["greet"] == v {
				v = "1.0.0"
			}
			h.Dependencies = map[string]string{"greet": v}
			return nil
		}); err != nil {
			rb.t.Fatal(err)
		}
	}
	return rb.npmHookBuilder.BuildHook(ctx, script, deps)
}

func TestHookPatchBuildRace(t *testing.T) {
	b, _, nb := hookDepsSetup(t)
	id := b.must(201, "POST", "/api/v2/hooks", map[string]any{
		"name": "greeting", "triggerId": "credentials-exchange", "script": greetHook,
		"dependencies": map[string]any{"greet": "1.0.0"},
	}).object(t)["id"].(string)
	upper := strings.Replace(greetHook, "greet(client.name)", "greet(client.name).toUpperCase()", 1)

	// The first build saw greet 1.0.0, which changed to 1.1.0 meanwhile:
	// the PATCH builds again from what is stored, and saves that.
	rb := &racingBuilder{npmHookBuilder: nb, t: t, db: b.db, id: id, races: 1}
	b.h.HookBuilder = rb
	b.must(200, "PATCH", "/api/v2/hooks/"+id, map[string]any{"script": upper})
	if rb.builds != 2 {
		t.Fatalf("%d builds, want 2", rb.builds)
	}
	if got := b.testRunGreeting(id); got != "HELLO TESTER FROM GREET@1.1.0!" {
		t.Fatalf("test runner: %v", got)
	}

	// A hook that keeps changing gets a 409 and the PATCH stores nothing.
	rb = &racingBuilder{npmHookBuilder: nb, t: t, db: b.db, id: id, races: 100}
	b.h.HookBuilder = rb
	wantError(t, b.adminDo("PATCH", "/api/v2/hooks/"+id, map[string]any{"script": greetHook}), 409, "",
		"The hook kept changing while it was being built; try again")
	h, err := b.db.HookGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if h.Script != upper {
		t.Fatalf("script stored by a refused PATCH")
	}
}
