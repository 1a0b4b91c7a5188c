package nodelib_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// host is the smallest sandbox the modules run in: a fresh goja runtime with the globals jsrt's
// host provides (process, queueMicrotask, timers, TextEncoder/TextDecoder) and a require that
// loads each nodelib module once per runtime through nodelib.Load, handing it that same require.
// It is the model for jsrt's require (see the package doc): built-ins it serves itself (process
// here; crypto, os, timers in jsrt) come first, then nodelib's modules.
type host struct {
	vm      *goja.Runtime
	require goja.Value
	cache   map[string]goja.Value
	timers  []timer
	nextID  int64
}

type timer struct {
	id int64
	fn goja.Callable
}

// The host's own JS: what jsrt defines in host.js, cut to what the modules use.
const hostJS = `(function (g, encode, decode) {
  'use strict';
  g.global = g;
  // goja has no Symbol.asyncIterator; esbuild's lowered for-await falls back to this key, so
  // defining it makes libraries and lowered code agree.
  if (!Symbol.asyncIterator) Object.defineProperty(Symbol, 'asyncIterator', { value: Symbol.for('Symbol.asyncIterator') });
  g.console = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };
  g.queueMicrotask = function queueMicrotask(fn) { Promise.resolve().then(() => fn()); };
  g.process = {
    env: {}, version: 'v18.0.0', versions: { node: '18.0.0' }, platform: 'linux', argv: [],
    nextTick(fn, ...args) { g.queueMicrotask(() => fn(...args)); },
    emitWarning() {},
  };
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(s = '') { return new Uint8Array(encode(String(s))); }
  }
  class TextDecoder {
    constructor(label = 'utf-8', opts = {}) { this.ignoreBOM = !!opts.ignoreBOM; }
    get encoding() { return 'utf-8'; }
    decode(b) {
      if (b === undefined) return '';
      const u8 = ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);
      return decode(u8.slice().buffer, this.ignoreBOM);
    }
  }
  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;
})`

func newHost(tb testing.TB) *host {
	tb.Helper()
	h := &host{vm: goja.New(), cache: map[string]goja.Value{}}
	vm := h.vm
	setup, err := vm.RunString(hostJS)
	if err != nil {
		tb.Fatal(err)
	}
	fn, _ := goja.AssertFunction(setup)
	encode := func(s string) goja.ArrayBuffer { return vm.NewArrayBuffer([]byte(s)) }
	decode := func(b goja.ArrayBuffer, ignoreBOM bool) string {
		s := string(b.Bytes())
		if !ignoreBOM {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	if _, err := fn(nil, vm.GlobalObject(), vm.ToValue(encode), vm.ToValue(decode)); err != nil {
		tb.Fatal(err)
	}
	global := vm.GlobalObject()
	must(tb, global.Set("setTimeout", func(call goja.FunctionCall) goja.Value {
		cb, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(vm.NewTypeError("callback must be a function"))
		}
		h.nextID++
		h.timers = append(h.timers, timer{id: h.nextID, fn: cb})
		return vm.ToValue(h.nextID)
	}))
	must(tb, global.Set("clearTimeout", func(id int64) {
		for i, t := range h.timers {
			if t.id == id {
				h.timers = append(h.timers[:i], h.timers[i+1:]...)
				return
			}
		}
	}))
	must(tb, global.Set("setImmediate", global.Get("setTimeout")))
	h.require = vm.ToValue(h.requireFunc)
	must(tb, global.Set("require", h.require))
	return h
}

// requireFunc is the require that jsrt's should follow: strip "node:", serve a cached module,
// else the host's own built-ins, else nodelib's, else MODULE_NOT_FOUND.
func (h *host) requireFunc(call goja.FunctionCall) goja.Value {
	vm := h.vm
	name, ok := call.Argument(0).Export().(string)
	if !ok {
		panic(vm.NewTypeError(`The "id" argument must be of type string`))
	}
	id := strings.TrimPrefix(name, "node:")
	if m, ok := h.cache[id]; ok {
		return m
	}
	var m goja.Value
	switch {
	case id == "process":
		m = vm.GlobalObject().Get("process")
	case nodelib.Has(id):
		var err error
		if m, err = nodelib.Load(vm, id, h.require); err != nil {
			var exc *goja.Exception
			if errors.As(err, &exc) {
				panic(exc)
			}
			panic(vm.NewGoError(err))
		}
	default:
		e := vm.NewGoError(fmt.Errorf("Cannot find module '%s'", name))
		must(nil, e.Set("code", "MODULE_NOT_FOUND"))
		panic(e)
	}
	h.cache[id] = m
	return m
}

// run evaluates code; when it returns a promise, run drives the timers until the promise
// settles and returns its value (or its rejection as an error).
func (h *host) run(code string) (goja.Value, error) {
	v, err := h.vm.RunString(code)
	if err != nil {
		return nil, err
	}
	p, ok := v.Export().(*goja.Promise)
	if !ok {
		return v, nil
	}
	for p.State() == goja.PromiseStatePending && len(h.timers) > 0 {
		t := h.timers[0]
		h.timers = h.timers[1:]
		if _, err := t.fn(nil); err != nil {
			return nil, err
		}
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		if o, ok := p.Result().(*goja.Object); ok {
			if stack := o.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
				return nil, fmt.Errorf("rejected: %s", stack)
			}
		}
		return nil, fmt.Errorf("rejected: %v", p.Result())
	}
	return nil, errors.New("the promise never settled")
}

func must(tb testing.TB, err error) {
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Helper()
		tb.Fatal(err)
	}
}
