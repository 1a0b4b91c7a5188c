package npmdeps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// runBundle runs a bundle in node, the closest thing to Auth0's runtime a test has, with the
// bundle's exports as m, and returns expr's value as JSON. The sandbox's own tests run bundles
// in goja.
func runBundle(t *testing.T, b *Bundle, expr string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	file := filepath.Join(t.TempDir(), "bundle.js")
	if err := os.WriteFile(file, []byte(b.Code), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "const m = require(" + jsonQuote(file) + ");\n" +
		"Promise.resolve().then(async () => (" + expr + ")).then(v => process.stdout.write(JSON.stringify(v)), e => { console.error(e); process.exit(1) });"
	out, err := exec.Command(node, "-e", script).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return string(out)
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func build(t *testing.T, b *Builder, in Input) *Bundle {
	t.Helper()
	out, err := b.Build(context.Background(), in)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out
}

// wantKind checks err's kind and returns its fields (a copy, so that ignoring it is fine).
func wantKind(t *testing.T, err error, kind Kind) Error {
	t.Helper()
	if err == nil {
		t.Fatalf("Build succeeded, want a %s error", kind)
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != kind {
		t.Fatalf("error %v (kind %q), want kind %q", err, KindOf(err), kind)
	}
	if !errors.Is(err, &Error{Kind: kind}) {
		t.Fatalf("errors.Is(%v, sentinel of %s) is false", err, kind)
	}
	return *e
}

const lpadVersionCode = "const lpad = require('lpad');\nexports.v = () => lpad.version;\n"

func TestBuildPicksVersions(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	tests := []struct {
		spec, want string
	}{
		{"1.0.0", "1.0.0"},
		{"v1.0.0", "1.0.0"},
		{"^1.0.0", "1.1.0"},
		{"~1.0.0", "1.0.0"},
		{"", "1.1.0"},       // blank is the latest tag
		{"latest", "1.1.0"}, // a dist-tag
		{"next", "2.0.0"},
		{"*", "1.1.0"},       // npm prefers "latest" when it satisfies the range ...
		{">=1.1.0", "1.1.0"}, // ... even with a higher version published
		{"^2", "2.0.0"},
		{">=1.1.0 <3", "1.1.0"},
		{"1.x || >=2.5", "1.1.0"},
		{"1.0.0 - 1.0.9", "1.0.0"},
		{">=1.2.0-beta.0 <1.3.0", "1.2.0-beta.1"}, // a prerelease of the tuple the range names
		{"npm:lpad@2.0.0", "2.0.0"},               // an alias (here of itself)
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			out := build(t, b, Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: tt.spec}}})
			want := []Pinned{{Name: "lpad", Spec: tt.spec, Package: "lpad", Version: tt.want}}
			if !slices.Equal(out.Dependencies, want) {
				t.Fatalf("pinned %+v, want %+v", out.Dependencies, want)
			}
			if got := runBundle(t, out, "m.v()"); got != jsonQuote(tt.want) {
				t.Fatalf("the bundle loads lpad %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildRefusesVersions(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	tests := []struct {
		name, spec string
		kind       Kind
	}{
		{"no-such-package", "1.0.0", KindUnknownPackage},
		{"lpad", "3.0.0", KindUnknownVersion},
		{"lpad", "^5.0.0", KindUnknownVersion},
		{"lpad", "beta", KindUnknownVersion}, // a dist-tag the package lacks
		{"lpad", ">=1.2.0-beta.0 <1.2.0-beta.1", KindUnknownVersion},
		{"lpad", "git+https://example.invalid/lpad.git", KindUnsupportedSpec},
		{"lpad", "file:../lpad", KindUnsupportedSpec},
		{"lpad", "someone/lpad", KindUnsupportedSpec},
		{"Not A Name", "1.0.0", KindUnknownPackage},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.spec, func(t *testing.T) {
			_, err := b.Build(context.Background(), Input{Code: "module.exports = 1", Dependencies: []Dependency{{Name: tt.name, Version: tt.spec}}})
			e := wantKind(t, err, tt.kind)
			if e.Package == "" || !strings.Contains(e.Error(), e.Package) {
				t.Fatalf("error %q does not name the package (%q)", e.Error(), e.Package)
			}
		})
	}
	_, err := b.Build(context.Background(), Input{Code: "1", Dependencies: []Dependency{{Name: "lpad"}, {Name: "lpad", Version: "2.0.0"}}})
	wantKind(t, err, KindUnsupportedSpec)
}

func TestBuildScopedAndTransitive(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	code := `
const { greet } = require('@kh/greet');
const a = require('chain-a');
exports.run = () => ({ greet: greet('bob'), b: a.b.version, bLpad: a.b.lpadVersion });
`
	out := build(t, b, Input{Code: code, Dependencies: []Dependency{{Name: "@kh/greet", Version: "^1.0.0"}, {Name: "chain-a", Version: "1.0.0"}}})
	got := runBundle(t, out, "m.run()")
	// @kh/greet gets lpad ^1 (1.1.0) while chain-b, in the same bundle, gets lpad ^2 (2.0.0).
	want := `{"greet":"hello ...bob (lpad 1.1.0)","b":"1.0.5","bLpad":"2.0.0"}`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	var pkgs []string
	for _, p := range out.Packages {
		pkgs = append(pkgs, p.Name+"@"+p.Version)
		if !strings.HasPrefix(p.Integrity, "sha512-") {
			t.Errorf("%s@%s has integrity %q", p.Name, p.Version, p.Integrity)
		}
	}
	wantPkgs := []string{"@kh/greet@1.0.0", "chain-a@1.0.0", "chain-b@1.0.5", "lpad@1.1.0", "lpad@2.0.0"}
	if !slices.Equal(pkgs, wantPkgs) {
		t.Fatalf("packages %v, want %v", pkgs, wantPkgs)
	}
	if out.Metrics.Packages != 5 || out.Metrics.Bytes != len(out.Code) || out.SHA256 == "" {
		t.Fatalf("metrics %+v, hash %q", out.Metrics, out.SHA256)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests["/@kh%2fgreet"] != 1 {
		t.Fatalf("scoped metadata requests: %v", r.requests)
	}
	for _, a := range r.accepts {
		if !strings.HasPrefix(a, "application/vnd.npm.install-v1+json") {
			t.Fatalf("metadata asked with Accept %q, want the abbreviated form", a)
		}
	}
}

func TestBuildSharesVersionsAndSurvivesCycles(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	// The declared lpad 2.0.0 also satisfies chain-b's ^2: one copy.
	out := build(t, b, Input{Code: "exports.a = require('chain-a'); exports.c = require('cyc-a').other();",
		Dependencies: []Dependency{{Name: "chain-a", Version: "1"}, {Name: "lpad", Version: "2.0.0"}, {Name: "cyc-a", Version: "^1"}}})
	if len(out.Packages) != 5 {
		t.Fatalf("packages %+v, want chain-a, chain-b, cyc-a, cyc-b and one lpad", out.Packages)
	}
	if got := runBundle(t, out, "[m.a.b.lpadVersion, m.c]"); got != `["2.0.0","b"]` {
		t.Fatalf("got %s", got)
	}
}

func TestRequireNameAtVersion(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)

	// Legacy hooks name the version in the require; nothing need be declared.
	code := "const old = require('lpad@1.0.0');\nconst next = require('lpad@^2');\nconst { greet } = require('@kh/greet@1.0.0');\n" +
		"exports.v = () => [old.version, next.version, greet('x')];\n"
	out := build(t, b, Input{Code: code})
	want := []Pinned{
		{Name: "@kh/greet@1.0.0", Spec: "1.0.0", Package: "@kh/greet", Version: "1.0.0"},
		{Name: "lpad@1.0.0", Spec: "1.0.0", Package: "lpad", Version: "1.0.0"},
		{Name: "lpad@^2", Spec: "^2", Package: "lpad", Version: "2.0.0"},
	}
	if !slices.Equal(out.Dependencies, want) {
		t.Fatalf("pinned %+v, want %+v", out.Dependencies, want)
	}
	// @kh/greet's lpad ^1.0.0 shares the 1.0.0 already in the graph.
	if got := runBundle(t, out, "m.v()"); got != `["1.0.0","2.0.0","hello .....x (lpad 1.0.0)"]` {
		t.Fatalf("got %s", got)
	}

	// With the dependency declared, require('name@version') of the pinned version is that copy.
	out = build(t, b, Input{Code: "exports.same = require('lpad@1.1.0') === require('lpad');",
		Dependencies: []Dependency{{Name: "lpad", Version: "^1.0.0"}}})
	if len(out.Packages) != 1 {
		t.Fatalf("packages %+v, want one lpad", out.Packages)
	}
	if got := runBundle(t, out, "m.same"); got != "true" {
		t.Fatalf("require('lpad@1.1.0') === require('lpad') is %s", got)
	}
}

func TestBuildUnresolvedRequire(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	tests := []struct {
		name, code, module string
		line, column       int
	}{
		{"undeclared", "// x\nconst x = require('left-pad');\n", "left-pad", 2, 19},
		{"relative", "const x = require('./local');", "./local", 1, 19},
		{"unserved built-in", "\n\n  const fs = require('fs');", "fs", 3, 22},
		{"import", "import { x } from 'nowhere';\nexport const y = x;", "nowhere", 1, 19},
		{"typescript", "import type { T } from 'types-only';\nimport { v } from 'gone';\nexport const y: T = v;", "gone", 2, 19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Build(context.Background(), Input{Code: tt.code, Dependencies: []Dependency{{Name: "lpad", Version: "1"}}})
			e := wantKind(t, err, KindUnresolvedRequire)
			if e.Module != tt.module || e.Line != tt.line || e.Column != tt.column || !strings.Contains(e.Error(), tt.module) {
				t.Fatalf("error %q: module %q at %d:%d, want %q at %d:%d", e.Error(), e.Module, e.Line, e.Column, tt.module, tt.line, tt.column)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		code         string
		lang         Language
		line, column int
	}{
		{"javascript", "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('a', 1;\n};", LanguageAuto, 2, 36},
		{"typescript blamed where it breaks", "interface E { user: { id: string } }\nexport const f = (e: E): string => e.user.id;\nexport const g = (e: E) => {\n  return e.user.id +;\n};", LanguageAuto, 4, 21},
		{"typescript read as javascript", "const n: number = 1;", LanguageJavaScript, 1, 8},
		{"unicode before the error", "const s = 'ééé'; )", LanguageAuto, 1, 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSyntax(tt.code, tt.lang)
			e := wantKind(t, err, KindSyntax)
			if e.Line != tt.line || e.Column != tt.column {
				t.Fatalf("%q at %d:%d, want %d:%d", e.Error(), e.Line, e.Column, tt.line, tt.column)
			}
			b := newTestBuilder(t, newTestRegistry(t))
			_, err = b.Build(context.Background(), Input{Code: tt.code, Language: tt.lang})
			wantKind(t, err, KindSyntax)
		})
	}
	// A type error is not a build error: esbuild does not type-check.
	if err := CheckSyntax("const n: number = 'not a number';\nexport default n;", LanguageAuto); err != nil {
		t.Fatalf("type error refused: %v", err)
	}
}

func TestTypeScript(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	code := `
import lpad = require('lpad');
import { greet } from '@kh/greet';

enum Grant { Password = 'password', Realm = 'http://auth0.com/oauth/grant-type/password-realm' }
interface Event { user: { user_id: string; email?: string }; transaction?: { protocol: Grant } }
interface Api { idToken: { setCustomClaim(name: string, value: unknown): void } }
type Claims = Record<string, string>;

class Recorder<T> {
  #seen: T[] = [];
  add(v: T): this { this.#seen.push(v); return this; }
  get all(): readonly T[] { return this.#seen; }
}

export const onExecutePostLogin = async (event: Event, api: Api): Promise<void> => {
  const claims: Claims = { padded: lpad(event.user.user_id, 8, '0'), hi: greet(event.user.email ?? 'nobody') };
  for (const [k, v] of Object.entries(claims)) api.idToken.setCustomClaim(k, v);
  api.idToken.setCustomClaim('grant', event.transaction?.protocol ?? Grant.Password);
  api.idToken.setCustomClaim('n', new Recorder<number>().add(1).add(2).all.length);
};
`
	out := build(t, b, Input{Code: code, Dependencies: []Dependency{{Name: "lpad", Version: "^1"}, {Name: "@kh/greet", Version: "1.0.0"}}})
	if out.Language != LanguageTypeScript {
		t.Fatalf("language %q", out.Language)
	}
	got := runBundle(t, out, `(async () => { const c = {}; await m.onExecutePostLogin({user: {user_id: '42'}}, {idToken: {setCustomClaim: (k, v) => { c[k] = v }}}); return c })()`)
	if want := `{"padded":"00000042","hi":"hello nobody (lpad 1.1.0)","grant":"password","n":2}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestBundleShapes(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	code := `
const picked = require('browser-pick');
const cjs = require('esm-exports');
const extra = require('esm-exports/extra');
const builtins = require('uses-builtins');
const { createHash } = require('node:crypto');
exports.run = async () => {
  const { sum, kind } = await import('esm-exports/esm.mjs');
  return { env: process.env.NODE_ENV, picked, cjs: cjs.kind, extra, hash: builtins.hash('a').slice(0, 8), same: createHash('sha256').update('a').digest('hex').slice(0, 8) };
};
`
	_, err := b.Build(context.Background(), Input{Code: code, Dependencies: []Dependency{{Name: "browser-pick"}, {Name: "esm-exports"}, {Name: "uses-builtins"}}})
	// A subpath the package's "exports" does not list cannot be imported, as in Node.
	wantKind(t, err, KindUnresolvedRequire)

	code = strings.Replace(code, "await import('esm-exports/esm.mjs')", "await import('esm-exports')", 1)
	code = strings.Replace(code, "return { env", "return { sum: await sum(5), esm: kind, env", 1)
	out := build(t, b, Input{Code: code, Dependencies: []Dependency{{Name: "browser-pick"}, {Name: "esm-exports"}, {Name: "uses-builtins"}}})
	got := runBundle(t, out, "m.run()")
	// browser-pick's "browser" field swaps its main file and turns fs into an empty module;
	// esm-exports's "exports" gives require() the CommonJS file and import() the ES module.
	want := `{"sum":10,"esm":"esm","env":"production","picked":"browser:undefined","cjs":"cjs","extra":"extra","hash":"ca978112","same":"ca978112"}`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// What goja lacks is lowered; served built-ins stay requires; the rest is listed.
	for _, absent := range []string{"async function*", "for await", "import("} {
		if strings.Contains(out.Code, absent) {
			t.Errorf("the bundle still has %q", absent)
		}
	}
	for _, present := range []string{`require("crypto")`, `require("node:crypto")`} {
		if !strings.Contains(out.Code, present) && !strings.Contains(out.Code, strings.ReplaceAll(present, `"`, "'")) {
			t.Errorf("the bundle lacks %s", present)
		}
	}
	if !slices.Equal(out.RuntimeRequires, []string{"zlib"}) {
		t.Fatalf("runtime requires %v, want [zlib]", out.RuntimeRequires)
	}
}

func TestNativeAddons(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	_, err := b.Build(context.Background(), Input{Code: "require('native-thing')", Dependencies: []Dependency{{Name: "native-thing", Version: "1.0.0"}}})
	e := wantKind(t, err, KindNativeAddon)
	if !strings.Contains(e.Error(), "binding.gyp") {
		t.Fatalf("error %q does not say why", e.Error())
	}
	// As an optional dependency it is left out, as is one for another OS.
	out := build(t, b, Input{Code: "exports.r = require('opt-host');", Dependencies: []Dependency{{Name: "opt-host"}}})
	if len(out.Packages) != 1 {
		t.Fatalf("packages %+v, want opt-host alone", out.Packages)
	}
	if got := runBundle(t, out, "m.r"); got != `{"hasNative":false}` {
		t.Fatalf("got %s", got)
	}
	if !slices.Equal(out.RuntimeRequires, []string{"native-thing"}) {
		t.Fatalf("runtime requires %v", out.RuntimeRequires)
	}
}

func TestIntegrity(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	r.tamper["lpad@1.0.0"] = true
	b := newTestBuilder(t, r)
	_, err := b.Build(context.Background(), Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: "1.0.0"}}})
	wantKind(t, err, KindIntegrity)
	for _, sub := range []string{"tarballs", "packages"} {
		entries, _ := os.ReadDir(filepath.Join(b.cacheDir, sub))
		if len(entries) != 0 {
			t.Fatalf("%s holds %v after a mismatch", sub, entries)
		}
	}
	// A package that publishes only a SHA-1 shasum is checked against that.
	r.mu.Lock()
	r.packages["lpad"].versions["1.1.0"].noSRI = true
	r.tamper["lpad@1.1.0"] = true
	r.mu.Unlock()
	_, err = b.Build(context.Background(), Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: "1.1.0"}}})
	wantKind(t, err, KindIntegrity)
	r.mu.Lock()
	r.tamper["lpad@1.1.0"] = false
	r.mu.Unlock()
	out := build(t, b, Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: "1.1.0"}}})
	if !strings.HasPrefix(out.Packages[0].Integrity, "sha1-") {
		t.Fatalf("integrity %q", out.Packages[0].Integrity)
	}
}

func TestTarballGuards(t *testing.T) {
	t.Parallel()
	pj := []byte(`{"name":"evil","version":"1.0.0"}`)
	tests := []struct {
		name    string
		entries []tarEntry
		limits  Limits
		kind    Kind
	}{
		{"parent traversal", []tarEntry{{name: "package/package.json", body: pj}, {name: "package/../../escape.js", body: []byte("x")}}, Limits{}, KindBadTarball},
		{"traversal in the first segment", []tarEntry{{name: "package/package.json", body: pj}, {name: "../escape.js", body: []byte("x")}}, Limits{}, KindBadTarball},
		{"absolute", []tarEntry{{name: "package/package.json", body: pj}, {name: "/tmp/escape.js", body: []byte("x")}}, Limits{}, KindBadTarball},
		{"backslash traversal", []tarEntry{{name: "package/package.json", body: pj}, {name: `package\..\..\escape.js`, body: []byte("x")}}, Limits{}, KindBadTarball},
		{"size bomb", []tarEntry{{name: "package/package.json", body: pj}, {name: "package/zeros", body: make([]byte, 4<<20)}}, Limits{MaxUnpackedBytes: 1 << 20}, KindTooLarge},
		{"entry bomb", []tarEntry{{name: "package/package.json", body: pj}, {name: "package/a"}, {name: "package/b"}, {name: "package/c"}}, Limits{MaxFilesPerPackage: 3}, KindTooLarge},
		{"tarball too large", []tarEntry{{name: "package/package.json", body: pj}}, Limits{MaxTarballBytes: 10}, KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t)
			r.add("evil", "1.0.0", map[string]any{"name": "evil", "version": "1.0.0"}, makeTarball(t, tt.entries))
			b := newTestBuilder(t, r, func(o *Options) { o.Limits = tt.limits })
			_, err := b.Build(context.Background(), Input{Code: "require('evil')", Dependencies: []Dependency{{Name: "evil", Version: "1.0.0"}}})
			wantKind(t, err, tt.kind)
			// Nothing escaped: the only files under the builder's parent folder are the cache's.
			_ = filepath.WalkDir(filepath.Dir(b.cacheDir), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Name() == "escape.js" {
					t.Fatalf("%s was written", p)
				}
				return nil
			})
			if _, err := os.Stat("/tmp/escape.js"); err == nil {
				t.Fatal("/tmp/escape.js was written")
			}
			entries, _ := os.ReadDir(filepath.Join(b.cacheDir, "packages"))
			if len(entries) != 0 {
				t.Fatalf("packages holds %v after a refused tarball", entries)
			}
		})
	}
}

func TestTarballLinksSkipped(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	r.add("linky", "1.0.0", map[string]any{"name": "linky", "version": "1.0.0"}, makeTarball(t, []tarEntry{
		{name: "package/package.json", body: []byte(`{"name":"linky","version":"1.0.0"}`)},
		{name: "package/passwd", typeflag: '2', linkname: "/etc/passwd"},
		{name: "package/hard", typeflag: '1', linkname: "package/package.json"},
		{name: "package/index.js", body: []byte("module.exports = 'ok';")},
	}))
	b := newTestBuilder(t, r)
	out := build(t, b, Input{Code: "exports.v = require('linky');", Dependencies: []Dependency{{Name: "linky", Version: "1.0.0"}}})
	if got := runBundle(t, out, "m.v"); got != `"ok"` {
		t.Fatalf("got %s", got)
	}
	dir := out.packageDir(t, b, "linky")
	for _, link := range []string{"passwd", "hard"} {
		if _, err := os.Lstat(filepath.Join(dir, link)); !os.IsNotExist(err) {
			t.Fatalf("%s was extracted (%v)", link, err)
		}
	}
}

// packageDir finds an extracted package in the builder's cache.
func (out *Bundle) packageDir(t *testing.T, b *Builder, name string) string {
	t.Helper()
	for _, p := range out.Packages {
		if p.Name == name {
			integ, err := parseIntegrity(p.Integrity, "")
			if err != nil {
				t.Fatal(err)
			}
			return filepath.Join(b.cacheDir, "packages", integ.packageDirName(p.Name, p.Version), "node_modules", name)
		}
	}
	t.Fatalf("no package %s", name)
	return ""
}

func TestLimits(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	deps := []Dependency{{Name: "chain-a", Version: "1.0.0"}}
	_, err := newTestBuilder(t, r, func(o *Options) { o.Limits.MaxPackages = 2 }).Build(context.Background(), Input{Code: "1", Dependencies: deps})
	wantKind(t, err, KindTooLarge)
	// The registry says each version unpacks to 1,000 bytes: three packages are too many for 2,500.
	_, err = newTestBuilder(t, r, func(o *Options) { o.Limits.MaxUnpackedBytes = 2500 }).Build(context.Background(), Input{Code: "1", Dependencies: deps})
	wantKind(t, err, KindTooLarge)
	_, err = newTestBuilder(t, r, func(o *Options) { o.Limits.MaxBundleBytes = 100 }).Build(context.Background(), Input{Code: "exports.a = require('chain-a')", Dependencies: deps})
	wantKind(t, err, KindTooLarge)
	_, err = newTestBuilder(t, r, func(o *Options) { o.Limits.MaxPackumentBytes = 100 }).Build(context.Background(), Input{Code: "1", Dependencies: deps})
	wantKind(t, err, KindTooLarge)
}

func TestCache(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	cache := t.TempDir()
	deps := []Dependency{{Name: "@kh/greet", Version: "1.0.0"}, {Name: "chain-a", Version: "1.0.0"}}
	code := "exports.g = require('@kh/greet'); exports.a = require('chain-a');"
	first := build(t, newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache }), Input{Code: code, Dependencies: deps})
	if n := r.tarballRequests(); n != 5 {
		t.Fatalf("first build: %d tarball requests, want 5", n)
	}

	// Another Builder on the same cache (a restart) downloads nothing.
	second := build(t, newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache }), Input{Code: code, Dependencies: deps})
	if n := r.tarballRequests(); n != 5 {
		t.Fatalf("second build: %d tarball requests in all, want still 5", n)
	}
	if first.SHA256 != second.SHA256 || first.Code != second.Code {
		t.Fatal("the same inputs built different bundles")
	}

	// A damaged tarball whose package folder is gone is downloaded again, not trusted.
	lpad := first.Packages[slices.IndexFunc(first.Packages, func(p Package) bool { return p.Name == "lpad" })]
	integ, err := parseIntegrity(lpad.Integrity, "")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cache, "packages", integ.packageDirName("lpad", lpad.Version))
	tgz := filepath.Join(cache, "tarballs", integ.key()+".tgz")
	if err := os.WriteFile(tgz, []byte("not the tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	third := build(t, newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache }), Input{Code: code, Dependencies: deps})
	if n := r.tarballRequests(); n != 6 {
		t.Fatalf("after damage: %d tarball requests in all, want 6", n)
	}
	if third.SHA256 != first.SHA256 {
		t.Fatal("the rebuilt bundle differs")
	}

	// A package folder that says it holds other content is refused, not used.
	meta := filepath.Join(root, "meta.json")
	mb, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, []byte(strings.Replace(string(mb), `"integrity":"sha512-`, `"integrity":"sha512-X`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache }).Build(context.Background(), Input{Code: code, Dependencies: deps})
	wantKind(t, err, KindBadTarball)
	if err := os.WriteFile(meta, mb, 0o644); err != nil {
		t.Fatal(err)
	}

	// A bundle does not depend on where the cache is.
	elsewhere := build(t, newTestBuilder(t, r), Input{Code: code, Dependencies: deps})
	if elsewhere.SHA256 != first.SHA256 {
		t.Fatal("a bundle built in another cache folder differs")
	}
	// No temporaries are left behind.
	for _, sub := range []string{"tarballs", "packages"} {
		entries, _ := os.ReadDir(filepath.Join(cache, sub))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Fatalf("%s/%s left behind", sub, e.Name())
			}
		}
	}
}

func TestConcurrentBuilds(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	cache := t.TempDir()
	b := newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache })
	other := newTestBuilder(t, r, func(o *Options) { o.CacheDir = cache }) // another process on the same data dir
	in := Input{Code: "exports.a = require('chain-a'); exports.g = require('@kh/greet');",
		Dependencies: []Dependency{{Name: "chain-a", Version: "1.0.0"}, {Name: "@kh/greet", Version: "1.0.0"}}}
	var wg sync.WaitGroup
	hashes := make([]string, 8)
	errs := make([]error, 8)
	for i := range hashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			builder := b
			if i == 0 {
				builder = other
			}
			out, err := builder.Build(context.Background(), in)
			errs[i] = err
			if err == nil {
				hashes[i] = out.SHA256
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		if hashes[i] != hashes[0] {
			t.Fatalf("build %d made another bundle", i)
		}
	}
	// One Builder downloads each tarball once; the other may race it once more per tarball.
	if n := r.tarballRequests(); n < 5 || n > 10 {
		t.Fatalf("%d tarball requests for 5 packages", n)
	}
}

func TestResolveOnly(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	pinned, pkgs, err := b.Resolve(context.Background(), []Dependency{{Name: "chain-a", Version: "^1.0.0"}, {Name: "lpad", Version: "latest"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Pinned{{Name: "chain-a", Spec: "^1.0.0", Package: "chain-a", Version: "1.0.0"}, {Name: "lpad", Spec: "latest", Package: "lpad", Version: "1.1.0"}}
	if !slices.Equal(pinned, want) || len(pkgs) != 4 {
		t.Fatalf("pinned %+v, packages %+v", pinned, pkgs)
	}
	if n := r.tarballRequests(); n != 0 {
		t.Fatalf("Resolve downloaded %d tarballs", n)
	}
}

func TestNoRegistry(t *testing.T) {
	t.Parallel()
	b, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Build(context.Background(), Input{Code: "exports.x = require('node:crypto') && 1;", Language: LanguageJavaScript})
	wantKind(t, err, KindUnresolvedRequire) // New was given no built-ins to serve
	out, err := b.Build(context.Background(), Input{Code: "exports.x = 1;"})
	if err != nil || !strings.Contains(out.Code, "exports.x = 1") {
		t.Fatalf("code without dependencies: %v", err)
	}
	_, err = b.Build(context.Background(), Input{Code: "1", Dependencies: []Dependency{{Name: "lpad"}}})
	wantKind(t, err, KindNoRegistry)
}

func TestRegistryCredentials(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	r.token = "s3cret-token"
	home := t.TempDir()
	host := strings.TrimPrefix(r.srv.URL, "http://")
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("registry="+r.srv.URL+"/\n//"+host+"/:_authToken=${TEST_NPM_TOKEN}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(env ...string) *Registry {
		reg, err := LoadRegistry(ConfigSource{Environ: append(env, "HOME="+home), Dir: t.TempDir(), NodePath: "/nonexistent/bin/node", NPMDir: "/nonexistent"})
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	withToken := load("TEST_NPM_TOKEN=s3cret-token")
	if s := withToken.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, ".npmrc") {
		t.Fatalf("String() = %q", s)
	}
	b := newTestBuilder(t, r, func(o *Options) { o.Registry = withToken })
	build(t, b, Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: "1.0.0"}}})
	r.mu.Lock()
	for _, a := range r.auths {
		if a != "Bearer s3cret-token" {
			t.Errorf("a request carried Authorization %q", a)
		}
	}
	r.mu.Unlock()

	wrong := newTestBuilder(t, r, func(o *Options) { o.Registry = load("TEST_NPM_TOKEN=wrong") })
	_, err := wrong.Build(context.Background(), Input{Code: "1", Dependencies: []Dependency{{Name: "lpad", Version: "1.0.0"}}})
	e := wantKind(t, err, KindRegistry)
	if !strings.Contains(e.Error(), "refused access") || strings.Contains(e.Error(), "wrong") {
		t.Fatalf("error %q", e.Error())
	}
}

func TestRegistryRetries(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	r.failOnce["/lpad"] = true
	r.failOnce["/lpad/-/lpad-1.0.0.tgz"] = true
	build(t, newTestBuilder(t, r), Input{Code: lpadVersionCode, Dependencies: []Dependency{{Name: "lpad", Version: "1.0.0"}}})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requests["/lpad"] != 2 || r.requests["/lpad/-/lpad-1.0.0.tgz"] != 2 {
		t.Fatalf("requests %v, want each asked twice", r.requests)
	}
}

func TestDependencyRequiresLeftToRuntime(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	b := newTestBuilder(t, r)
	out := build(t, b, Input{Code: "exports.lazy = require('lazy-requires');", Dependencies: []Dependency{{Name: "lazy-requires", Version: "^1"}}})
	if want := []string{"esm-exports/esm.mjs", "not-listed-anywhere"}; !slices.Equal(out.RuntimeRequires, want) {
		t.Fatalf("runtime requires %v, want %v", out.RuntimeRequires, want)
	}
	// The module loads; the missing ones fail only when required, as in Node.
	got := runBundle(t, out, "[m.lazy.ok, (() => { try { m.lazy.later(); return 'loaded' } catch (e) { return e.code } })()]")
	if got != `["cjs","MODULE_NOT_FOUND"]` {
		t.Fatalf("got %s", got)
	}
}

func TestBuildReadsOnlyPackages(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	pkg := func(name, pj, index string) {
		r.add(name, "1.0.0", map[string]any{"name": name, "version": "1.0.0"}, packFiles(t, map[string][]byte{"package.json": []byte(pj), "index.js": []byte(index)}))
	}
	// From <cache>/packages/<dir>/node_modules/<name>/index.js, four levels up is <cache>.
	pkg("nosy", `{"name":"nosy","version":"1.0.0"}`, "module.exports = require('../../../../secret.json');")
	pkg("nosy-meta", `{"name":"nosy-meta","version":"1.0.0"}`, "module.exports = require('../../meta.json');")
	pkg("nosy-main", `{"name":"nosy-main","version":"1.0.0","main":"../../../../secret.json"}`, "")
	pkg("nosy-browser", `{"name":"nosy-browser","version":"1.0.0","browser":{"./index.js":"../../../../secret.json"}}`, "")
	for _, name := range []string{"nosy", "nosy-meta", "nosy-main", "nosy-browser"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newTestBuilder(t, r)
			writeFile(t, filepath.Join(b.cacheDir, "secret.json"), `{"secret": "s3cret"}`)
			out, err := b.Build(context.Background(), Input{Code: "module.exports = require('" + name + "');", Dependencies: []Dependency{{Name: name, Version: "1.0.0"}}})
			if err == nil && strings.Contains(out.Code, "s3cret") || err == nil && strings.Contains(out.Code, "unpackedSize") {
				t.Fatal("the bundle holds a file from outside the package")
			}
			wantKind(t, err, KindUnresolvedRequire)
		})
	}
	// The code itself is one file: no path of any kind.
	b := newTestBuilder(t, r)
	writeFile(t, filepath.Join(b.cacheDir, "secret.json"), `{"secret": "s3cret"}`)
	for _, spec := range []string{"../secret.json", filepath.Join(b.cacheDir, "secret.json"), "./packages"} {
		_, err := b.Build(context.Background(), Input{Code: "module.exports = require('" + spec + "');"})
		wantKind(t, err, KindUnresolvedRequire)
	}
}
