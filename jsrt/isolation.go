package jsrt

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
)

// Isolation between executions that share a runtime.
//
// A runtime is reused only for executions of one program (script and
// trigger; pools are never shared between programs). Per execution the
// script's module wrapper runs again, so its module scope (top-level
// var/let/const, closures, module.exports) is new every time, and the
// host's per-execution state is new too: event loop and timers, console
// buffer, console.count/time counters, the require cache and the lazily
// built globals (Buffer, URL, URLSearchParams, TextEncoder, TextDecoder,
// crypto, fetch): modules are rebuilt on first use in each execution.
//
// What could survive is state on objects that exist before the script
// runs. build walks everything reachable from globalThis, require, the
// module wrapper (arguments.callee), the host roots (Timeout.prototype) and
// the intrinsics only syntax reaches (generator, async-function and
// iterator prototypes), following data values, getters, setters and
// [[Prototype]], and splits it in two:
//
//   - Frozen (immutable, so nothing to check): every reachable object
//     except the watched ones below. That is all builtin and host
//     functions and constructors (Array.from, JSON.parse, Object, Promise,
//     Error, console.log, setTimeout, the prelude classes, ...), the
//     namespaces (JSON, Math, Reflect), the prototypes other than those
//     listed below (Array.prototype, String.prototype, Map.prototype,
//     Promise.prototype, the iterator prototypes, ...), process's
//     sub-objects (argv, versions, hrtime, ...) and Timeout.prototype.
//   - Watched: globalThis, process.env (both stay extensible), and
//     Object.prototype, Function.prototype, Error.prototype and the other
//     error prototypes (including the prelude classes'), console and
//     process (made non-extensible, their properties stay writable: these
//     are the prototypes whose properties instances commonly assign, e.g.
//     obj.toString, Child.prototype.constructor, err.name, err.message,
//     and which freezing would break through the override mistake).
//     Their accessors are made non-configurable. After each execution,
//     each watched object must have the same [[Prototype]], every data
//     property that was writable or configurable must hold the same value
//     (SameAs, which also catches deletion), and the two extensible ones
//     must have the same number of enumerable string keys and the same
//     enumerable symbols. Every way to add a property other than the
//     defineProperty family creates an enumerable one; the defineProperty
//     family (Object.defineProperty/defineProperties/freeze/seal/
//     preventExtensions, Reflect.defineProperty/preventExtensions) is
//     wrapped and any call whose target is a watched object discards the
//     runtime, which covers attribute, accessor and extensibility changes.
//   - Indirect eval can declare global lexical bindings (let/const/class)
//     that are properties of nothing: eval is wrapped and any call discards
//     the runtime. Direct eval needs the identifier eval in the source, so
//     a script with the word eval anywhere (escapes decoded, strings and
//     comments included) keeps the intrinsic eval and gets a fresh runtime
//     per execution, as does a script whose text escapes the CommonJS
//     wrapper ("}); ... (function () {"), since its extra code would run at
//     global scope once per runtime.
//   - A runtime is also discarded after a timeout, cancellation, memory or
//     other limit, an internal error, or Options.MaxUses executions.
//
// Deviations from Node this causes (all silent in sloppy code and a
// TypeError in strict code): a script cannot add properties to builtin or
// host objects other than globalThis and process.env, cannot replace
// builtin methods or statics outside the watched objects (JSON.parse = f,
// Math.random = f, Array.prototype.map = f, String.prototype.helper = f
// have no effect), and the lazy globals are non-configurable accessors.
// Changes that are allowed (globals, the watched prototypes, console,
// process.env) work within the execution and cost a runtime rebuild after
// it.
//
// Not covered (residual channels within one program's executions; each
// needs code written on purpose to smuggle state, none arises from ordinary
// use of globals or builtins):
//   - Redefining an existing configurable property of a watched object to
//     the same value with different attributes without the defineProperty
//     family: a class field defined on an object returned by a base-class
//     constructor (return override) can make, e.g., Object.prototype.toString
//     enumerable.
//   - Deleting a property of a watched, non-extensible object whose
//     inherited value is the very same object (observable only through
//     hasOwnProperty).
//   - Host objects added later must be reachable from a root to be covered.

// isolation is a runtime's baseline and the per-execution dirty flag.
type isolation struct {
	objs []watchedObject
	set  map[*goja.Object]struct{}
	keys goja.Callable // the original Object.keys
	// dirty records a defineProperty-family call on a watched object.
	dirty bool
}

type watchedObject struct {
	o     *goja.Object
	proto *goja.Object
	// nenum is the number of enumerable own string keys and esyms the
	// enumerable own symbols: every way to add a property other than the
	// (wrapped) defineProperty family creates an enumerable one.
	nenum int64
	esyms []*goja.Symbol
	// counted objects are the extensible ones (globalThis, process.env);
	// the others are non-extensible, so their key set can only shrink,
	// which the value comparison sees.
	counted bool
	// small objects are counted with the Go iterator (an allocation per
	// key), large ones with Object.keys (one array, no per-key allocation
	// when few keys are enumerable).
	small bool
	keys  []string
	vals  []goja.Value
	syms  []*goja.Symbol
	svals []goja.Value
}

// hardenSource walks the object graph from the roots. Objects in the
// watch list keep their mutability (their accessors become non-configurable)
// and are returned with their data keys worth comparing; every other
// reachable object is frozen.
const hardenSource = `(function (roots, freeze, defineProperty, preventExtensions) {
  'use strict';
  const gOPD = Object.getOwnPropertyDescriptor, ownKeys = Reflect.ownKeys, getProto = Object.getPrototypeOf;
  const watch = new Set([globalThis, Object.prototype, Function.prototype, console, process, process.env]);
  const extensible = new Set([globalThis, process.env]);
  const globals = ownKeys(globalThis);
  for (let i = 0; i < globals.length; i++) {
    const v = gOPD(globalThis, globals[i]).value;
    if (typeof v === 'function' && (v === Error || v.prototype instanceof Error)) watch.add(v.prototype);
  }
  const seen = new Set();
  const watched = [], keys = [], counted = [], frozen = [];
  const stack = [globalThis, getProto(function* () {}), getProto((function* () {})()), getProto(async function () {}),
    getProto([][Symbol.iterator]()), getProto(new Map()[Symbol.iterator]()),
    getProto(new Set()[Symbol.iterator]()), getProto(''[Symbol.iterator]()),
    getProto(/a/[Symbol.matchAll](''))];
  for (let i = 0; i < roots.length; i++) stack.push(roots[i]);
  while (stack.length) {
    const o = stack.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    stack.push(getProto(o));
    const own = ownKeys(o);
    const watching = watch.has(o);
    if (!watching && typeof o === 'function') {
      // Most functions own only name, length and maybe prototype.
      let simple = true;
      for (let i = 0; i < own.length; i++) {
        const k = own[i];
        if (k !== 'name' && k !== 'length' && k !== 'prototype') { simple = false; break; }
      }
      if (simple) {
        if (own.length > 2 || own.indexOf('prototype') >= 0) stack.push(gOPD(o, 'prototype').value);
        frozen.push(o);
        continue;
      }
    }
    const data = [];
    for (let i = 0; i < own.length; i++) {
      const k = own[i];
      const d = gOPD(o, k);
      if ('value' in d) {
        stack.push(d.value);
        if (watching && (d.writable || d.configurable)) data.push(k);
      } else {
        stack.push(d.get, d.set);
        if (watching && d.configurable) defineProperty(o, k, { configurable: false });
      }
    }
    if (!watching) { frozen.push(o); continue; }
    if (!extensible.has(o)) preventExtensions(o);
    watched.push(o);
    keys.push(data);
    counted.push(extensible.has(o));
  }
  for (let i = 0; i < frozen.length; i++) freeze(frozen[i]);
  return [watched, keys, counted];
})`

var hardenProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("harden.js", hardenSource, true)
})

// installIsolation wraps the defineProperty family and eval, then hardens
// and snapshots the runtime. It runs at build time, after the host, the
// prelude and the script's wrapper program, before any execution.
func (sb *sandbox) installIsolation(roots goja.Value) error {
	vm := sb.vm
	global := vm.GlobalObject()
	iso := &isolation{}
	objectCtor, _ := global.Get("Object").(*goja.Object)
	reflectObj, _ := global.Get("Reflect").(*goja.Object)
	if objectCtor == nil || reflectObj == nil {
		return fmt.Errorf("builtins missing")
	}
	keys, ok := goja.AssertFunction(objectCtor.Get("keys"))
	if !ok {
		return fmt.Errorf("Object.keys missing")
	}
	iso.keys = keys
	// harden needs the originals: the wrapped ones would mark every call.
	origFreeze, origDefine, origPrevent := objectCtor.Get("freeze"), objectCtor.Get("defineProperty"), objectCtor.Get("preventExtensions")
	markTarget := func(call goja.FunctionCall) {
		if o, ok := call.Argument(0).(*goja.Object); ok && sb.iso != nil {
			if _, watched := sb.iso.set[o]; watched {
				sb.iso.dirty = true
			}
		}
	}
	for _, name := range []string{"defineProperty", "defineProperties", "freeze", "seal", "preventExtensions"} {
		if err := sb.wrapMethod(objectCtor, name, markTarget); err != nil {
			return err
		}
	}
	for _, name := range []string{"defineProperty", "preventExtensions"} {
		if err := sb.wrapMethod(reflectObj, name, markTarget); err != nil {
			return err
		}
	}
	evalFn, ok := goja.AssertFunction(global.Get("eval"))
	if !ok {
		return fmt.Errorf("eval missing")
	}
	eval := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		sb.tainted = true
		v, err := evalFn(goja.Undefined(), call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	}).(*goja.Object)
	_ = eval.DefineDataProperty("name", vm.ToValue("eval"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = eval.DefineDataProperty("length", vm.ToValue(1), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	if err := global.DefineDataProperty("eval", eval, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}

	hv, err := vm.RunProgram(hardenProgram())
	if err != nil {
		return fmt.Errorf("harden: %w", err)
	}
	harden, ok := goja.AssertFunction(hv)
	if !ok {
		return fmt.Errorf("harden is not a function")
	}
	res, err := harden(goja.Undefined(), roots, origFreeze, origDefine, origPrevent)
	if err != nil {
		return fmt.Errorf("harden: %w", err)
	}
	var parts []goja.Value
	if err := vm.ExportTo(res, &parts); err != nil || len(parts) != 3 {
		return fmt.Errorf("harden: unexpected result")
	}
	var objs []*goja.Object
	var keyLists []*goja.Object
	if err := vm.ExportTo(parts[0], &objs); err != nil {
		return fmt.Errorf("harden: %w", err)
	}
	if err := vm.ExportTo(parts[1], &keyLists); err != nil || len(keyLists) != len(objs) {
		return fmt.Errorf("harden: unexpected key lists")
	}
	var counted []bool
	if err := vm.ExportTo(parts[2], &counted); err != nil || len(counted) != len(objs) {
		return fmt.Errorf("harden: unexpected flags")
	}
	iso.objs = make([]watchedObject, len(objs))
	iso.set = make(map[*goja.Object]struct{}, len(objs))
	for i, o := range objs {
		w := watchedObject{o: o, proto: o.Prototype(), esyms: o.Symbols(), counted: counted[i]}
		if w.counted {
			w.small = len(o.GetOwnPropertyNames()) < 8
			n, err := iso.enumCount(&w)
			if err != nil {
				return fmt.Errorf("harden: %w", err)
			}
			w.nenum = n
		}
		kl := keyLists[i]
		for j, m := int64(0), kl.Get("length").ToInteger(); j < m; j++ {
			k := kl.Get(strconv.FormatInt(j, 10))
			if sym, ok := k.(*goja.Symbol); ok {
				w.syms = append(w.syms, sym)
				w.svals = append(w.svals, o.GetSymbol(sym))
				continue
			}
			w.keys = append(w.keys, k.String())
			w.vals = append(w.vals, o.Get(k.String()))
		}
		iso.objs[i] = w
		iso.set[o] = struct{}{}
	}
	sb.iso = iso
	return nil
}

func (iso *isolation) enumCount(w *watchedObject) (int64, error) {
	if w.small {
		return int64(len(w.o.Keys())), nil
	}
	keys, err := iso.keys(goja.Undefined(), w.o)
	if err != nil {
		return 0, err
	}
	arr, ok := keys.(*goja.Object)
	if !ok {
		return 0, fmt.Errorf("Object.keys returned %v", keys)
	}
	return arr.Get("length").ToInteger(), nil
}

// clean reports whether every watched object still matches the baseline.
// No script code can run here: a watched data property stays a data
// property unless the defineProperty family was used on it (then dirty is
// already set), and the watched accessors are the frozen baseline ones.
func (iso *isolation) clean() (ok bool) {
	if iso.dirty {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	for i := range iso.objs {
		if iso.objs[i].o.Prototype() != iso.objs[i].proto {
			return false
		}
	}
	for i := range iso.objs {
		w := &iso.objs[i]
		for j, k := range w.keys {
			if !w.vals[j].SameAs(w.o.Get(k)) {
				return false
			}
		}
		for j, s := range w.syms {
			if !w.svals[j].SameAs(w.o.GetSymbol(s)) {
				return false
			}
		}
		if !w.counted {
			continue
		}
		syms := w.o.Symbols()
		if len(syms) != len(w.esyms) {
			return false
		}
		for j, s := range syms {
			if s != w.esyms[j] {
				return false
			}
		}
		if n, err := iso.enumCount(w); err != nil || n != w.nenum {
			return false
		}
	}
	return true
}

// reusableSource reports whether a compiled script may share a runtime
// between executions: its text stays inside the CommonJS wrapper (the
// program is exactly one function expression, so nothing runs at global
// scope) and it cannot reach direct eval.
func reusableSource(prog *ast.Program, script string) bool {
	if len(prog.Body) != 1 {
		return false
	}
	stmt, ok := prog.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return false
	}
	if _, ok := stmt.Expression.(*ast.FunctionLiteral); !ok {
		return false
	}
	return !mentionsEval(decodeEscapes(script))
}

// mentionsEval reports whether s contains eval as a whole word. Non-ASCII
// neighbours count as separators (some are JS whitespace), which errs on the
// side of "mentions".
func mentionsEval(s string) bool {
	identChar := func(c byte) bool {
		return c == '_' || c == '$' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
	}
	for i := 0; ; {
		j := strings.Index(s[i:], "eval")
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+4
		if (start == 0 || !identChar(s[start-1])) && (end == len(s) || !identChar(s[end])) {
			return true
		}
		i = start + 1
	}
}

// decodeEscapes replaces \uXXXX and \u{X...} with the characters they stand
// for, so that an identifier spelled with escapes (e\u0076al) is seen. It
// over-approximates: escapes inside strings and comments are decoded too.
func decodeEscapes(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) || s[i+1] != 'u' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 2
		var hex string
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				b.WriteByte(s[i])
				continue
			}
			hex, j = s[j+1:j+end], j+end+1
		} else if j+4 <= len(s) {
			hex, j = s[j:j+4], j+4
		} else {
			b.WriteByte(s[i])
			continue
		}
		r, err := strconv.ParseUint(hex, 16, 32)
		if err != nil {
			b.WriteByte(s[i])
			continue
		}
		b.WriteRune(rune(r))
		i = j - 1
	}
	return b.String()
}
