package npmdeps

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The cache under Options.CacheDir, content-addressed by each tarball's published digest:
//
//	tarballs/<algo>-<hex>.tgz                    the verified tarball
//	packages/<dir>/node_modules/<name>/...       its extracted files
//	packages/<dir>/meta.json                     the full digest, and what extraction found
//
// where <dir> is "<name>@<version>-<first 16 hex digits of the digest>" (a scoped name's "/"
// written "+"): esbuild names every module of a bundle by its path, and those names show in
// stack traces, so they should read "lodash@4.17.21-…/node_modules/lodash/lodash.js" rather than
// carry 128 hex digits. The folder still belongs to one digest: meta.json holds the full one and
// a folder whose digest differs is refused.
//
// Every entry is written under a temporary name in the same folder and renamed into place, so a
// crash or a concurrent build never leaves a half entry under a final name; a folder that exists
// is complete. The extracted tree is only ever made from a tarball that matched its digest.

// integrity is the digest a tarball must match: the strongest of the SRI "integrity" the
// registry publishes, or its hex "shasum" (SHA-1) when it publishes no integrity.
type integrity struct {
	algo string
	sum  []byte
}

var integrityStrength = map[string]int{"sha1": 1, "sha256": 2, "sha384": 3, "sha512": 4}

func parseIntegrity(sri, shasum string) (integrity, error) {
	var best integrity
	for _, tok := range strings.Fields(sri) {
		algo, b64, ok := strings.Cut(tok, "-")
		if !ok || integrityStrength[algo] == 0 {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?") // SRI options
		sum, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sum) != newHash(algo).Size() {
			continue
		}
		if integrityStrength[algo] > integrityStrength[best.algo] {
			best = integrity{algo: algo, sum: sum}
		}
	}
	if best.algo != "" {
		return best, nil
	}
	if sri == "" && shasum != "" {
		sum, err := hex.DecodeString(shasum)
		if err == nil && len(sum) == sha1.Size {
			return integrity{algo: "sha1", sum: sum}, nil
		}
	}
	return integrity{}, errors.New("the registry publishes no usable integrity digest")
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha512":
		return sha512.New()
	case "sha384":
		return sha512.New384()
	case "sha256":
		return sha256.New()
	default:
		return sha1.New()
	}
}

// key names the cached tarball of this digest.
func (i integrity) key() string { return i.algo + "-" + hex.EncodeToString(i.sum) }

// packageDirName names the extracted folder of a package with this digest.
func (i integrity) packageDirName(name, version string) string {
	return strings.Replace(name, "/", "+", 1) + "@" + version + "-" + hex.EncodeToString(i.sum)[:16]
}

// String is the SRI form.
func (i integrity) String() string { return i.algo + "-" + base64.StdEncoding.EncodeToString(i.sum) }

func (i integrity) matches(data []byte) bool {
	h := newHash(i.algo)
	h.Write(data)
	return subtle.ConstantTimeCompare(h.Sum(nil), i.sum) == 1
}

// packageMeta is meta.json.
type packageMeta struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Integrity    string `json:"integrity"` // SRI, in full
	UnpackedSize int64  `json:"unpackedSize"`
	Native       string `json:"native,omitempty"` // why the package is a native add-on, if it is
}

// cachedPackage is an extracted package ready for bundling.
type cachedPackage struct {
	root string // packages/<dir>: resolving "<name>" from here finds the package
	dir  string // root/node_modules/<name>
	meta packageMeta
}

// ensurePackage makes the package's extracted folder exist, downloading and verifying its
// tarball unless the cache has it. Concurrent calls for the same digest in this process share
// one download; other processes race only to rename complete entries into place.
func (b *Builder) ensurePackage(ctx context.Context, reg *Registry, n *node) (cachedPackage, error) {
	integ, err := parseIntegrity(n.m.Dist.Integrity, n.m.Dist.Shasum)
	if err != nil {
		return cachedPackage{}, &Error{Kind: KindIntegrity, Package: n.name, Version: n.version,
			Message: fmt.Sprintf("package %s@%s: %v", n.name, n.version, err)}
	}
	key := integ.key()
	root := filepath.Join(b.cacheDir, "packages", integ.packageDirName(n.name, n.version))
	cp := cachedPackage{root: root, dir: filepath.Join(root, "node_modules", filepath.FromSlash(n.name))}

	if meta, ok := readMeta(root); ok {
		cp.meta = meta
		return cp, checkMeta(n, integ, meta)
	}
	fill := func() error { return b.fill(ctx, reg, n, integ, root) }
	err = b.once(ctx, key, fill)
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		err = b.once(ctx, key, fill) // the build we waited for was cancelled, not this one
	}
	if err != nil {
		return cachedPackage{}, err
	}
	meta, ok := readMeta(root)
	if !ok {
		return cachedPackage{}, fmt.Errorf("package %s@%s: cache entry %s missing after extraction", n.name, n.version, key)
	}
	cp.meta = meta
	return cp, checkMeta(n, integ, meta)
}

func checkMeta(n *node, integ integrity, meta packageMeta) error {
	if meta.Name != n.name || meta.Version != n.version || meta.Integrity != integ.String() {
		return &Error{Kind: KindBadTarball, Package: n.name, Version: n.version,
			Message: fmt.Sprintf("package %s@%s: the cache holds other content under its name (%s@%s, %s); remove %s",
				n.name, n.version, meta.Name, meta.Version, meta.Integrity, integ.packageDirName(n.name, n.version))}
	}
	if meta.Native != "" {
		return &Error{Kind: KindNativeAddon, Package: n.name, Version: n.version,
			Message: fmt.Sprintf("package %s@%s is a native add-on (%s): only JavaScript packages can run in the sandbox", n.name, n.version, meta.Native)}
	}
	return nil
}

// once runs fill for key unless another goroutine of this Builder is already running it, in
// which case it waits for that one and returns its error.
func (b *Builder) once(ctx context.Context, key string, fill func() error) error {
	b.mu.Lock()
	if c, ok := b.inflight[key]; ok {
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &inflightCall{done: make(chan struct{})}
	b.inflight[key] = c
	b.mu.Unlock()

	c.err = fill()
	b.mu.Lock()
	delete(b.inflight, key)
	b.mu.Unlock()
	close(c.done)
	return c.err
}

type inflightCall struct {
	done chan struct{}
	err  error
}

// fill puts a verified tarball and its extracted folder into the cache.
func (b *Builder) fill(ctx context.Context, reg *Registry, n *node, integ integrity, root string) error {
	if _, ok := readMeta(root); ok {
		return nil // another process finished it meanwhile
	}
	b.sweepOnce.Do(b.sweep)
	tgzPath := filepath.Join(b.cacheDir, "tarballs", integ.key()+".tgz")
	tgz, err := os.ReadFile(tgzPath)
	if err == nil && !integ.matches(tgz) {
		// A damaged cache entry (disk, or a hand edit): fetch it again.
		b.log.Warn("npm cache: tarball does not match its digest; downloading again", "package", n.name, "version", n.version)
		_ = os.Remove(tgzPath)
		tgz, err = nil, fs.ErrNotExist
	}
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("npm cache: %w", err)
		}
		b.log.Debug("npm: downloading tarball", "package", n.name, "version", n.version)
		if tgz, err = b.fetchTarball(ctx, reg, n.name, n.version, n.m.Dist.Tarball); err != nil {
			return err
		}
		if !integ.matches(tgz) {
			return &Error{Kind: KindIntegrity, Package: n.name, Version: n.version,
				Message: fmt.Sprintf("package %s@%s: the tarball does not match its published %s digest", n.name, n.version, integ.algo)}
		}
		if err := writeFileAtomic(tgzPath, tgz); err != nil {
			return fmt.Errorf("npm cache: %w", err)
		}
	}

	packages := filepath.Dir(root)
	if err := os.MkdirAll(packages, 0o755); err != nil {
		return fmt.Errorf("npm cache: %w", err)
	}
	tmp, err := os.MkdirTemp(packages, ".tmp-")
	if err != nil {
		return fmt.Errorf("npm cache: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	pkgDir := filepath.Join(tmp, "node_modules", filepath.FromSlash(n.name))
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return fmt.Errorf("npm cache: %w", err)
	}
	size, err := extractTarball(tgz, pkgDir, extractLimits{maxBytes: b.limits.MaxUnpackedBytes, maxFiles: b.limits.MaxFilesPerPackage})
	if err != nil {
		kind := KindBadTarball
		if errors.Is(err, errTarballTooLarge) {
			kind = KindTooLarge
		}
		return &Error{Kind: kind, Package: n.name, Version: n.version, Err: err,
			Message: fmt.Sprintf("package %s@%s: %v", n.name, n.version, err)}
	}
	meta := packageMeta{Name: n.name, Version: n.version, Integrity: integ.String(), UnpackedSize: size, Native: nativeAddon(pkgDir)}
	mb, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), mb, 0o644); err != nil {
		return fmt.Errorf("npm cache: %w", err)
	}
	if err := os.Rename(tmp, root); err != nil {
		if _, ok := readMeta(root); ok {
			return nil // another process renamed the same content into place first
		}
		return fmt.Errorf("npm cache: %w", err)
	}
	return nil
}

func readMeta(root string) (packageMeta, bool) {
	b, err := os.ReadFile(filepath.Join(root, "meta.json"))
	if err != nil {
		return packageMeta{}, false
	}
	var m packageMeta
	if json.Unmarshal(b, &m) != nil || m.Name == "" {
		return packageMeta{}, false
	}
	return m, true
}

// writeFileAtomic writes data under a temporary name in path's folder, syncs it and renames it
// into place.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// sweep removes temporaries that crashed builds left, once they are old enough that no running
// build can still be writing them.
func (b *Builder) sweep() {
	cutoff := time.Now().Add(-time.Hour)
	for _, sub := range []string{"tarballs", "packages"} {
		entries, _ := os.ReadDir(filepath.Join(b.cacheDir, sub))
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
				_ = os.RemoveAll(filepath.Join(b.cacheDir, sub, e.Name()))
			}
		}
	}
}

// nativeToolchain are the words of install scripts that build or fetch a native add-on.
var nativeToolchain = []string{"node-gyp", "node-pre-gyp", "prebuild-install", "cmake-js", "node-gyp-build"}

// nativeAddon says why an extracted package is a native add-on, or "" when it is not: a
// binding.gyp that npm would build (unless "gypfile": false), "gypfile": true, or an install
// script that runs a native toolchain. Other install scripts are not a reason: they are never run,
// and most only print a message.
func nativeAddon(pkgDir string) string {
	var pj struct {
		Gypfile *bool             `json:"gypfile"`
		Scripts map[string]string `json:"scripts"`
	}
	if b, err := os.ReadFile(filepath.Join(pkgDir, "package.json")); err == nil {
		_ = json.Unmarshal(b, &pj) // a package.json that does not parse fails later, in esbuild
	}
	if pj.Gypfile != nil && *pj.Gypfile {
		return `"gypfile": true`
	}
	if fileExists(filepath.Join(pkgDir, "binding.gyp")) && (pj.Gypfile == nil || *pj.Gypfile) {
		return "it has a binding.gyp"
	}
	for _, s := range []string{"preinstall", "install", "postinstall"} {
		for _, tool := range nativeToolchain {
			if strings.Contains(pj.Scripts[s], tool) {
				return fmt.Sprintf("its %s script runs %s", s, tool)
			}
		}
	}
	return ""
}
