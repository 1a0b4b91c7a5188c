package npmdeps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRegistry is an npm registry over httptest, serving the packages of testdata/registry
// (one folder per name/version, packed into tarballs when the test starts) and any a test adds.
type testRegistry struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	packages map[string]*testPackage
	requests map[string]int // by URL path
	accepts  []string       // Accept headers of metadata requests
	auths    []string       // Authorization headers seen
	token    string         // when set, every request must carry "Bearer <token>"
	tamper   map[string]bool
	failOnce map[string]bool // paths answered 503 the first time
}

type testPackage struct {
	distTags map[string]string
	versions map[string]*testVersion
}

type testVersion struct {
	manifest map[string]any
	tgz      []byte
	noSRI    bool // publish only the SHA-1 shasum, as very old packages do
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{t: t, packages: map[string]*testPackage{}, requests: map[string]int{}, tamper: map[string]bool{}, failOnce: map[string]bool{}}
	r.loadTestdata()
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// loadTestdata packs testdata/registry/<name>/<version>/ (and @scope/<name>/<version>/).
func (r *testRegistry) loadTestdata() {
	root := filepath.Join("testdata", "registry")
	var names []string
	entries, err := os.ReadDir(root)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "@") {
			scoped, _ := os.ReadDir(filepath.Join(root, e.Name()))
			for _, s := range scoped {
				names = append(names, e.Name()+"/"+s.Name())
			}
			continue
		}
		names = append(names, e.Name())
	}
	for _, name := range names {
		dir := filepath.Join(root, filepath.FromSlash(name))
		versions, _ := os.ReadDir(dir)
		for _, v := range versions {
			if !v.IsDir() {
				continue
			}
			files := map[string][]byte{}
			vdir := filepath.Join(dir, v.Name())
			err := filepath.WalkDir(vdir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(vdir, p)
				files[filepath.ToSlash(rel)] = b
				return err
			})
			if err != nil {
				r.t.Fatal(err)
			}
			var manifest map[string]any
			if err := json.Unmarshal(files["package.json"], &manifest); err != nil {
				r.t.Fatalf("%s: %v", vdir, err)
			}
			r.add(name, v.Name(), manifest, packFiles(r.t, files))
		}
		if b, err := os.ReadFile(filepath.Join(dir, "dist-tags.json")); err == nil {
			var tags map[string]string
			if err := json.Unmarshal(b, &tags); err != nil {
				r.t.Fatal(err)
			}
			r.packages[name].distTags = tags
		}
	}
}

// add publishes a version; "latest" follows the highest release unless dist-tags.json says.
func (r *testRegistry) add(name, version string, manifest map[string]any, tgz []byte) *testVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.packages[name]
	if p == nil {
		p = &testPackage{distTags: map[string]string{}, versions: map[string]*testVersion{}}
		r.packages[name] = p
	}
	v := &testVersion{manifest: manifest, tgz: tgz}
	p.versions[version] = v
	if !strings.Contains(version, "-") && (p.distTags["latest"] == "" || compareVersions(version, p.distTags["latest"]) > 0) {
		p.distTags["latest"] = version
	}
	return v
}

// packFiles makes an npm tarball: every file under "package/", in a fixed order and time.
func packFiles(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var entries []tarEntry
	for _, n := range names {
		entries = append(entries, tarEntry{name: "package/" + n, body: files[n]})
	}
	return makeTarball(t, entries)
}

type tarEntry struct {
	name     string
	body     []byte
	typeflag byte
	linkname string
}

func makeTarball(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		size := int64(len(e.body))
		if tf != tar.TypeReg {
			size = 0
		}
		hdr := &tar.Header{Name: e.name, Typeflag: tf, Linkname: e.linkname, Mode: 0o644, Size: size, ModTime: time.Unix(499162500, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if tf == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (r *testRegistry) serve(w http.ResponseWriter, req *http.Request) {
	path := req.URL.EscapedPath()
	r.mu.Lock()
	r.requests[path]++
	r.auths = append(r.auths, req.Header.Get("Authorization"))
	token := r.token
	fail := r.failOnce[path]
	delete(r.failOnce, path)
	r.mu.Unlock()
	if fail {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if token != "" && req.Header.Get("Authorization") != "Bearer "+token {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if name, file, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/-/"); ok {
		r.serveTarball(w, strings.Replace(name, "%2f", "/", 1), file)
		return
	}
	name := strings.Replace(strings.Replace(strings.TrimPrefix(path, "/"), "%2F", "/", 1), "%2f", "/", 1)
	r.mu.Lock()
	r.accepts = append(r.accepts, req.Header.Get("Accept"))
	p := r.packages[name]
	var doc map[string]any
	if p != nil {
		versions := map[string]any{}
		for v, tv := range p.versions {
			m := map[string]any{}
			for k, val := range tv.manifest {
				if k == "scripts" || k == "main" || k == "browser" || k == "exports" {
					continue // not in the abbreviated form
				}
				m[k] = val
			}
			m["name"], m["version"] = name, v
			dist := map[string]any{
				"tarball":      r.srv.URL + "/" + name + "/-/" + baseName(name) + "-" + v + ".tgz",
				"shasum":       hexSum(sha1.New(), tv.tgz),
				"unpackedSize": 1000,
			}
			if !tv.noSRI {
				sum := sha512.Sum512(tv.tgz)
				dist["integrity"] = "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
			}
			m["dist"] = dist
			versions[v] = m
		}
		doc = map[string]any{"name": name, "dist-tags": p.distTags, "versions": versions, "modified": "2025-01-01T00:00:00.000Z"}
	}
	r.mu.Unlock()
	if doc == nil {
		http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.npm.install-v1+json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (r *testRegistry) serveTarball(w http.ResponseWriter, name, file string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.packages[name]
	prefix := baseName(name) + "-"
	if p == nil || !strings.HasPrefix(file, prefix) || !strings.HasSuffix(file, ".tgz") {
		http.NotFound(w, nil)
		return
	}
	version := strings.TrimSuffix(strings.TrimPrefix(file, prefix), ".tgz")
	v := p.versions[version]
	if v == nil {
		http.NotFound(w, nil)
		return
	}
	body := v.tgz
	if r.tamper[name+"@"+version] {
		body = append(append([]byte(nil), body...), 0) // trailing garbage gzip ignores: only the digest tells
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(body)
}

// tarballRequests counts requests for tarballs.
func (r *testRegistry) tarballRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for p, c := range r.requests {
		if strings.Contains(p, "/-/") {
			n += c
		}
	}
	return n
}

func (r *testRegistry) registry() *Registry {
	reg, err := LoadRegistry(ConfigSource{Registry: r.srv.URL, Environ: []string{"HOME=" + r.t.TempDir()}, Dir: r.t.TempDir(), NodePath: "/nonexistent/bin/node", NPMDir: "/nonexistent"})
	if err != nil {
		r.t.Fatal(err)
	}
	return reg
}

func baseName(name string) string {
	if _, after, ok := strings.Cut(name, "/"); ok {
		return after
	}
	return name
}

func hexSum(h interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}, b []byte) string {
	_, _ = h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// testBuiltins is what a sandbox might serve.
var testBuiltins = []string{"buffer", "crypto", "events", "stream", "util", "url", "node:buffer", "node:crypto", "node:events", "node:stream", "node:util", "node:url"}

func newTestBuilder(t *testing.T, r *testRegistry, mutate ...func(*Options)) *Builder {
	t.Helper()
	opts := Options{Registry: r.registry(), CacheDir: t.TempDir(), Builtins: testBuiltins}
	for _, m := range mutate {
		m(&opts)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
