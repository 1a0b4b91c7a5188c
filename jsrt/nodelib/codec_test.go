package nodelib_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// codecHost is a host with two Buffers: the one Load gives (encodings in Go) as B, and the npm
// package's own JS run from Source without the codec as JSB, with compare(bytes, string)
// checking every encoding both ways in each.
func codecHost(tb testing.TB) *host {
	tb.Helper()
	h := newHost(tb)
	src, _ := nodelib.Source("buffer")
	wrapped, err := h.vm.RunString("(function (exports, require, module) {" + src + "\n})")
	if err != nil {
		tb.Fatal(err)
	}
	fn, _ := goja.AssertFunction(wrapped)
	exports := h.vm.NewObject()
	module := h.vm.NewObject()
	must(tb, module.Set("exports", exports))
	if _, err := fn(nil, exports, h.require, module); err != nil {
		tb.Fatal(err)
	}
	must(tb, h.vm.Set("JSB", module.Get("exports").ToObject(h.vm).Get("Buffer")))
	if _, err := h.vm.RunString(`
		var B = require('buffer').Buffer;
		var encodings = ['utf8', 'latin1', 'ascii', 'utf16le', 'base64', 'base64url', 'hex'];
		function compare(bytes, str) {
			const diffs = [];
			const go = B.from(bytes), js = JSB.from(bytes);
			for (const e of encodings) {
				const a = go.toString(e), b = js.toString(e);
				if (a !== b) diffs.push('toString ' + e + ': ' + JSON.stringify(a) + ' vs ' + JSON.stringify(b));
				for (const [start, end] of [[1, 3], [0, bytes.length - 1]]) {
					const c = go.toString(e, start, end), d = js.toString(e, start, end);
					if (c !== d) diffs.push('toString ' + e + ' ' + start + '..' + end + ': ' + JSON.stringify(c) + ' vs ' + JSON.stringify(d));
				}
				// The package's hex parser reads '0g' or a last lone 'a' as a byte (parseInt); Node
				// and the codec stop there (TestBuffer checks them against Node's answers).
				if (e === 'hex' && (/[^0-9a-fA-F]/.test(str) || str.length % 2 === 1)) continue;
				const x = B.from(str, e), y = JSB.from(str, e);
				if (!x.equals(y)) diffs.push('from ' + e + ': ' + x.toString('hex') + ' vs ' + y.toString('hex'));
				if (B.byteLength(str, e) !== JSB.byteLength(str, e)) diffs.push('byteLength ' + e + ': ' + B.byteLength(str, e) + ' vs ' + JSB.byteLength(str, e));
				// Whole writes only: cut short, the package splits a character, which Node and the
				// codec do not (TestBuffer checks Node's answers).
				const w1 = B.alloc(x.length + 2), w2 = JSB.alloc(x.length + 2);
				const n1 = w1.write(str, 1, e), n2 = w2.write(str, 1, e);
				if (n1 !== n2 || !w1.equals(w2)) diffs.push('write ' + e + ': ' + n1 + ' ' + w1.toString('hex') + ' vs ' + n2 + ' ' + w2.toString('hex'));
			}
			return diffs;
		}`); err != nil {
		tb.Fatal(err)
	}
	return h
}

func compareCodecs(tb testing.TB, h *host, b []byte, s goja.Value) {
	tb.Helper()
	fn, _ := goja.AssertFunction(h.vm.Get("compare"))
	arr := h.vm.NewArrayBuffer(append([]byte(nil), b...))
	u8, err := h.vm.New(h.vm.Get("Uint8Array"), h.vm.ToValue(arr))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := fn(nil, u8, s)
	if err != nil {
		tb.Fatal(err)
	}
	if diffs := v.Export().([]any); len(diffs) > 0 {
		tb.Errorf("bytes %x, string %q: the codec and the package disagree:\n%v", b, s.String(), diffs)
	}
}

// TestCodecAgreesWithPackage checks the Go codec against the buffer package's own JS (with the
// build's patches), which TestBuffer checks against Node.
func TestCodecAgreesWithPackage(t *testing.T) {
	t.Parallel()
	h := codecHost(t)
	for _, tc := range []struct {
		bytes string // hex
		str   string // a JS string literal
	}{
		{"", `''`},
		{"68656c6c6f", `'hello'`},
		{"e282ac21f09f9880", `'h€llo 🎉'`},
		{"e0a4", `'a\ud800b'`},
		{"eda080c0afff80f4908080", `'\udc00 lone \ud83d'`},
		{"f09f98", `'aGVsbG8=='`},
		{"fbffbf01", `'-_-_AQ'`},
		{"00", `'+/+/AQ=='`},
		{"0102030405060708", `'YW Jj\nZA'`},
		{"ff", `'a'`},
		{"e2", `'ab='`},
		{"c3a9", `'00ff10Ab'`},
		{"41", `'éÿĀ\u0100\u{1F600}'`},
	} {
		b, err := hex.DecodeString(tc.bytes)
		if err != nil {
			t.Fatal(err)
		}
		str, err := h.vm.RunString(tc.str)
		if err != nil {
			t.Fatal(err)
		}
		compareCodecs(t, h, b, str)
	}
}

// FuzzBufferCodecs compares the Go codec with the package's JS on any bytes and string.
func FuzzBufferCodecs(f *testing.F) {
	f.Add([]byte("h\xe2\x82\xacllo"), "aGVsbG8")
	f.Add([]byte{0xe0, 0xa4, 0x41, 0xed, 0xa0, 0x80}, "-_-_AQ==")
	f.Add([]byte{0xf0, 0x9f, 0x98}, "00ff1")
	h := codecHost(f)
	f.Fuzz(func(t *testing.T, b []byte, s string) {
		if len(b) > 4096 || len(s) > 4096 {
			return
		}
		compareCodecs(t, h, b, h.vm.ToValue(strings.ToValidUTF8(s, "\uFFFD")))
	})
}
