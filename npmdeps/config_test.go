package npmdeps

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Registries in these tests are made-up hosts under .invalid: nothing is fetched.

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRegistryPrecedence(t *testing.T) {
	t.Parallel()
	// One layout: a home, a project with a package.json (run from its subfolder), node's prefix,
	// npm's own folder; each case writes some of the files and sets some variables.
	type layout struct{ home, project, cwd, prefix, npmDir, other string }
	tests := []struct {
		name     string
		files    func(l layout) map[string]string
		env      func(l layout) []string
		override string
		want     string
		source   func(l layout) string
	}{
		{
			name: "builtin config",
			files: func(l layout) map[string]string {
				return map[string]string{l.npmDir + "/npmrc": "registry=https://builtin.invalid/"}
			},
			want: "https://builtin.invalid/", source: func(l layout) string { return l.npmDir + "/npmrc" },
		},
		{
			name: "global config under node's prefix beats builtin",
			files: func(l layout) map[string]string {
				return map[string]string{l.npmDir + "/npmrc": "registry=https://builtin.invalid/", l.prefix + "/etc/npmrc": "registry=https://global.invalid"}
			},
			want: "https://global.invalid/", source: func(l layout) string { return l.prefix + "/etc/npmrc" },
		},
		{
			name: "user config beats global",
			files: func(l layout) map[string]string {
				return map[string]string{l.prefix + "/etc/npmrc": "registry=https://global.invalid/", l.home + "/.npmrc": "registry=https://user.invalid/"}
			},
			want: "https://user.invalid/", source: func(l layout) string { return l.home + "/.npmrc" },
		},
		{
			name: "project config, found from a subfolder, beats user",
			files: func(l layout) map[string]string {
				return map[string]string{l.home + "/.npmrc": "registry=https://user.invalid/", l.project + "/.npmrc": "registry=https://project.invalid/"}
			},
			want: "https://project.invalid/", source: func(l layout) string { return l.project + "/.npmrc" },
		},
		{
			name: "environment beats files, whatever its case",
			files: func(l layout) map[string]string {
				return map[string]string{l.project + "/.npmrc": "registry=https://project.invalid/"}
			},
			env:  func(l layout) []string { return []string{"npm_config_registry=https://env.invalid/"} },
			want: "https://env.invalid/", source: func(l layout) string { return "environment" },
		},
		{
			name:     "override beats everything",
			env:      func(l layout) []string { return []string{"NPM_CONFIG_REGISTRY=https://env.invalid/"} },
			override: "https://override.invalid/npm",
			want:     "https://override.invalid/npm/", source: func(l layout) string { return "--npm-registry" },
		},
		{
			name: "NPM_CONFIG_USERCONFIG moves the user file",
			files: func(l layout) map[string]string {
				return map[string]string{l.home + "/.npmrc": "registry=https://user.invalid/", l.other + "/my.npmrc": "registry=https://moved.invalid/"}
			},
			env:  func(l layout) []string { return []string{"NPM_CONFIG_USERCONFIG=" + l.other + "/my.npmrc"} },
			want: "https://moved.invalid/", source: func(l layout) string { return l.other + "/my.npmrc" },
		},
		{
			name: "userconfig set in the project",
			files: func(l layout) map[string]string {
				return map[string]string{l.project + "/.npmrc": "userconfig=" + l.other + "/u.npmrc", l.other + "/u.npmrc": "registry=https://moved.invalid/"}
			},
			want: "https://moved.invalid/", source: func(l layout) string { return l.other + "/u.npmrc" },
		},
		{
			name: "NPM_CONFIG_GLOBALCONFIG moves the global file",
			files: func(l layout) map[string]string {
				return map[string]string{l.prefix + "/etc/npmrc": "registry=https://global.invalid/", l.other + "/g": "registry=https://moved-global.invalid/"}
			},
			env:  func(l layout) []string { return []string{"NPM_CONFIG_GLOBALCONFIG=" + l.other + "/g"} },
			want: "https://moved-global.invalid/", source: func(l layout) string { return l.other + "/g" },
		},
		{
			name: "prefix in the user file moves the global file",
			files: func(l layout) map[string]string {
				return map[string]string{l.home + "/.npmrc": "prefix=~/npm-global", l.home + "/npm-global/etc/npmrc": "registry=https://prefixed.invalid/"}
			},
			want: "https://prefixed.invalid/", source: func(l layout) string { return l.home + "/npm-global/etc/npmrc" },
		},
		{
			name: "PREFIX replaces node's prefix",
			files: func(l layout) map[string]string {
				return map[string]string{l.other + "/etc/npmrc": "registry=https://prefix-env.invalid/"}
			},
			env:  func(l layout) []string { return []string{"PREFIX=" + l.other} },
			want: "https://prefix-env.invalid/", source: func(l layout) string { return l.other + "/etc/npmrc" },
		},
		{
			name: "variables, quotes and comments",
			env: func(l layout) []string {
				return []string{"NPM_CONFIG_USERCONFIG=" + l.other + "/${RC}", "RC=vars.npmrc"}
			},
			want: "https://mirror.invalid/npm/", source: func(l layout) string { return l.other + "/vars.npmrc" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			l := layout{home: base + "/home", project: base + "/proj", cwd: base + "/proj/src/deep", prefix: base + "/usr",
				npmDir: base + "/usr/lib/node_modules/npm", other: base + "/other"}
			writeFile(t, l.project+"/package.json", "{}")
			writeFile(t, l.cwd+"/x.js", "")
			writeFile(t, l.other+"/vars.npmrc", "; comment\n  registry = \"https://${HOST}/npm\"\nunused=${UNSET?}\n")
			if tt.files != nil {
				for p, text := range tt.files(l) {
					writeFile(t, p, text)
				}
			}
			env := []string{"HOME=" + l.home, "HOST=mirror.invalid", "PATH="}
			if tt.env != nil {
				env = append(env, tt.env(l)...)
			}
			reg, err := LoadRegistry(ConfigSource{Registry: tt.override, Environ: env, Dir: l.cwd, NodePath: l.prefix + "/bin/node", NPMDir: l.npmDir})
			if err != nil {
				t.Fatal(err)
			}
			if reg.URL != tt.want || reg.Source != tt.source(l) {
				t.Fatalf("registry %q from %q, want %q from %q", reg.URL, reg.Source, tt.want, tt.source(l))
			}
		})
	}
}

func TestLoadRegistryFindsNodeAndNPMOnPath(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	// As npm installs itself: <prefix>/bin/npm → ../lib/node_modules/npm/bin/npm-cli.js.
	writeFile(t, base+"/bin/node", "#!/bin/sh\n")
	writeFile(t, base+"/lib/node_modules/npm/bin/npm-cli.js", "")
	writeFile(t, base+"/lib/node_modules/npm/npmrc", "registry=https://builtin.invalid/\n")
	for _, p := range []string{base + "/bin/node", base + "/lib/node_modules/npm/bin/npm-cli.js"} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", base+"/bin/npm"); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + base + "/home", "PATH=" + base + "/empty:" + base + "/bin"}
	reg, err := LoadRegistry(ConfigSource{Environ: env, Dir: base})
	if err != nil {
		t.Fatal(err)
	}
	if reg.URL != "https://builtin.invalid/" {
		t.Fatalf("registry %q, want the builtin config's", reg.URL)
	}
	// node's prefix is base, so its global config is base/etc/npmrc.
	writeFile(t, base+"/etc/npmrc", "registry=https://global.invalid/\n")
	if reg, err = LoadRegistry(ConfigSource{Environ: env, Dir: base}); err != nil || reg.URL != "https://global.invalid/" {
		t.Fatalf("registry %v, %v: want the global config under node's prefix", reg, err)
	}
}

func TestLoadRegistryRefuses(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	src := ConfigSource{Environ: []string{"HOME=" + base, "PATH="}, Dir: base, NodePath: base + "/bin/node", NPMDir: base + "/npm"}
	_, err := LoadRegistry(src)
	if !errors.Is(err, ErrNoRegistry) || !strings.Contains(err.Error(), "--npm-registry") {
		t.Fatalf("nothing configured: %v", err)
	}
	for _, bad := range []string{"ftp://mirror.invalid/", "mirror.invalid", "https://"} {
		src.Registry = bad
		if _, err := LoadRegistry(src); !errors.Is(err, ErrNoRegistry) {
			t.Fatalf("registry %q: %v", bad, err)
		}
	}
	src.Registry = "https://user:hunter2@mirror.invalid/"
	reg, err := LoadRegistry(src)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(reg.String(), "hunter2") {
		t.Fatalf("String() = %q shows the password", reg.String())
	}
	src.Registry = "ftp://user:hunter2@mirror.invalid/"
	if _, err := LoadRegistry(src); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v shows the password", err)
	}
}

func TestScopesAndCredentials(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	basic := base64.StdEncoding.EncodeToString([]byte("pw"))
	writeFile(t, base+"/home/.npmrc", strings.Join([]string{
		"registry=https://mirror.invalid/npm/",
		"@corp:registry=https://corp.invalid/",
		"//mirror.invalid/npm/:_authToken=mirror-token",
		"//corp.invalid/:_auth=Y29ycDpwdw==",
		"//corp.invalid/:_authToken=corp-token", // a token beats _auth for the same key
		"//files.invalid/deep/:username=alice",
		"//files.invalid/deep/:_password=" + basic,
	}, "\n"))
	reg, err := LoadRegistry(ConfigSource{Environ: []string{"HOME=" + base + "/home", "PATH=", "npm_config_@env:registry=https://env-scope.invalid"},
		Dir: base, NodePath: base + "/bin/node", NPMDir: base + "/npm"})
	if err != nil {
		t.Fatal(err)
	}
	wantScopes := map[string]string{"@corp": "https://corp.invalid/", "@env": "https://env-scope.invalid/"}
	if !maps.Equal(reg.Scopes, wantScopes) {
		t.Fatalf("scopes %v, want %v", reg.Scopes, wantScopes)
	}
	for name, want := range map[string]string{"@corp/thing": "https://corp.invalid/", "@env/x": "https://env-scope.invalid/", "@other/x": "https://mirror.invalid/npm/", "lodash": "https://mirror.invalid/npm/"} {
		if got := reg.registryFor(name); got != want {
			t.Errorf("registry of %s: %q, want %q", name, got, want)
		}
	}
	tests := []struct{ uri, pkgRegistry, want string }{
		{"https://mirror.invalid/npm/lodash", "https://mirror.invalid/npm/", "Bearer mirror-token"},
		{"https://mirror.invalid/npm/@s%2fx", "https://mirror.invalid/npm/", "Bearer mirror-token"},
		// A tarball elsewhere on the registry's host gets the registry's credentials ...
		{"https://mirror.invalid/tarballs/lodash.tgz", "https://mirror.invalid/npm/", "Bearer mirror-token"},
		// ... one on another host none: a token never leaves for a host it was not set for.
		{"https://cdn.invalid/lodash.tgz", "https://mirror.invalid/npm/", ""},
		{"https://mirror.invalid:8443/npm/lodash", "https://mirror.invalid/npm/", ""},
		{"https://corp.invalid/@corp%2fthing", "https://corp.invalid/", "Bearer corp-token"},
		{"https://files.invalid/deep/x.tgz", "https://mirror.invalid/npm/", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw"))},
		{"https://files.invalid/shallow/x.tgz", "https://mirror.invalid/npm/", ""},
	}
	for _, tt := range tests {
		if got := reg.authorization(tt.uri, tt.pkgRegistry); got != tt.want {
			t.Errorf("authorization for %s: %q, want %q", tt.uri, got, tt.want)
		}
	}
	if s := reg.String(); strings.Contains(s, "token") {
		t.Fatalf("String() = %q", s)
	}
}

func TestParseNpmrc(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOME": "/home/u", "TOKEN": "abc"}
	tests := []struct {
		text string
		want map[string]string
	}{
		{"registry=https://a.invalid/", map[string]string{"registry": "https://a.invalid/"}},
		{"  registry =  https://a.invalid/  ", map[string]string{"registry": "https://a.invalid/"}},
		{"registry=https://a.invalid/ ; comment", map[string]string{"registry": "https://a.invalid/"}},
		{"registry=https://a.invalid/#frag", map[string]string{"registry": "https://a.invalid/"}},
		{`registry=https://a.invalid/\#frag`, map[string]string{"registry": "https://a.invalid/#frag"}},
		{`registry="https://a.invalid/;x"`, map[string]string{"registry": "https://a.invalid/;x"}},
		{`registry='https://a.invalid/'`, map[string]string{"registry": "https://a.invalid/"}},
		{"//a.invalid/:_authToken=${TOKEN}", map[string]string{"//a.invalid/:_authToken": "abc"}},
		{"x=${MISSING}\ny=${MISSING?}\nz=\\${TOKEN}", map[string]string{"x": "${MISSING}", "y": "", "z": "${TOKEN}"}},
		{"; comment\n# comment\n\nflag\r\nk=v", map[string]string{"flag": "true", "k": "v"}},
		{"list[]=a\nlist[]=b", map[string]string{"list": "b"}},
		{"a=1\n[section]\nb=2", map[string]string{"a": "1"}},
		{"__proto__=x\n=y", map[string]string{}},
	}
	for _, tt := range tests {
		if got := parseNpmrc(tt.text, env); !maps.Equal(got, tt.want) {
			t.Errorf("parseNpmrc(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestParseSpecAndRanges(t *testing.T) {
	t.Parallel()
	// npm's range semantics where Masterminds/semver alone would differ.
	tests := []struct {
		rng, version string
		want         bool
	}{
		{">=1.2.3-beta.1", "1.2.3-beta.2", true},
		{">=1.2.3-beta.1", "1.3.0-alpha", false}, // Masterminds alone: true
		{"^1.2.3-beta", "1.5.0-beta", false},     // Masterminds alone: true
		{"^1.2.3-beta", "1.5.0", true},
		{">=2.0.0-0", "2.1.0-beta", false},
		{"<2.0.0", "2.0.0-alpha", false},
		{"^1.0.0 || >=2.0.0-rc.1 <2.0.0", "2.0.0-rc.2", true},
		{"^1.0.0 ||", "7.0.0", true}, // an empty alternative is any version
		{"*", "1.0.0-rc.1", false},
		{"1.2.3 - 2.3", "2.3.9", true},
		{"1.2.3 - 2.3", "2.4.0", false},
		{"^0.2.3", "0.3.0", false},
		{"~1", "1.9.0", true},
	}
	for _, tt := range tests {
		s, err := parseSpec("x", tt.rng)
		if err != nil || s.kind != specRange {
			t.Fatalf("parseSpec(%q) = %+v, %v", tt.rng, s, err)
		}
		p := &packument{Versions: map[string]json.RawMessage{tt.version: json.RawMessage(`{}`)}}
		_, err = p.pick("x", s)
		if got := err == nil; got != tt.want {
			t.Errorf("%q satisfied by %s: %v, want %v", tt.rng, tt.version, got, tt.want)
		}
	}
	kinds := map[string]specKind{"": specTag, "latest": specTag, "next-2": specTag, "1.2.3": specVersion, "v1.2.3": specVersion,
		"=1.2.3": specRange, "1.2": specRange, "^1": specRange, "npm:lodash@^4": specRange, "npm:lodash": specTag}
	for raw, want := range kinds {
		if s, err := parseSpec("x", raw); err != nil || s.kind != want {
			t.Errorf("parseSpec(%q) = %+v, %v; want kind %d", raw, s, err, want)
		}
	}
	for _, bad := range []string{"github:a/b", "a/b", "file:x", "https://x.invalid/a.tgz", "workspace:*", "npm:", "npm:@/x", "not a range!"} {
		if _, err := parseSpec("x", bad); err == nil {
			t.Errorf("parseSpec(%q) accepted", bad)
		}
	}
}

func TestSplitRequire(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, name, version, sub string }{
		{"lodash", "lodash", "", ""},
		{"lodash/fp", "lodash", "", "/fp"},
		{"lodash@4.17.21", "lodash", "4.17.21", ""},
		{"lodash@4.17.21/fp/map", "lodash", "4.17.21", "/fp/map"},
		{"@slack/webhook", "@slack/webhook", "", ""},
		{"@slack/webhook@7.0.2", "@slack/webhook", "7.0.2", ""},
		{"@slack/webhook@^7/dist/x", "@slack/webhook", "^7", "/dist/x"},
		{"@scope", "@scope", "", ""},
	}
	for _, tt := range tests {
		name, version, sub := splitRequire(tt.spec)
		if name != tt.name || version != tt.version || sub != tt.sub {
			t.Errorf("splitRequire(%q) = %q, %q, %q", tt.spec, name, version, sub)
		}
	}
}

// TestNPMDefault: with nothing configured, npm's own default (asked of npm
// by the caller) is the registry; anything configured wins over it.
func TestNPMDefault(t *testing.T) {
	dir := t.TempDir()
	asked := 0
	ask := func() (string, error) { asked++; return "https://npm-default.invalid/", nil }
	src := ConfigSource{Environ: []string{"HOME=" + dir, "PATH="}, Dir: dir, NPMDefault: ask}
	r, err := LoadRegistry(src)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "https://npm-default.invalid/" || asked != 1 || !strings.Contains(r.Source, "built-in default") {
		t.Fatalf("registry %s from %q after %d asks", r.URL, r.Source, asked)
	}
	src.Environ = append(src.Environ, "NPM_CONFIG_REGISTRY=https://configured.invalid/")
	if r, err = LoadRegistry(src); err != nil || r.URL != "https://configured.invalid/" || asked != 1 {
		t.Fatalf("configured registry: %v, %v after %d asks", r, err, asked)
	}
	src.Environ = src.Environ[:2]
	src.NPMDefault = func() (string, error) { return "", errors.New("no npm") }
	if _, err := LoadRegistry(src); !errors.Is(err, ErrNoRegistry) {
		t.Fatalf("npm unavailable: %v", err)
	}
}

// TestAskNPM asks the npm on PATH, when there is one, for its registry.
func TestAskNPM(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("no npm on PATH")
	}
	got, err := AskNPM(context.Background(), os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(got); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		t.Fatalf("npm config get registry printed %q", got)
	}
}
