package npmdeps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// Options configure a Builder.
type Options struct {
	// Registry is npm's registry configuration (LoadRegistry). Nil: code without dependencies
	// still builds, code with some fails with ErrNoRegistry.
	Registry *Registry
	// CacheDir holds the tarball and package cache; required (keyhook uses <data dir>/npm).
	CacheDir string
	// HTTPClient fetches from the registry. Nil: a client with a 2-minute timeout that honours
	// HTTP_PROXY/HTTPS_PROXY/NO_PROXY. It is not the sandbox's guarded client: a registry may
	// well live on a private address.
	HTTPClient *http.Client
	// Builtins are the modules the sandbox's require serves, "node:" forms included; they stay
	// external in the bundle.
	Builtins []string
	Limits   Limits
	Logger   *slog.Logger
}

// Limits bound one build. Zero values pick the defaults noted.
type Limits struct {
	MaxPackages        int   // packages in the dependency graph (250)
	MaxUnpackedBytes   int64 // unpacked size of all packages together, and of any one (128 MiB)
	MaxTarballBytes    int64 // one tarball as downloaded (32 MiB)
	MaxPackumentBytes  int64 // one package's registry metadata (64 MiB)
	MaxFilesPerPackage int   // entries in one tarball (20,000)
	MaxBundleBytes     int   // the bundle (16 MiB)
	Parallel           int   // registry requests at once (8)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&l.MaxPackages, 250)
	def(&l.MaxUnpackedBytes, 128<<20)
	def(&l.MaxTarballBytes, 32<<20)
	def(&l.MaxPackumentBytes, 64<<20)
	defInt(&l.MaxFilesPerPackage, 20000)
	defInt(&l.MaxBundleBytes, 16<<20)
	defInt(&l.Parallel, 8)
	return l
}

// Builder resolves, fetches and bundles. It is safe for concurrent use; concurrent builds share
// downloads of the same tarball.
type Builder struct {
	reg      *Registry
	cacheDir string
	client   *http.Client
	builtins []string
	limits   Limits
	log      *slog.Logger

	mu        sync.Mutex
	inflight  map[string]*inflightCall
	sweepOnce sync.Once
}

// New returns a Builder. The cache folder is made if missing.
func New(opts Options) (*Builder, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("npmdeps: CacheDir is required")
	}
	dir, err := filepath.Abs(opts.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("npmdeps: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "packages"), 0o755); err != nil {
		return nil, fmt.Errorf("npmdeps: %w", err)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Builder{reg: opts.Registry, cacheDir: dir, client: client, builtins: append([]string(nil), opts.Builtins...),
		limits: opts.Limits.withDefaults(), log: log, inflight: map[string]*inflightCall{}}, nil
}

// Dependency is one declared npm dependency: Version is an exact version, a semver range, a
// dist-tag, "npm:other@spec", or blank for the "latest" tag.
type Dependency struct {
	Name    string
	Version string
}

// Pinned is a dependency of the code as resolved.
type Pinned struct {
	// Name is how the code requires it: a declared dependency's name, or the "name@spec" the code
	// names in a require (legacy hooks' require('lodash@4.17.21')).
	Name string
	// Spec is the version string asked for.
	Spec string
	// Package is the registry package (Name's package part; another one for an npm: alias).
	Package string
	// Version is the exact version it resolved to.
	Version string
}

// Package is one package of the bundle, with what pins its content.
type Package struct {
	Name         string
	Version      string
	Integrity    string // the SRI digest its tarball was verified against
	UnpackedSize int64
}

// Input is code to build.
type Input struct {
	Code         string
	Language     Language
	Dependencies []Dependency
}

// Bundle is built code: one CommonJS script, with its dependencies inside and only the sandbox's
// built-ins left to require.
type Bundle struct {
	Code   string
	SHA256 string // hex digest of Code
	// Language is what the code was parsed as.
	Language Language
	// Dependencies are the code's direct dependencies, pinned, sorted by Name.
	Dependencies []Pinned
	// Packages is every package bundled, sorted by name and version.
	Packages []Package
	// RuntimeRequires are modules that dependencies require and that are neither bundled nor
	// served by the sandbox (Node built-ins it lacks, optional or undeclared packages): the
	// bundle requires them at run time and fails there, as Node would, if that path is taken.
	RuntimeRequires []string
	// Warnings are esbuild's, such as a require() whose argument is not a string literal.
	Warnings []string
	Metrics  Metrics
}

// Metrics describe one build.
type Metrics struct {
	Bytes         int   // len(Code)
	Packages      int   // len(Packages)
	UnpackedBytes int64 // the packages' unpacked size together
	Resolve       time.Duration
	Fetch         time.Duration
	Bundle        time.Duration
}

// Resolve pins dependencies against the registry without downloading them: the direct
// dependencies' exact versions and every package of the graph.
func (b *Builder) Resolve(ctx context.Context, deps []Dependency) ([]Pinned, []Package, error) {
	roots, err := rootsOf(deps, nil)
	if err != nil {
		return nil, nil, err
	}
	g, err := b.resolve(ctx, b.reg, roots)
	if err != nil {
		return nil, nil, err
	}
	return g.direct, packagesOf(g), nil
}

// Build parses the code, resolves its dependencies (declared ones, and any "name@spec" its
// requires name), fetches them through the cache and bundles everything into one script. The
// same code and resolved versions give the same bundle, byte for byte.
func (b *Builder) Build(ctx context.Context, in Input) (*Bundle, error) {
	lang, specs, err := scan(in.Code, in.Language)
	if err != nil {
		return nil, err
	}
	roots, err := rootsOf(in.Dependencies, specs)
	if err != nil {
		return nil, err
	}

	start := time.Now()
	g, err := b.resolve(ctx, b.reg, roots)
	if err != nil {
		return nil, err
	}
	resolved := time.Now()
	if err := b.fetch(ctx, g); err != nil {
		return nil, err
	}
	fetched := time.Now()
	var unpacked int64
	for _, n := range g.nodes {
		unpacked += n.pkg.meta.UnpackedSize
	}
	if unpacked > b.limits.MaxUnpackedBytes {
		return nil, newError(KindTooLarge, "", "", "the dependencies unpack to more than %d MiB", b.limits.MaxUnpackedBytes>>20)
	}

	out, err := b.bundle(in.Code, lang, g)
	if err != nil {
		return nil, err
	}
	out.Metrics.Resolve = resolved.Sub(start)
	out.Metrics.Fetch = fetched.Sub(resolved)
	out.Metrics.Bundle = time.Since(fetched)
	out.Metrics.UnpackedBytes = unpacked
	return out, nil
}

// rootsOf merges the declared dependencies with the "name@spec" specifiers the code requires.
func rootsOf(deps []Dependency, specs []string) ([]rootDep, error) {
	var roots []rootDep
	seen := map[string]bool{}
	for _, d := range deps {
		if seen[d.Name] {
			return nil, newError(KindUnsupportedSpec, d.Name, d.Version, "dependency %s is listed twice", d.Name)
		}
		seen[d.Name] = true
		roots = append(roots, rootDep{key: d.Name, name: d.Name, spec: d.Version})
	}
	for _, s := range specs {
		if isPathSpecifier(s) || isNodeBuiltin(s) {
			continue
		}
		name, version, _ := splitRequire(s)
		key := name + "@" + version
		if version == "" || seen[key] {
			continue
		}
		seen[key] = true
		roots = append(roots, rootDep{key: key, name: name, spec: version})
	}
	return roots, nil
}

// fetch puts every package of the graph into the cache, a few at a time.
func (b *Builder) fetch(ctx context.Context, g *graph) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, b.limits.Parallel)
	errs := make([]error, len(g.nodes))
	var wg sync.WaitGroup
	for i, n := range g.nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pkg, err := b.ensurePackage(ctx, b.reg, n)
			if err != nil {
				errs[i] = err
				if n.required {
					cancel()
				}
				return
			}
			n.pkg = pkg
		}()
	}
	wg.Wait()
	// The first failure in graph order, skipping the cancellations it caused; a package only
	// optional dependencies lead to is dropped instead.
	var first error
	var dropped []*node
	for i, err := range errs {
		if err == nil {
			continue
		}
		if !g.nodes[i].required && !errors.Is(err, context.Canceled) {
			b.log.Debug("npm: skipping optional dependency", "package", g.nodes[i].name, "version", g.nodes[i].version, "reason", err)
			dropped = append(dropped, g.nodes[i])
			continue
		}
		if first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	for _, n := range dropped {
		g.drop(n)
	}
	return first
}

// bundle runs esbuild over the code and the fetched graph.
func (b *Builder) bundle(code string, lang Language, g *graph) (*Bundle, error) {
	packagesDir := filepath.Join(b.cacheDir, "packages")
	rp := newResolverPlugin(g, b.builtins, packagesDir)
	res := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{Contents: code, ResolveDir: packagesDir, Sourcefile: sourcefile(lang), Loader: loaderOf(lang)},
		// Paths in the bundle's comments are relative to this, so they do not depend on where
		// the data dir is.
		AbsWorkingDir: packagesDir,
		Bundle:        true,
		Write:         false,
		Format:        api.FormatCommonJS,
		Platform:      api.PlatformBrowser,
		Target:        api.ESNext,
		Supported:     unsupportedSyntax,
		// No tsconfig.json from the folders above the cache may change how code compiles.
		TsconfigRaw: "{}",
		// Packages read it to drop development-only checks; keyhook runs production code.
		Define:   map[string]string{"process.env.NODE_ENV": `"production"`},
		LogLevel: api.LogLevelSilent,
		Plugins:  []api.Plugin{rp.plugin()},
	})
	if len(res.Errors) > 0 {
		return nil, codeError(res.Errors[0], lang, KindBundle)
	}
	if len(res.OutputFiles) != 1 {
		return nil, &Error{Kind: KindBundle, Message: fmt.Sprintf("esbuild produced %d files, not one", len(res.OutputFiles))}
	}
	text := res.OutputFiles[0].Contents
	if len(text) > b.limits.MaxBundleBytes {
		return nil, newError(KindTooLarge, "", "", "the bundle is %d KiB, more than the limit of %d KiB", len(text)>>10, b.limits.MaxBundleBytes>>10)
	}
	sum := sha256.Sum256(text)
	out := &Bundle{
		Code:            string(text),
		SHA256:          hex.EncodeToString(sum[:]),
		Language:        lang,
		Dependencies:    g.direct,
		Packages:        packagesOf(g),
		RuntimeRequires: rp.runtimeRequires(),
	}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, codeError(w, lang, KindBundle).Error())
	}
	out.Metrics.Bytes = len(text)
	out.Metrics.Packages = len(out.Packages)
	return out, nil
}

func packagesOf(g *graph) []Package {
	out := make([]Package, 0, len(g.nodes))
	for _, n := range g.nodes {
		p := Package{Name: n.name, Version: n.version, UnpackedSize: n.pkg.meta.UnpackedSize}
		if integ, err := parseIntegrity(n.m.Dist.Integrity, n.m.Dist.Shasum); err == nil {
			p.Integrity = integ.String()
		}
		if p.UnpackedSize == 0 {
			p.UnpackedSize = n.m.Dist.UnpackedSize
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return compareVersions(out[i].Version, out[j].Version) < 0
	})
	return out
}
