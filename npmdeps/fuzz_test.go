package npmdeps

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Registry metadata, tarballs and .npmrc files are untrusted input: a registry or a mirror
// may be hostile, and a tarball is whatever its author packed.

func FuzzPackument(f *testing.F) {
	f.Add([]byte(`{"name":"x","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"x","version":"1.0.0","dependencies":{"y":"^1"},"dist":{"tarball":"https://r.invalid/x.tgz","integrity":"sha512-AAAA"}}}}`), "^1")
	f.Add([]byte(`{"versions":{"1.0.0":{"deprecated":"no","dist":{"tarball":"t"}},"2.0.0-rc.1":{"dist":{"tarball":"t"}},"v3":{}}}`), ">=1.0.0-0")
	f.Add([]byte(`{"dist-tags":{"latest":"9.9.9"},"versions":{"1.0.0":{"dependencies":["old","array"],"dist":{"tarball":"t"}}}}`), "latest")
	f.Add([]byte(`{"versions":{"1.0.0":null}}`), "npm:x@1.0.0")
	f.Add([]byte(`[]`), "")
	f.Add([]byte(`{"dist-tags":{"latest":"../../x"},"versions":{"../../x":{"dist":{"tarball":"t"}}}}`), "")
	f.Fuzz(func(t *testing.T, body []byte, rawSpec string) {
		p, err := parsePackument("x", body)
		if err != nil {
			return
		}
		s, err := parseSpec("x", rawSpec)
		if err != nil {
			return
		}
		v, err := p.pick("x", s)
		if err != nil {
			if KindOf(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if _, ok := p.Versions[v]; !ok {
			t.Fatalf("picked %q, which is not published", v)
		}
		if !semverPattern.MatchString(v) {
			t.Fatalf("picked %q, which is not a version (versions name cache folders)", v)
		}
		m, err := p.manifest("x", v)
		if err != nil {
			return
		}
		if m.Version != v || m.Dist.Tarball == "" {
			t.Fatalf("manifest %+v for %s", m, v)
		}
		n := &node{name: "x", version: v, m: m, deps: map[string]*node{}}
		if ws, err := dependencyWants(n); err == nil {
			for _, w := range ws {
				if !validPackageName(w.name) {
					t.Fatalf("want of invalid name %q", w.name)
				}
			}
		}
	})
}

func FuzzExtractTarball(f *testing.F) {
	f.Add(makeTarball(f, []tarEntry{{name: "package/package.json", body: []byte(`{"name":"x"}`)}, {name: "package/lib/a.js", body: []byte("1")}}))
	f.Add(makeTarball(f, []tarEntry{{name: "package/../../x", body: []byte("1")}}))
	f.Add(makeTarball(f, []tarEntry{{name: "package/l", typeflag: '2', linkname: "/etc"}, {name: "package/l/passwd", body: []byte("1")}}))
	f.Add(makeTarball(f, []tarEntry{{name: "package/d", typeflag: '5'}, {name: "package/d/../../../x", body: []byte("1")}}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, tgz []byte) {
		base := t.TempDir()
		dest := filepath.Join(base, "a", "b", "pkg")
		if err := os.MkdirAll(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		written, err := extractTarball(tgz, dest, extractLimits{maxBytes: 1 << 20, maxFiles: 200})
		if written > 1<<20 {
			t.Fatalf("wrote %d bytes past the limit", written)
		}
		_ = err
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != base && !strings.HasPrefix(p, dest+string(filepath.Separator)) && p != dest &&
				p != filepath.Join(base, "a") && p != filepath.Join(base, "a", "b") {
				t.Fatalf("%s written outside the package folder", p)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				t.Fatalf("%s is a link", p)
			}
			return nil
		})
	})
}

func FuzzParseNpmrc(f *testing.F) {
	f.Add("registry=https://a.invalid/\n//a.invalid/:_authToken=${T}\n@s:registry='x'\n[sec]\nk=\"v\\\"\" ; c")
	f.Add("a=${B?}\\${C}\\\\${D}")
	f.Fuzz(func(t *testing.T, text string) {
		for k, v := range parseNpmrc(text, map[string]string{"T": "t", "D": "d"}) {
			if k == "" || strings.ContainsAny(k, "\r\n") || strings.ContainsAny(v, "\r\n") {
				t.Fatalf("key %q value %q", k, v)
			}
		}
	})
}

// semverPattern is semver 2.0.0's grammar, loosely: what may become part of a folder name.
var semverPattern = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

var cacheKey = regexp.MustCompile(`^(sha1|sha256|sha384|sha512)-[0-9a-f]+$`)

func FuzzIntegrity(f *testing.F) {
	f.Add("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg== sha1-deadbeef", "")
	f.Add("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
	f.Add("sha256-../../etc", "../x")
	f.Fuzz(func(t *testing.T, sri, shasum string) {
		integ, err := parseIntegrity(sri, shasum)
		if err != nil {
			return
		}
		// The key names cache files and folders: it must never be a path of its own.
		if !cacheKey.MatchString(integ.key()) {
			t.Fatalf("cache key %q", integ.key())
		}
		again, err := parseIntegrity(integ.String(), "")
		if err != nil || again.key() != integ.key() {
			t.Fatalf("%q does not read back: %v", integ.String(), err)
		}
	})
}
