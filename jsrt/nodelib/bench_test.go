package nodelib_test

import (
	"testing"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// BenchmarkCompile is what each module costs once per process: parsing and compiling its
// source into the *goja.Program that Program caches.
//
//	go test ./jsrt/nodelib/ -run '^$' -bench Compile -benchmem
func BenchmarkCompile(b *testing.B) {
	for _, name := range nodelib.Names() {
		src, _ := nodelib.Source(name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				ast, err := parser.ParseFile(nil, name, src, 0, parser.WithDisableSourceMaps)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := goja.CompileAST(ast, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad is what a module costs each runtime that requires it: a fresh runtime with the
// host's globals, then require(name), which runs the compiled program and the module body, and
// loads the built-ins it requires in turn. "host" is the runtime alone, to subtract.
//
//	go test ./jsrt/nodelib/ -run '^$' -bench Load -benchmem
func BenchmarkLoad(b *testing.B) {
	for _, name := range nodelib.Names() {
		nodelib.Program(name) // compiled once per process, as in jsrt: not part of a load
	}
	b.Run("host", func(b *testing.B) {
		for b.Loop() {
			newHost(b)
		}
	})
	for _, name := range nodelib.Names() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				h := newHost(b)
				if _, err := h.vm.RunString("require('" + name + "')"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFirstUse is a module's load plus a first real call, for the modules whose work is
// deferred until then (url builds its IDNA tables lazily, util its primordials).
//
//	go test ./jsrt/nodelib/ -run '^$' -bench FirstUse -benchmem
func BenchmarkFirstUse(b *testing.B) {
	calls := []struct{ name, code string }{
		{"url", "new (require('url').URL)('https://example.com/a/../b?x=1').href"},
		{"url-idna", "new (require('url').URL)('https://b\u00fccher.example/a/../b?x=1').href"},
		{"util", "require('util').inspect({ a: [1, { b: 'x' }] })"},
		{"stream", "new (require('stream').PassThrough)().end('x')"},
		{"buffer", "require('buffer').Buffer.from('aGVsbG8', 'base64url').toString('hex')"},
		{"querystring", "require('querystring').parse('a=1&b=%E2%82%AC')"},
	}
	for _, c := range calls {
		nodelib.Program(c.name)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				h := newHost(b)
				if _, err := h.vm.RunString(c.code); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBufferCodecs is the JS-side cost of Buffer's encodings on a 64 KiB payload (the
// polyfill does them in JS; jsrt could route hot ones to Go if this matters).
//
//	go test ./jsrt/nodelib/ -run '^$' -bench BufferCodecs -benchmem
func BenchmarkBufferCodecs(b *testing.B) {
	h := newHost(b)
	if _, err := h.vm.RunString(`var B = require('buffer').Buffer; var text = 'héllo wörld, '.repeat(5000); var buf = B.from(text); var b64 = buf.toString('base64'); var hex = buf.toString('hex');`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, code string }{
		{"utf8-encode", "B.from(text)"},
		{"utf8-decode", "buf.toString()"},
		{"base64-encode", "buf.toString('base64')"},
		{"base64-decode", "B.from(b64, 'base64')"},
		{"hex-encode", "buf.toString('hex')"},
		{"hex-decode", "B.from(hex, 'hex')"},
	} {
		prog := goja.MustCompile(c.name, c.code, false)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.vm.RunProgram(prog); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkURL is the cost of WHATWG URL parsing in goja for a typical API URL, once url is
// loaded, against the legacy url.parse.
//
//	go test ./jsrt/nodelib/ -run '^$' -bench URL -benchmem
func BenchmarkURL(b *testing.B) {
	h := newHost(b)
	if _, err := h.vm.RunString(`var url = require('url'); new url.URL('https://a.test/');`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, code string }{
		{"URL", "new url.URL('https://api.example.com/v1/users/123?fields=a,b&x=1#top').href"},
		{"URL-relative", "new url.URL('../v2/users?page=2', 'https://api.example.com/v1/users/123').href"},
		{"URLSearchParams", "new url.URLSearchParams('a=1&b=x%20y&c=%E2%82%AC').toString()"},
		{"url.parse", "url.parse('https://api.example.com/v1/users/123?fields=a,b&x=1#top').href"},
	} {
		prog := goja.MustCompile(c.name, c.code, false)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.vm.RunProgram(prog); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
