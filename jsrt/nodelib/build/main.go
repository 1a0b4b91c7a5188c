// Command build writes jsrt/nodelib's bundles: one CommonJS file per Node built-in module under
// js/, made by esbuild from the npm packages pinned in package-lock.json beside this file, and
// js/LICENSES.txt with the licence of every package a bundle holds. It runs from jsrt/nodelib
// (`go generate ./jsrt/nodelib`, or `make generate-nodelib`, which runs `npm ci` here first); with
// -check it writes nothing and fails when the committed files differ from what it would write.
//
// A bundle holds its own npm code only. A require of another built-in, from the entry or from any
// package inside (`require('buffer')`, `require('buffer/')`, `require('node:buffer')`), stays a
// require of that built-in, so every module shares one Buffer, one EventEmitter and one process.
//
// It imports esbuild's Go API (github.com/evanw/esbuild).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// modules are the built-ins this command bundles, each from entries/<name>.js.
var modules = []string{"assert", "buffer", "events", "path", "punycode", "querystring", "stream", "stream/web", "string_decoder", "url", "util"}

// fileOf is the file, under entries/ and js/, of a module: stream/web is stream_web.js.
func fileOf(module string) string { return strings.ReplaceAll(module, "/", "_") }

// hostModules are the built-ins jsrt serves itself (Go-backed, or too small to bundle); a
// require of one inside a bundle stays a require.
var hostModules = []string{"crypto", "fs", "http", "https", "net", "os", "process", "timers", "tls", "zlib"}

// A patch is a fix to one file of a pinned package, applied as the file is loaded. old must
// occur exactly once, so a version bump that moves the code fails the build instead of silently
// dropping the fix.
type patch struct {
	file string // relative to node_modules
	old  string
	new  string
	why  string // what it fixes, for the error when it no longer applies
	// check, when set, verifies in the package's files an assumption the patch rests on.
	check func(nodeModules string) error
}

var patches = []patch{
	// Node 15.7 added the base64url encoding; buffer 6.0.3 predates it. Its base64 decoder
	// already accepts the URL alphabet and missing padding, so decoding is base64's; encoding
	// swaps the alphabet and drops the padding.
	{
		file: "buffer/index.js", why: "base64url in Buffer.isEncoding",
		old: "    case 'base64':\n    case 'ucs2':",
		new: "    case 'base64':\n    case 'base64url':\n    case 'ucs2':",
	},
	{
		file: "buffer/index.js", why: "base64url in byteLength",
		old: "      case 'base64':\n        return base64ToBytes(string).length",
		new: "      case 'base64':\n      case 'base64url':\n        return base64ToBytes(string).length",
	},
	{
		file: "buffer/index.js", why: "base64url in toString",
		old: "      case 'base64':\n        return base64Slice(this, start, end)\n",
		new: "      case 'base64':\n        return base64Slice(this, start, end)\n\n      case 'base64url':\n        return codec !== undefined ? codec.slice(this, start, end, 'base64url') : base64Slice(this, start, end).replace(/[+/=]/g, (c) => c === '+' ? '-' : c === '/' ? '_' : '')\n",
	},
	{
		file: "buffer/index.js", why: "base64url in write",
		old: "      case 'base64':\n        // Warning: maxLength not taken into account in base64Write\n",
		new: "      case 'base64':\n      case 'base64url':\n        // Warning: maxLength not taken into account in base64Write\n",
	},
	// Node (like the WHATWG decoder) replaces each maximal ill-formed subsequence of UTF-8 with
	// one U+FFFD; buffer replaces each byte of it.
	{
		file: "buffer/index.js", why: "one U+FFFD per ill-formed UTF-8 subsequence",
		old: "      codePoint = 0xFFFD\n      bytesPerSequence = 1\n",
		new: "      codePoint = 0xFFFD\n      bytesPerSequence = utf8IllFormedLength(buf, i, end)\n",
	},
	{
		file: "buffer/index.js", why: "one U+FFFD per ill-formed UTF-8 subsequence",
		old: "function utf8Slice (buf, start, end) {\n",
		new: `// utf8IllFormedLength is the length of the maximal subpart of an ill-formed sequence at i:
// its lead byte and the continuation bytes that could still have completed it.
function utf8IllFormedLength (buf, i, end) {
  const b0 = buf[i]
  let need = 0
  let lo = 0x80
  let hi = 0xBF
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2
    if (b0 === 0xE0) lo = 0xA0
    if (b0 === 0xED) hi = 0x9F
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3
    if (b0 === 0xF0) lo = 0x90
    if (b0 === 0xF4) hi = 0x8F
  }
  let n = 1
  while (n <= need && i + n < end && buf[i + n] >= lo && buf[i + n] <= hi) {
    lo = 0x80
    hi = 0xBF
    n++
  }
  return n
}

function utf8Slice (buf, start, end) {
  if (codec !== undefined) return codec.slice(buf, start, end, 'utf8')
`,
	},
	// jsrt/nodelib's Load hands the buffer module Go-backed encoders (codec.go) as its
	// wrapper's sixth argument: goja runs these loops at about a microsecond a byte and copies a
	// string whole on each append. Without it (the bare Source) the package's JS runs.
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "const ieee754 = require('ieee754')\n",
		new: "const ieee754 = require('ieee754')\n// eslint-disable-next-line no-undef\nconst codec = typeof __nodelib_codec === 'object' && __nodelib_codec !== null ? __nodelib_codec : undefined\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function byteLength (string, encoding) {\n",
		new: "function byteLength (string, encoding) {\n  if (codec !== undefined && typeof string === 'string') {\n    const n = codec.byteLength(string, encoding)\n    if (n >= 0) return n\n  }\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function hexWrite (buf, string, offset, length) {\n",
		new: "function hexWrite (buf, string, offset, length) {\n  if (codec !== undefined) return codec.write(buf, string, offset, length, 'hex')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function utf8Write (buf, string, offset, length) {\n",
		new: "function utf8Write (buf, string, offset, length) {\n  if (codec !== undefined) return codec.write(buf, string, offset, length, 'utf8')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function asciiWrite (buf, string, offset, length) {\n",
		new: "function asciiWrite (buf, string, offset, length) {\n  if (codec !== undefined) return codec.write(buf, string, offset, length, 'latin1')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function base64Write (buf, string, offset, length) {\n",
		new: "function base64Write (buf, string, offset, length) {\n  if (codec !== undefined) return codec.write(buf, string, offset, length, 'base64')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function ucs2Write (buf, string, offset, length) {\n",
		new: "function ucs2Write (buf, string, offset, length) {\n  if (codec !== undefined) return codec.write(buf, string, offset, length, 'utf16le')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function base64Slice (buf, start, end) {\n",
		new: "function base64Slice (buf, start, end) {\n  if (codec !== undefined) return codec.slice(buf, start, end, 'base64')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function asciiSlice (buf, start, end) {\n",
		new: "function asciiSlice (buf, start, end) {\n  if (codec !== undefined) return codec.slice(buf, start, end, 'ascii')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function latin1Slice (buf, start, end) {\n",
		new: "function latin1Slice (buf, start, end) {\n  if (codec !== undefined) return codec.slice(buf, start, end, 'latin1')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function hexSlice (buf, start, end) {\n",
		new: "function hexSlice (buf, start, end) {\n  if (codec !== undefined) return codec.slice(buf, start, end, 'hex')\n",
	},
	{
		file: "buffer/index.js", why: "Go-backed encoders",
		old: "function utf16leSlice (buf, start, end) {\n",
		new: "function utf16leSlice (buf, start, end) {\n  if (codec !== undefined) return codec.slice(buf, start, end, 'utf16le')\n",
	},
	// Node's querystring.parse never throws on a malformed escape (it keeps the text) and takes
	// options.decodeURIComponent; querystring-es3 calls decodeURIComponent and throws URIError.
	// Both now go through the module's own unescape (entries/querystring.js), as Node's do.
	{
		file: "querystring-es3/decode.js", why: "parse decodes with querystring.unescape",
		old: "  var regexp = /\\+/g;\n",
		new: "  var regexp = /\\+/g;\n  var decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : require('querystring').unescape;\n",
	},
	{
		file: "querystring-es3/decode.js", why: "parse decodes with querystring.unescape",
		old: "    k = decodeURIComponent(kstr);\n    v = decodeURIComponent(vstr);\n",
		new: "    k = decode(kstr);\n    v = decode(vstr);\n",
	},
	// goja has no String.prototype.toWellFormed (ES2024): USVString replaces lone surrogates
	// with U+FFFD itself when the engine cannot.
	{
		file: "webidl-conversions/lib/index.js", why: "USVString without toWellFormed",
		old: "  return exports.DOMString(value, options).toWellFormed();",
		new: `  const S = exports.DOMString(value, options);
  if (typeof S.toWellFormed === "function") {
    return S.toWellFormed();
  }
  let out = S;
  for (let i = 0; i < out.length; i++) {
    const c = out.charCodeAt(i);
    if (c < 0xD800 || c > 0xDFFF) {
      continue;
    }
    if (c <= 0xDBFF && i + 1 < out.length) {
      const d = out.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) {
        i++;
        continue;
      }
    }
    out = out.slice(0, i) + "\uFFFD" + out.slice(i + 1);
  }
  return out;`,
	},
	// esbuild lowers async generators for goja, and a lowered one's prototype chain is not the
	// intrinsic %AsyncIteratorPrototype% this line digs out; the object it stands for is this.
	{
		file: "whatwg-url/lib/utils.js", why: "AsyncIteratorPrototype without async generators",
		old: "const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);",
		new: "const AsyncIteratorPrototype = { [Symbol.asyncIterator || Symbol.for(\"Symbol.asyncIterator\")]() { return this; } };",
	},
	// Node's primordials, which node-inspect-extracted rebuilds from the globals, include
	// Atomics; goja has none, and inspect never uses it.
	{
		file: "node-inspect-extracted/dist/inspect.js", why: "no Atomics",
		old: `["Atomics","JSON","Math","Proxy","Reflect"].forEach(t=>{y(globalThis[t],e,t)})`,
		new: `["Atomics","JSON","Math","Proxy","Reflect"].forEach(t=>{globalThis[t]&&y(globalThis[t],e,t)})`,
	},
	// Of the primordials node-inspect-extracted builds, these four need engine features goja
	// lacks (async generators, WeakRef, FinalizationRegistry), and inspect uses none of them.
	{
		file: "node-inspect-extracted/dist/inspect.js", why: "no async generator primordials",
		old: `{name:"AsyncGeneratorFunctionPrototype",original:Reflect.getPrototypeOf(async function*(){})},{name:"AsyncIteratorPrototype",original:Reflect.getPrototypeOf(Reflect.getPrototypeOf(async function*(){}).prototype)},`,
		new: ``,
	},
	{
		file: "node-inspect-extracted/dist/inspect.js", why: "no WeakRef or FinalizationRegistry primordials",
		old: `e.SafeFinalizationRegistry=k(b,class extends b{}),e.SafeWeakRef=k(O,class extends O{}),`,
		new: ``,
	},
	// tr46 builds its IDNA mapping table (thousands of arrays) and its Unicode regular
	// expressions when it loads, some 8 ms of a goja runtime's time. It now builds them on the
	// first domain that needs them, and an ASCII domain with no xn-- label needs neither: with the
	// options URL parsing uses, UTS #46 maps it to its lower case and every check passes (no
	// ASCII code point is disallowed, deviating, joining or right-to-left; checkTr46ASCII verifies
	// the table says so).
	{
		file: "tr46/index.js", why: "load the regular expressions and the table lazily",
		old: "const regexes = require(\"./lib/regexes.js\");\nconst mappingTable = require(\"./lib/mappingTable.json\");\n",
		new: "let regexes, mappingTable;\n",
	},
	{
		file: "tr46/index.js", why: "load the regular expressions and the table lazily",
		old: "function processing(domainName, options) {\n",
		new: "function processing(domainName, options) {\n  if (!mappingTable) {\n    regexes = require(\"./lib/regexes.js\");\n    mappingTable = require(\"./lib/mappingTable.json\");\n  }\n",
	},
	{
		file: "tr46/index.js", why: "ASCII domains without the table",
		old:   "} = {}) {\n  const result = processing(domainName, {\n    checkHyphens,\n    checkBidi,\n    checkJoiners,\n    useSTD3ASCIIRules,\n    transitionalProcessing,\n    ignoreInvalidPunycode\n  });\n  let labels = result.string.split(\".\");\n",
		new:   "} = {}) {\n  if (!checkHyphens && !useSTD3ASCIIRules && !verifyDNSLength && /^[\\x00-\\x7F]*$/.test(domainName) && !/(^|\\.)xn--/i.test(domainName)) {\n    return domainName.toLowerCase();\n  }\n  const result = processing(domainName, {\n    checkHyphens,\n    checkBidi,\n    checkJoiners,\n    useSTD3ASCIIRules,\n    transitionalProcessing,\n    ignoreInvalidPunycode\n  });\n  let labels = result.string.split(\".\");\n",
		check: checkTr46ASCII,
	},
	// AssertionError zeroes Error.stackTraceLimit while it builds its message and puts the old
	// value back; goja has no such property, so putting back undefined would add one to Error.
	{
		file: "assert/build/internal/assert/assertion_error.js", why: "leave Error as it was",
		old: "    Error.stackTraceLimit = limit;\n",
		new: "    if (limit === undefined) delete Error.stackTraceLimit;\n    else Error.stackTraceLimit = limit;\n",
	},
	// Node's URL throws TypeError "Invalid URL" with code ERR_INVALID_URL and the input (and
	// the base) on the error, which scripts test for; whatwg-url throws a bare TypeError.
	{
		file: "whatwg-url/lib/URL-impl.js", why: "Node's ERR_INVALID_URL",
		old: "        throw new TypeError(`Invalid base URL: ${base}`);\n",
		new: "        throw Object.assign(new TypeError(\"Invalid URL\"), { code: \"ERR_INVALID_URL\", input: url, base });\n",
	},
	{
		file: "whatwg-url/lib/URL-impl.js", why: "Node's ERR_INVALID_URL",
		old: "      throw new TypeError(`Invalid URL: ${url}`);\n",
		new: "      throw Object.assign(new TypeError(\"Invalid URL\"), base === undefined ? { code: \"ERR_INVALID_URL\", input: url } : { code: \"ERR_INVALID_URL\", input: url, base });\n",
	},
	{
		file: "whatwg-url/lib/URL-impl.js", why: "Node's ERR_INVALID_URL",
		old: "      throw new TypeError(`Invalid URL: ${v}`);\n",
		new: "      throw Object.assign(new TypeError(\"Invalid URL\"), { code: \"ERR_INVALID_URL\", input: v });\n",
	},
	// goja has neither SharedArrayBuffer nor resizable ArrayBuffers, whose accessors
	// webidl-conversions reads when it loads; without them no buffer is shared or resizable.
	{
		file: "webidl-conversions/lib/index.js", why: "no SharedArrayBuffer",
		old: "const sabByteLengthGetter = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, \"byteLength\").get;",
		new: "const sabByteLengthGetter = typeof SharedArrayBuffer === \"function\" ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, \"byteLength\").get : undefined;",
	},
	{
		file: "webidl-conversions/lib/index.js", why: "no SharedArrayBuffer",
		old: "const sabGrowableGetter = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, \"growable\").get;",
		new: "const sabGrowableGetter = typeof SharedArrayBuffer === \"function\" ? (Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, \"growable\") || {}).get : undefined;",
	},
	{
		file: "webidl-conversions/lib/index.js", why: "no resizable ArrayBuffer",
		old: "const abResizableGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, \"resizable\").get;",
		new: "const abResizableGetter = (Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, \"resizable\") || { get() { return false; } }).get;",
	},
}

func main() {
	dir := flag.String("dir", ".", "the jsrt/nodelib directory")
	check := flag.Bool("check", false, "compare with the committed files instead of writing them")
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "nodelib build:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	buildDir, err := filepath.Abs(filepath.Join(dir, "build"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(buildDir, "node_modules", ".package-lock.json")); err != nil {
		return fmt.Errorf("no node_modules in %s: run `npm ci` there first (make generate-nodelib does): %w", buildDir, err)
	}
	files := map[string][]byte{}
	packages := map[string]bool{}
	for _, name := range modules {
		js, pkgs, err := bundle(buildDir, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files[fileOf(name)+".js"] = js
		for _, p := range pkgs {
			packages[p] = true
		}
	}
	licenses, err := licenseFile(buildDir, packages)
	if err != nil {
		return err
	}
	files["LICENSES.txt"] = licenses

	outDir := filepath.Join(dir, "js")
	if check {
		return compare(outDir, files)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := removeStale(outDir, files); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bundle builds one module and returns its file and the packages (name@version) it holds.
func bundle(buildDir, name string) ([]byte, []string, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir: buildDir,
		EntryPoints:   []string{"entries/" + fileOf(name) + ".js"},
		Outfile:       fileOf(name) + ".js",
		Bundle:        true,
		Write:         false,
		Metafile:      true,
		Format:        api.FormatCommonJS,
		// Packages pick their browser builds: no fs, no native add-ons.
		Platform: api.PlatformBrowser,
		Target:   api.ESNext,
		// goja has no async generators and no for await; esbuild lowers them.
		Supported:     map[string]bool{"async-generator": false, "for-await": false},
		Charset:       api.CharsetASCII,
		LegalComments: api.LegalCommentsEndOfFile,
		LogLevel:      api.LogLevelSilent,
		// The few npm modules replaced by our own, each explaining why.
		Alias: map[string]string{
			"qs": "./shims/qs.js",
			// Its browser file only re-exports the browser's AbortController, which goja lacks;
			// its main file is the full implementation. readable-stream prefers a global one.
			"abort-controller": "./node_modules/abort-controller/dist/abort-controller.js",
		},
		Plugins: []api.Plugin{builtinsPlugin(name), patchPlugin(buildDir)},
	})
	if len(res.Errors) > 0 {
		return nil, nil, buildError(res.Errors)
	}
	if len(res.Warnings) > 0 {
		return nil, nil, buildError(res.Warnings)
	}
	if len(res.OutputFiles) != 1 {
		return nil, nil, fmt.Errorf("esbuild wrote %d files, want 1", len(res.OutputFiles))
	}
	pkgs, err := bundledPackages(buildDir, res.Metafile)
	if err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by jsrt/nodelib/build (go generate ./jsrt/nodelib); DO NOT EDIT.\n")
	fmt.Fprintf(&b, "// Node's %s module, bundled by esbuild from npm %s.\n", name, strings.Join(pkgs, ", "))
	b.Write(res.OutputFiles[0].Contents)
	return b.Bytes(), pkgs, nil
}

func buildError(msgs []api.Message) error {
	var errs []error
	for _, m := range msgs {
		if m.Location != nil {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text))
		} else {
			errs = append(errs, errors.New(m.Text))
		}
	}
	return errors.Join(errs...)
}

// builtinsPlugin keeps every require of a built-in a require, except the entry's require of the
// package it wraps.
func builtinsPlugin(module string) api.Plugin {
	names := append(slices.Clone(modules), hostModules...)
	filter := `^(node:)?(` + strings.Join(names, "|") + `)/?$`
	return api.Plugin{
		Name: "builtins",
		Setup: func(pb api.PluginBuild) {
			pb.OnResolve(api.OnResolveOptions{Filter: filter}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				id := strings.TrimSuffix(strings.TrimPrefix(args.Path, "node:"), "/")
				if args.Kind == api.ResolveEntryPoint {
					return api.OnResolveResult{}, nil
				}
				if id == module && strings.HasSuffix(filepath.ToSlash(args.Importer), "/entries/"+fileOf(module)+".js") {
					return api.OnResolveResult{}, nil // the package itself: esbuild resolves it
				}
				return api.OnResolveResult{Path: id, External: true}, nil
			})
		},
	}
}

func patchPlugin(buildDir string) api.Plugin {
	return api.Plugin{
		Name: "patches",
		Setup: func(pb api.PluginBuild) {
			byFile := map[string][]patch{}
			for _, p := range patches {
				byFile[p.file] = append(byFile[p.file], p)
			}
			for file, ps := range byFile {
				abs := filepath.Join(buildDir, "node_modules", filepath.FromSlash(file))
				pb.OnLoad(api.OnLoadOptions{Filter: "^" + regexp.QuoteMeta(abs) + "$"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
					src, err := os.ReadFile(args.Path)
					if err != nil {
						return api.OnLoadResult{}, err
					}
					text := string(src)
					for _, p := range ps {
						if p.check != nil {
							if err := p.check(filepath.Join(buildDir, "node_modules")); err != nil {
								return api.OnLoadResult{}, fmt.Errorf("patch of %s (%s): %w", file, p.why, err)
							}
						}
						if n := strings.Count(text, p.old); n != 1 {
							return api.OnLoadResult{}, fmt.Errorf("patch of %s (%s) matches %d times, want 1", file, p.why, n)
						}
						text = strings.Replace(text, p.old, p.new, 1)
					}
					return api.OnLoadResult{Contents: &text, Loader: api.LoaderJS, ResolveDir: filepath.Dir(args.Path)}, nil
				})
			}
		},
	}
}

// checkTr46ASCII verifies what the ASCII fast path of tr46.toASCII assumes: in the mapping
// table, A to Z map to a to z and every other ASCII code point is valid.
func checkTr46ASCII(nodeModules string) error {
	raw, err := os.ReadFile(filepath.Join(nodeModules, "tr46", "lib", "mappingTable.json"))
	if err != nil {
		return err
	}
	var table [][]json.RawMessage
	if err := json.Unmarshal(raw, &table); err != nil {
		return fmt.Errorf("mappingTable.json: %w", err)
	}
	const mapped, valid = 1, 2 // tr46/lib/statusMapping.js
	seen := 0
	for _, row := range table {
		var lo, hi int
		var one int
		if json.Unmarshal(row[0], &one) == nil {
			lo, hi = one, one
		} else {
			var r [2]int
			if err := json.Unmarshal(row[0], &r); err != nil {
				return fmt.Errorf("mappingTable.json: row %s: %w", row[0], err)
			}
			lo, hi = r[0], r[1]
		}
		if lo > 0x7F {
			break
		}
		var status int
		if err := json.Unmarshal(row[1], &status); err != nil {
			return err
		}
		for cp := lo; cp <= hi && cp <= 0x7F; cp++ {
			seen++
			if cp >= 'A' && cp <= 'Z' {
				var to string
				if status != mapped || len(row) < 3 || json.Unmarshal(row[2], &to) != nil || to != string(rune(cp+'a'-'A')) {
					return fmt.Errorf("code point %#x is not mapped to its lower case", cp)
				}
			} else if status != valid {
				return fmt.Errorf("code point %#x has status %d, not valid", cp, status)
			}
		}
	}
	if seen != 0x80 {
		return fmt.Errorf("the table covers %d ASCII code points, want 128", seen)
	}
	return nil
}

// bundledPackages lists the npm packages (name@version) whose files the metafile names.
func bundledPackages(buildDir, metafile string) ([]string, error) {
	var meta struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(metafile), &meta); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for input := range meta.Inputs {
		if dir, ok := packageDir(input); ok {
			seen[dir] = true
		}
	}
	var pkgs []string
	for dir := range seen {
		var pj struct{ Name, Version string }
		raw, err := os.ReadFile(filepath.Join(buildDir, filepath.FromSlash(dir), "package.json"))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &pj); err != nil {
			return nil, fmt.Errorf("%s/package.json: %w", dir, err)
		}
		pkgs = append(pkgs, pj.Name+"@"+pj.Version)
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// packageDir is the node_modules directory of the package holding input, a path relative to the
// build directory: node_modules/buffer/index.js is in node_modules/buffer, node_modules/@a/b/c.js
// in node_modules/@a/b, and a nested node_modules/x/node_modules/y/z.js in the innermost.
func packageDir(input string) (string, bool) {
	parts := strings.Split(input, "/")
	end := -1
	for i := 0; i < len(parts)-1; i++ {
		if parts[i] != "node_modules" {
			continue
		}
		end = i + 2
		if strings.HasPrefix(parts[i+1], "@") {
			end = i + 3
		}
	}
	if end < 0 || end >= len(parts) {
		return "", false
	}
	return path.Join(parts[:end]...), true
}

// licenseFile gathers the licence of every bundled package, as MIT and the like require.
func licenseFile(buildDir string, packages map[string]bool) ([]byte, error) {
	var names []string
	for p := range packages {
		names = append(names, p)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("The npm packages bundled into jsrt/nodelib/js/*.js, with their licences.\n")
	b.WriteString("Generated by jsrt/nodelib/build; do not edit.\n")
	for _, p := range names {
		at := strings.LastIndex(p, "@")
		text, err := licenseText(buildDir, p[:at])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintf(&b, "\n================================================================\n%s\n----------------------------------------------------------------\n%s\n", p, strings.TrimSpace(text))
	}
	return b.Bytes(), nil
}

func licenseText(buildDir, name string) (string, error) {
	dir := filepath.Join(buildDir, "node_modules", filepath.FromSlash(name))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		n := strings.ToUpper(e.Name())
		if !e.IsDir() && (strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE") || strings.HasPrefix(n, "COPYING")) {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
			return strings.ReplaceAll(string(raw), "\r\n", "\n"), err
		}
	}
	// A few packages state their licence only in the README or package.json.
	var pj struct{ License string }
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(raw, &pj); err != nil {
		return "", err
	}
	if pj.License == "" {
		return "", errors.New("no licence file and no license field")
	}
	return "License: " + pj.License + " (the package ships no licence file)", nil
}

func compare(outDir string, files map[string][]byte) error {
	var stale []string
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(outDir, name))
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			stale = append(stale, e.Name()+" (not generated)")
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		return fmt.Errorf("%s differs from what the build writes: %s; run make generate-nodelib and commit", outDir, strings.Join(stale, ", "))
	}
	return nil
}

func removeStale(outDir string, files map[string][]byte) error {
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			if err := os.Remove(filepath.Join(outDir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
