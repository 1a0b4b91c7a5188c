package npmdeps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
)

// The dependency tree is a graph, not a node_modules layout: one node per name@version, each
// with its own map from the names it requires to the nodes they resolve to, and the bundler
// resolves every bare import through the importing package's map (bundle.go). So two versions of
// one package coexist without hoisting, and nothing is ever laid out as node_modules.
//
// Resolution is breadth-first, level by level, in a fixed order (each package's dependencies by
// name), fetching a level's metadata in parallel but deciding sequentially, so the same inputs
// and registry state give the same graph. A wanted range is first matched against the versions
// already in the graph (highest first), as npm's dedupe would share them, else picked from the
// registry (packument.pick). Peer dependencies that are not optional are resolved the same way,
// so they settle on the version the hook declares when it satisfies them. Optional dependencies
// are tried, and skipped when they fail or are limited to some os or cpu (those are platform
// binaries, useless in the sandbox). Dev dependencies are never installed, as npm does not for a
// dependency.

// node is one package version in the graph.
type node struct {
	name    string
	version string
	m       *manifest
	deps    map[string]*node // the name a require uses → the package it gets
	pkg     cachedPackage    // set by fetch
	// required: some edge to it is not optional. A package only optional edges lead to is
	// dropped, not fatal, when it cannot be fetched or is a native add-on.
	required bool
}

// want is one dependency edge to resolve.
type want struct {
	parent   *node  // nil: a dependency of the hook code itself
	key      string // the name the parent requires it by (or, at the root, the require key)
	name     string // the registry package (differs from key for npm: aliases and name@spec keys)
	spec     spec
	optional bool
}

// graph is a resolved dependency graph.
type graph struct {
	roots  map[string]*node // require key at the root → node
	nodes  []*node          // in resolution order
	byName map[string][]*node
	direct []Pinned
}

func (g *graph) add(n *node) {
	g.nodes = append(g.nodes, n)
	g.byName[n.name] = append(g.byName[n.name], n)
}

// drop removes a node and every edge to it.
func (g *graph) drop(d *node) {
	g.nodes = slices.DeleteFunc(g.nodes, func(n *node) bool { return n == d })
	g.byName[d.name] = slices.DeleteFunc(g.byName[d.name], func(n *node) bool { return n == d })
	for _, n := range g.nodes {
		maps.DeleteFunc(n.deps, func(_ string, to *node) bool { return to == d })
	}
	maps.DeleteFunc(g.roots, func(_ string, to *node) bool { return to == d })
}

// existing returns the highest version of name already in the graph that satisfies s.
func (g *graph) existing(name string, s spec) *node {
	var best *node
	var bestV *semver.Version
	for _, n := range g.byName[name] {
		v, err := semver.StrictNewVersion(n.version)
		if err != nil {
			continue
		}
		ok := false
		switch s.kind {
		case specVersion:
			ok = n.version == s.raw
		case specRange:
			ok = s.rng.satisfiedBy(v)
		}
		if ok && (bestV == nil || v.GreaterThan(bestV)) {
			best, bestV = n, v
		}
	}
	return best
}

// rootDep is a dependency of the hook code: a declared one, or a name@spec the code requires.
type rootDep struct {
	key  string // how the code requires it: "name" for declared dependencies, "name@spec" otherwise
	name string
	spec string
}

// resolve builds the dependency graph of roots against the registry.
func (b *Builder) resolve(ctx context.Context, reg *Registry, roots []rootDep) (*graph, error) {
	g := &graph{roots: map[string]*node{}, byName: map[string][]*node{}}
	if len(roots) == 0 {
		return g, nil
	}
	if reg == nil {
		return nil, &Error{Kind: KindNoRegistry, Message: "the code has npm dependencies but no npm registry is configured: set --npm-registry " +
			"(KEYHOOK_NPM_REGISTRY), NPM_CONFIG_REGISTRY, or registry= in an .npmrc file"}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].key < roots[j].key })
	var level []want
	for _, r := range roots {
		if !validPackageName(r.name) {
			return nil, newError(KindUnknownPackage, r.name, r.spec, "%q is not a valid npm package name", r.name)
		}
		s, err := parseSpec(r.name, r.spec)
		if err != nil {
			return nil, err
		}
		name := r.name
		if s.alias != "" {
			name = s.alias
		}
		level = append(level, want{key: r.key, name: name, spec: s})
	}

	pk := &packumentSet{b: b, reg: reg, got: map[string]*packument{}, errs: map[string]error{}}
	var unpacked int64
	for len(level) > 0 {
		names := make([]string, 0, len(level))
		for _, w := range level {
			names = append(names, w.name)
		}
		pk.fetch(ctx, names)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next []want
		for _, w := range level {
			n, isNew, err := b.place(g, pk, w)
			if err != nil {
				if w.optional {
					b.log.Debug("npm: skipping optional dependency", "package", w.name, "spec", w.spec.raw, "reason", err)
					continue
				}
				return nil, err
			}
			if n == nil {
				continue // an optional dependency for some os or cpu
			}
			if w.parent == nil {
				g.roots[w.key] = n
			} else {
				w.parent.deps[w.key] = n
			}
			n.required = n.required || !w.optional
			if !isNew {
				continue
			}
			if len(g.nodes) > b.limits.MaxPackages {
				return nil, newError(KindTooLarge, n.name, n.version,
					"the dependencies need more than %d packages (at %s@%s)", b.limits.MaxPackages, n.name, n.version)
			}
			unpacked += n.m.Dist.UnpackedSize
			if unpacked > b.limits.MaxUnpackedBytes {
				return nil, newError(KindTooLarge, n.name, n.version,
					"the dependencies unpack to more than %d MiB (at %s@%s)", b.limits.MaxUnpackedBytes>>20, n.name, n.version)
			}
			ws, err := dependencyWants(n)
			if err != nil {
				return nil, err
			}
			next = append(next, ws...)
		}
		level = next
	}

	for _, r := range roots {
		n, ok := g.roots[r.key]
		if !ok {
			continue
		}
		g.direct = append(g.direct, Pinned{Name: r.key, Spec: r.spec, Package: n.name, Version: n.version})
	}
	return g, nil
}

// place resolves one edge to a node, reusing a node of the graph when one satisfies it.
func (b *Builder) place(g *graph, pk *packumentSet, w want) (n *node, isNew bool, err error) {
	if n := g.existing(w.name, w.spec); n != nil {
		return n, false, nil
	}
	p, err := pk.get(w.name)
	if err != nil {
		return nil, false, err
	}
	version, err := p.pick(w.name, w.spec)
	if err != nil {
		return nil, false, err
	}
	for _, n := range g.byName[w.name] {
		if n.version == version {
			return n, false, nil
		}
	}
	m, err := p.manifest(w.name, version)
	if err != nil {
		return nil, false, err
	}
	if w.optional && m.platformSpecific() {
		return nil, false, nil
	}
	n = &node{name: w.name, version: version, m: m, deps: map[string]*node{}}
	g.add(n)
	return n, true, nil
}

// dependencyWants lists a package's dependencies in a fixed order: dependencies, then optional
// ones, then required peers, each by name; a name listed twice is resolved once, as the first.
func dependencyWants(n *node) ([]want, error) {
	seen := map[string]bool{}
	var out []want
	add := func(deps map[string]string, optional bool, skip func(string) bool) error {
		names := make([]string, 0, len(deps))
		for k := range deps {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if seen[k] || skip != nil && skip(k) {
				continue
			}
			seen[k] = true
			if !validPackageName(k) {
				if optional {
					continue
				}
				return newError(KindUnknownPackage, k, deps[k], "package %s@%s depends on %q, which is not a valid npm package name", n.name, n.version, k)
			}
			s, err := parseSpec(k, deps[k])
			if err != nil {
				if optional {
					continue
				}
				if e, ok := err.(*Error); ok {
					e.Message = fmt.Sprintf("package %s@%s: %s", n.name, n.version, e.Message)
				}
				return err
			}
			name := k
			if s.alias != "" {
				name = s.alias
			}
			out = append(out, want{parent: n, key: k, name: name, spec: s, optional: optional})
		}
		return nil
	}
	if err := add(n.m.Dependencies, false, func(k string) bool { _, opt := n.m.OptionalDependencies[k]; return opt }); err != nil {
		return nil, err
	}
	if err := add(n.m.OptionalDependencies, true, nil); err != nil {
		return nil, err
	}
	if err := add(n.m.PeerDependencies, false, func(k string) bool { return n.m.PeerDependenciesMeta[k].Optional }); err != nil {
		return nil, err
	}
	return out, nil
}

// packumentSet fetches each package's metadata once per build, a level's packages in parallel.
type packumentSet struct {
	b    *Builder
	reg  *Registry
	mu   sync.Mutex
	got  map[string]*packument
	errs map[string]error
}

func (s *packumentSet) fetch(ctx context.Context, names []string) {
	sem := make(chan struct{}, s.b.limits.Parallel)
	var wg sync.WaitGroup
	started := map[string]bool{}
	for _, name := range names {
		s.mu.Lock()
		_, done := s.got[name]
		_, failed := s.errs[name]
		s.mu.Unlock()
		if done || failed || started[name] {
			continue
		}
		started[name] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p, err := s.b.fetchPackument(ctx, s.reg, name)
			s.mu.Lock()
			defer s.mu.Unlock()
			if err != nil {
				s.errs[name] = err
			} else {
				s.got[name] = p
			}
		}()
	}
	wg.Wait()
}

func (s *packumentSet) get(name string) (*packument, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err, ok := s.errs[name]; ok {
		return nil, err
	}
	if p, ok := s.got[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("npmdeps: metadata of %s was not fetched", name)
}

// splitRequire splits a require specifier into package name, version spec and subpath:
// "lodash@4.17.21/fp" → ("lodash", "4.17.21", "/fp"); "@slack/webhook" → ("@slack/webhook", "", "").
// The spec is "" when the specifier names no version.
func splitRequire(spec string) (name, version, sub string) {
	rest := spec
	scope := ""
	if strings.HasPrefix(rest, "@") {
		s, r, ok := strings.Cut(rest, "/")
		if !ok {
			return spec, "", ""
		}
		scope, rest = s+"/", r
	}
	first, sub, hasSub := strings.Cut(rest, "/")
	if hasSub {
		sub = "/" + sub
	}
	base, version, _ := strings.Cut(first, "@")
	return scope + base, version, sub
}
