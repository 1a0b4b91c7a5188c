package npmdeps

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/evanw/esbuild/pkg/api"
)

// Language is the language of the hook code.
type Language string

// The languages. LanguageAuto parses the code as JavaScript, and as TypeScript when that fails;
// when both fail, the error reported is the one found further into the code (so TypeScript with
// a typo is blamed for the typo, not for its first type annotation).
const (
	LanguageAuto       Language = ""
	LanguageJavaScript Language = "javascript"
	LanguageTypeScript Language = "typescript"
)

// goja lacks these (checked against the goja version in go.mod), so esbuild lowers them: async
// generators and for-await to generators and promises (the helpers fall back on
// Symbol.for("Symbol.asyncIterator"), goja having no Symbol.asyncIterator), import() to a
// require in a promise, decorators, auto-accessors and `using` declarations to plain classes and
// try/finally. Regexps with the d and v flags become RegExp constructor calls, so the bundle
// compiles and only code that runs such a regexp fails. Top-level await is a build error (it has
// no CommonJS form).
var unsupportedSyntax = map[string]bool{
	"async-generator":      false,
	"for-await":            false,
	"dynamic-import":       false,
	"decorators":           false,
	"using":                false,
	"regexp-match-indices": false,
	"regexp-set-notation":  false,
}

// sourcefile names the code in messages and in the bundle.
func sourcefile(l Language) string {
	if l == LanguageTypeScript {
		return "index.ts"
	}
	return "index.js"
}

func loaderOf(l Language) api.Loader {
	if l == LanguageTypeScript {
		return api.LoaderTS
	}
	return api.LoaderJS
}

// CheckSyntax parses code without resolving anything: nil, or an *Error of KindSyntax with the
// line and column. A TypeScript type error is not a syntax error (esbuild does not type-check).
func CheckSyntax(code string, lang Language) error {
	_, _, err := scan(code, lang)
	return err
}

// scan parses the code alone, every import left external, and returns the language it parsed as
// and the specifiers it requires or imports (sorted, each once).
func scan(code string, lang Language) (Language, []string, error) {
	if lang != LanguageAuto {
		specs, err := scanAs(code, lang)
		return lang, specs, err
	}
	specs, jsErr := scanAs(code, LanguageJavaScript)
	if jsErr == nil {
		return LanguageJavaScript, specs, nil
	}
	specs, tsErr := scanAs(code, LanguageTypeScript)
	if tsErr == nil {
		return LanguageTypeScript, specs, nil
	}
	je, jok := jsErr.(*Error)
	te, tok := tsErr.(*Error)
	if jok && tok && je.Kind == KindSyntax && te.Kind == KindSyntax &&
		(te.Line > je.Line || te.Line == je.Line && te.Column > je.Column) {
		return LanguageTypeScript, nil, tsErr
	}
	return LanguageJavaScript, nil, jsErr
}

func scanAs(code string, lang Language) ([]string, error) {
	var mu sync.Mutex
	seen := map[string]bool{}
	collect := api.Plugin{Name: "keyhook-scan", Setup: func(pb api.PluginBuild) {
		pb.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
			if args.Kind == api.ResolveEntryPoint {
				return api.OnResolveResult{}, nil
			}
			mu.Lock()
			seen[args.Path] = true
			mu.Unlock()
			return api.OnResolveResult{Path: args.Path, External: true}, nil
		})
	}}
	res := api.Build(api.BuildOptions{
		Stdin:       &api.StdinOptions{Contents: code, Sourcefile: sourcefile(lang), Loader: loaderOf(lang)},
		Bundle:      true,
		Write:       false,
		Format:      api.FormatCommonJS,
		Platform:    api.PlatformBrowser,
		Target:      api.ESNext,
		Supported:   unsupportedSyntax,
		TsconfigRaw: "{}",
		LogLevel:    api.LogLevelSilent,
		Plugins:     []api.Plugin{collect},
	})
	if len(res.Errors) > 0 {
		return nil, codeError(res.Errors[0], lang, KindSyntax)
	}
	specs := make([]string, 0, len(seen))
	for s := range seen {
		specs = append(specs, s)
	}
	sort.Strings(specs)
	return specs, nil
}

// codeError turns an esbuild message into an *Error, with the position when it is in the code.
func codeError(m api.Message, lang Language, kind Kind) *Error {
	e := &Error{Kind: kind, Message: m.Text}
	if d, ok := m.Detail.(unresolved); ok {
		e.Kind, e.Module = KindUnresolvedRequire, d.module
	} else if mod, ok := strings.CutPrefix(m.Text, `Could not resolve "`); ok {
		e.Kind, e.Module = KindUnresolvedRequire, strings.TrimSuffix(mod, `"`)
		e.Message = fmt.Sprintf("cannot find module %q", e.Module)
	}
	if loc := m.Location; loc != nil {
		if loc.File == sourcefile(lang) {
			e.Line = loc.Line
			col := loc.Column
			if col > len(loc.LineText) {
				col = len(loc.LineText)
			}
			e.Column = utf8.RuneCountInString(loc.LineText[:col]) + 1
		} else {
			e.Message = fmt.Sprintf("%s (in %s)", e.Message, prettyCachePath(loc.File))
		}
	}
	return e
}

// prettyCachePath turns a cache path ("sha512-…/node_modules/x/lib/a.js") into the part a
// person recognises ("x/lib/a.js").
func prettyCachePath(p string) string {
	p = filepath.ToSlash(p)
	if i := strings.LastIndex(p, "/node_modules/"); i >= 0 {
		return p[i+len("/node_modules/"):]
	}
	return p
}

// unresolved is the Detail of the errors the resolver plugin reports.
type unresolved struct{ module string }

// resolveMarker is the PluginData of the resolver plugin's own calls to esbuild's resolver.
type resolveMarker struct{}

// resolverPlugin resolves every bare import through the graph (see resolve.go): the code's own
// imports through the roots, a package's imports through its own dependencies. Built-ins the
// sandbox serves stay external. Another Node built-in resolves to an npm package of that name
// when the importer lists one (a polyfill, as browser bundlers use). What resolves to nothing is
// a build error in the code itself; in a dependency it stays an external require, which the
// sandbox's require fails if that path is ever taken, as Node would fail it (packages try
// optional modules, and require built-ins on paths the sandbox never takes).
type resolverPlugin struct {
	g        *graph
	served   map[string]bool
	byRoot   map[string]*node // the cache folder an extracted package lives in → its node
	packages string           // the folder holding those cache folders
	browser  map[*node]map[string]any

	mu      sync.Mutex
	runtime map[string]bool // specifiers left for the sandbox's require that it does not serve
}

func newResolverPlugin(g *graph, served []string, packagesDir string) *resolverPlugin {
	p := &resolverPlugin{g: g, served: map[string]bool{}, byRoot: map[string]*node{}, packages: packagesDir,
		browser: map[*node]map[string]any{}, runtime: map[string]bool{}}
	for _, s := range served {
		p.served[s] = true
	}
	for _, n := range g.nodes {
		p.byRoot[filepath.Base(n.pkg.root)] = n
		p.browser[n] = browserMap(n.pkg.dir)
	}
	return p
}

// browserMap reads the object form of a package's "browser" field.
func browserMap(dir string) map[string]any {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil
	}
	var pj struct {
		Browser json.RawMessage `json:"browser"`
	}
	if json.Unmarshal(b, &pj) != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(pj.Browser, &m) != nil {
		return nil
	}
	return m
}

// packageOf returns the package a file of the cache belongs to, nil for the code itself.
func (p *resolverPlugin) packageOf(importer string) *node {
	rel, err := filepath.Rel(p.packages, importer)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil
	}
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return p.byRoot[first]
}

func (p *resolverPlugin) plugin() api.Plugin {
	return api.Plugin{Name: "keyhook-npmdeps", Setup: func(pb api.PluginBuild) {
		pb.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
			return p.resolve(pb, args), nil
		})
		pb.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "file"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
			return p.load(args), nil
		})
	}}
}

// load confines what the bundle may read to the packages of the graph. A package's relative
// require, "main", "exports" or "browser" field could otherwise name any file the server can
// read ("../../../../etc/keyhook/config.json"), and its code could then send it anywhere.
// Returning no contents lets esbuild read the file itself.
func (p *resolverPlugin) load(args api.OnLoadArgs) api.OnLoadResult {
	if !filepath.IsAbs(args.Path) {
		return api.OnLoadResult{} // a module a "browser" field disabled: esbuild loads it empty
	}
	if n := p.packageOf(args.Path); n != nil && strings.HasPrefix(args.Path, n.pkg.dir+string(filepath.Separator)) {
		return api.OnLoadResult{}
	}
	return api.OnLoadResult{Errors: []api.Message{{
		Text:   fmt.Sprintf("module %q is outside the packages of the build", prettyCachePath(args.Path)),
		Detail: unresolved{module: prettyCachePath(args.Path)},
	}}}
}

func (p *resolverPlugin) resolve(pb api.PluginBuild, args api.OnResolveArgs) api.OnResolveResult {
	if _, mine := args.PluginData.(resolveMarker); mine || args.Kind == api.ResolveEntryPoint {
		return api.OnResolveResult{}
	}
	spec := args.Path
	importer := p.packageOf(args.Importer)
	if isPathSpecifier(spec) {
		if importer == nil {
			return unresolvedResult(spec, fmt.Sprintf("cannot find module %q: the code is one file, and only npm packages can be required", spec))
		}
		return api.OnResolveResult{} // a package's own files: esbuild's resolution, browser map included; load checks
	}
	if importer != nil {
		if mapped, ok := p.browser[importer][spec]; ok {
			s, isString := mapped.(string)
			if !isString || isPathSpecifier(s) {
				return api.OnResolveResult{} // false or a file: esbuild applies the map
			}
			spec = s
		}
	}
	if p.served[spec] {
		return api.OnResolveResult{Path: spec, External: true}
	}

	name, version, sub := splitRequire(spec)
	var target *node
	if importer == nil {
		key := name
		if version != "" {
			key = name + "@" + version
		}
		target = p.g.roots[key]
	} else {
		target = importer.deps[name]
		if target == nil && name == importer.name {
			target = importer // a package importing itself by name
		}
	}
	if target == nil && version == "" && !isNodeBuiltin(spec) {
		// npm hoists dependencies, so code (Auth0's included) can require a package some
		// dependency brought without listing it. Give it the highest version in the graph.
		target = p.highest(name)
	}
	if target == nil {
		if importer == nil {
			if isNodeBuiltin(spec) {
				return unresolvedResult(spec, fmt.Sprintf("module %q is a Node.js built-in the sandbox does not provide", spec))
			}
			return unresolvedResult(spec, fmt.Sprintf("cannot find module %q: add %s to the dependencies", spec, name))
		}
		return p.leaveToRuntime(spec)
	}
	r := pb.Resolve(target.name+sub, api.ResolveOptions{
		ResolveDir: target.pkg.root,
		Kind:       args.Kind,
		Importer:   args.Importer,
		Namespace:  "file",
		PluginData: resolveMarker{},
	})
	if len(r.Errors) > 0 {
		if importer != nil {
			return p.leaveToRuntime(spec) // say, a subpath its "exports" serves only to Node
		}
		return unresolvedResult(spec, fmt.Sprintf("cannot find module %q in %s@%s: %s", spec, target.name, target.version, r.Errors[0].Text))
	}
	se := api.SideEffectsTrue
	if !r.SideEffects {
		se = api.SideEffectsFalse
	}
	return api.OnResolveResult{Path: r.Path, External: r.External, Namespace: r.Namespace, Suffix: r.Suffix,
		PluginData: r.PluginData, SideEffects: se}
}

// leaveToRuntime keeps a dependency's require of something that resolves to nothing as a require
// for the sandbox. As in Node, a missing module is an error only when it is required: packages
// try optional ones, and require built-ins on paths the sandbox never takes.
func (p *resolverPlugin) leaveToRuntime(spec string) api.OnResolveResult {
	p.mu.Lock()
	p.runtime[spec] = true
	p.mu.Unlock()
	return api.OnResolveResult{Path: spec, External: true}
}

func (p *resolverPlugin) highest(name string) *node {
	var best *node
	for _, n := range p.g.byName[name] {
		if best == nil || compareVersions(n.version, best.version) > 0 {
			best = n
		}
	}
	return best
}

func (p *resolverPlugin) runtimeRequires() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.runtime))
	for s := range p.runtime {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func unresolvedResult(spec, msg string) api.OnResolveResult {
	return api.OnResolveResult{Errors: []api.Message{{Text: msg, Detail: unresolved{module: spec}}}}
}

func isPathSpecifier(s string) bool {
	return s == "." || s == ".." || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/")
}
