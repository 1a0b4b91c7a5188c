// Package nodelib holds Node's built-in modules that jsrt serves from npm polyfills rather than
// writing them by hand: assert, buffer, events, punycode, querystring, stream, string_decoder,
// url and util, each also under its node: name. Each is one CommonJS file under js/, generated
// by esbuild from npm packages pinned in build/package-lock.json (buffer, events, util with
// node-inspect-extracted for Node's own inspect and format, readable-stream, string_decoder,
// querystring-es3, url with whatwg-url for a WHATWG URL and URLSearchParams, punycode, assert)
// and committed, so building keyhook needs no npm; build/main.go lists the few patches applied
// to them (base64url, goja's missing intrinsics, lazy IDNA tables) and why, js/LICENSES.txt
// their licences, and `make check-nodelib` proves the committed files are what the pinned
// packages build. The files are embedded and each is compiled once per process into a
// *goja.Program shared by every runtime; Load runs one in a runtime.
//
// A module requires other built-ins through the require it is given, never a private copy, so
// all of them share one Buffer, one EventEmitter and one process: stream requires buffer,
// events, string_decoder and process; url requires punycode and querystring; querystring and
// string_decoder require buffer; assert requires util. No two modules require each other, so a
// require that caches a module once Load returns serves them. Besides that require, the modules
// expect what jsrt's host provides: process (nextTick, env, emitWarning) as a global and as a
// module, queueMicrotask, console, TextEncoder and TextDecoder (url's WHATWG part), and
// Symbol.asyncIterator, which goja lacks and the host must define as
// Symbol.for('Symbol.asyncIterator'), the key esbuild's lowered for-await falls back to. They
// use AbortController when the host has one and a bundled one otherwise. Loading them changes
// no global and no intrinsic.
//
// Still written by hand in jsrt, and not here: crypto, fetch and the Web crypto (Go-backed:
// hashes, HMAC, signatures and randomness belong to Go's vetted code, and fetch must go through
// the guarded HTTP client), console, timers and the event loop (the sandbox's own bookkeeping:
// bounded output, deadlines, nothing outliving an execution), process and os (fixed, harmless
// values rather than the machine's), and atob/btoa and TextEncoder/TextDecoder (small, hot, and
// cheaper in Go).
//
// It imports goja.
package nodelib

//go:generate go run ./build

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

//go:embed js/*.js
var files embed.FS

// names are the modules this package holds, as Node names them without "node:".
var names = []string{"assert", "buffer", "events", "punycode", "querystring", "stream", "string_decoder", "url", "util"}

// moduleHeader makes a module's file one function expression, as Node wraps CommonJS modules.
// It is one line, so line numbers in stack traces are the file's own (after the header).
// The sixth parameter hands the buffer module its Go-backed codec (codec.go).
const moduleHeader = "(function (exports, require, module, __filename, __dirname, __nodelib_codec) {"

// programs compiles each module on first use; a *goja.Program is immutable and safe to run in
// many runtimes at once.
var programs = func() map[string]func() *goja.Program {
	m := make(map[string]func() *goja.Program, len(names))
	for _, name := range names {
		m[name] = sync.OnceValue(func() *goja.Program { return compile(name) })
	}
	return m
}()

// Names returns the modules nodelib holds, as Node names them without "node:".
func Names() []string {
	return slices.Clone(names)
}

// id is the module a require name asks for: "buffer" and "node:buffer" are the same module.
func id(name string) (string, bool) {
	n := strings.TrimPrefix(name, "node:")
	return n, slices.Contains(names, n)
}

// Has reports whether require(name) loads a module nodelib holds.
func Has(name string) bool {
	_, ok := id(name)
	return ok
}

// Source returns the CommonJS source of the module that require(name) loads: a script that
// expects exports, require and module in scope, as Node's module wrapper gives them.
func Source(name string) (string, bool) {
	n, ok := id(name)
	if !ok {
		return "", false
	}
	b, err := files.ReadFile("js/" + n + ".js")
	if err != nil {
		panic(fmt.Sprintf("nodelib: %s is listed but not embedded: %v", n, err))
	}
	return string(b), true
}

// Program returns the module that require(name) loads, compiled once per process. Running it
// gives a function of (exports, require, module, __filename, __dirname, codec); Load calls it.
func Program(name string) (*goja.Program, bool) {
	n, ok := id(name)
	if !ok {
		return nil, false
	}
	return programs[n](), true
}

// CompileAll compiles every module now instead of on first use, for a host that would rather
// pay at start (on the order of 100 ms of one core) than in the first execution that requires
// one.
func CompileAll() {
	for _, name := range names {
		programs[name]()
	}
}

// compile panics when a generated file does not compile: that is a defect of the build, which
// the package's tests catch, never of a script.
func compile(name string) *goja.Program {
	src, _ := Source(name)
	ast, err := parser.ParseFile(nil, "node:"+name, moduleHeader+src+"\n})", 0, parser.WithDisableSourceMaps)
	if err != nil {
		panic(fmt.Sprintf("nodelib: %s does not parse: %v", name, err))
	}
	prog, err := goja.CompileAST(ast, true)
	if err != nil {
		panic(fmt.Sprintf("nodelib: %s does not compile: %v", name, err))
	}
	return prog
}

// Load runs the module that require(name) loads in vm and returns its exports. require serves
// the module's own requires of other built-ins; it is the sandbox's require itself, so that the
// modules share instances. Load does not cache: Node loads a module once per realm, and the
// caller's require cache decides what once means. Loading costs a runtime from a fraction of a
// millisecond (events) to a few (stream), so a host caches each module for its runtime's life.
func Load(vm *goja.Runtime, name string, require goja.Value) (goja.Value, error) {
	prog, ok := Program(name)
	if !ok {
		return nil, fmt.Errorf("nodelib: no module %q", name)
	}
	fnValue, err := vm.RunProgram(prog)
	if err != nil {
		return nil, fmt.Errorf("nodelib: %s: %w", name, err)
	}
	fn, ok := goja.AssertFunction(fnValue)
	if !ok {
		return nil, fmt.Errorf("nodelib: %s is not a module function", name)
	}
	n, _ := id(name)
	exports := vm.NewObject()
	module := vm.NewObject()
	if err := module.Set("exports", exports); err != nil {
		return nil, err
	}
	if err := module.Set("id", "node:"+n); err != nil {
		return nil, err
	}
	codec := goja.Undefined()
	if n == "buffer" {
		codec = newCodec(vm)
	}
	if _, err := fn(exports, exports, require, module, vm.ToValue("node:"+n), vm.ToValue("/"), codec); err != nil {
		return nil, fmt.Errorf("nodelib: %s: %w", name, err)
	}
	return module.Get("exports"), nil
}
