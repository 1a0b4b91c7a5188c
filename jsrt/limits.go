package jsrt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// configureRegexp bounds every backtracking match goja delegates to
// regexp2 (patterns RE2 cannot express, and matches that start past index
// 0). regexp2 only offers a package-level default, read when a pattern is
// compiled, so it is set once for the process. goja reports a timed-out
// match as "no match"; the exec wrapper below turns that into a RangeError.
var configureRegexp = sync.OnceFunc(func() {
	regexp2.DefaultMatchTimeout = regexMatchTimeout
})

var errJSONTooLarge = errors.New("jsrt: JSON output too large")

// caps are the sizes a single native call may produce. Interrupt cannot stop
// a native call, so these are checked before the call starts.
type caps struct {
	maxString int64 // characters of one string
	maxArray  int64 // elements one array operation may touch
	maxBytes  int64 // bytes of one ArrayBuffer / typed array / Buffer
	maxJSON   int64 // characters of one JSON.stringify output
}

func (e *Engine) caps() caps {
	m := e.opts.MemoryLimit
	return caps{
		maxString: max(m/8, 1<<16),
		maxArray:  max(m/128, 1<<12),
		maxBytes:  max(m/2, 1<<16),
		// Each property costs a call into the budget replacer (~1 µs), so
		// the JSON budget is kept well below the string cap to fail fast.
		maxJSON: max(m/32, 1<<16),
	}
}

// arrayLengthMethods iterate up to this.length natively, also over holes
// and array-likes, so a huge length is a CPU or memory amplifier.
var arrayLengthMethods = []string{
	"copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
	"flat", "flatMap", "forEach", "includes", "indexOf", "join", "lastIndexOf", "map",
	"reduce", "reduceRight", "reverse", "slice", "some", "sort", "splice", "toLocaleString",
	"toReversed", "toSorted", "toSpliced", "toString", "with", "concat", "keys", "values", "entries",
}

var typedArrayNames = []string{
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
}

// installCaps replaces the amplifying builtins with size-checked versions
// that call the captured originals.
func (sb *sandbox) installCaps() error {
	vm := sb.vm
	c := sb.e.caps()
	global := vm.GlobalObject()
	obj := func(v goja.Value) *goja.Object { o, _ := v.(*goja.Object); return o }
	stringProto := obj(obj(global.Get("String")).Get("prototype"))
	arrayCtor := obj(global.Get("Array"))
	arrayProto := obj(arrayCtor.Get("prototype"))
	funcProto := obj(obj(global.Get("Function")).Get("prototype"))
	regexpProto := obj(obj(global.Get("RegExp")).Get("prototype"))
	if stringProto == nil || arrayProto == nil || funcProto == nil || regexpProto == nil {
		return fmt.Errorf("builtins missing")
	}

	tooLong := func(what string, n float64, limit int64) {
		if n > float64(limit) {
			panic(sb.throwRange(fmt.Sprintf("Invalid string length: %s would create %.0f characters, the limit is %d", what, n, limit)))
		}
	}
	thisLen := func(v goja.Value) int64 {
		if s, ok := v.(goja.String); ok {
			return int64(s.Length())
		}
		return int64(len(v.String()))
	}

	wrapStr := func(name string, check func(call goja.FunctionCall)) error {
		return sb.wrapMethod(stringProto, name, check)
	}
	if err := wrapStr("repeat", func(call goja.FunctionCall) {
		n := call.Argument(0).ToFloat()
		if n > 0 && !math.IsInf(n, 1) {
			tooLong("String.prototype.repeat", float64(thisLen(call.This.ToString()))*math.Trunc(n), c.maxString)
		}
	}); err != nil {
		return err
	}
	for _, name := range []string{"padStart", "padEnd"} {
		if err := wrapStr(name, func(call goja.FunctionCall) {
			tooLong("String.prototype."+name, call.Argument(0).ToFloat(), c.maxString)
		}); err != nil {
			return err
		}
	}
	if err := wrapStr("concat", func(call goja.FunctionCall) {
		total := float64(thisLen(call.This.ToString()))
		for _, a := range call.Arguments {
			total += float64(thisLen(a.ToString()))
		}
		tooLong("String.prototype.concat", total, c.maxString)
	}); err != nil {
		return err
	}
	for _, name := range []string{"replace", "replaceAll"} {
		if err := wrapStr(name, func(call goja.FunctionCall) {
			sb.checkReplace(call, c)
		}); err != nil {
			return err
		}
	}
	if err := wrapStr("split", func(call goja.FunctionCall) {
		sep, ok := call.Argument(0).(goja.String)
		if !ok {
			return
		}
		s := call.This.String()
		parts := int64(len(s)) + 1
		if sep.Length() > 0 {
			parts = int64(strings.Count(s, sep.String())) + 1
		}
		if parts > c.maxArray {
			if lim := call.Argument(1); !goja.IsUndefined(lim) && lim.ToFloat() <= float64(c.maxArray) {
				return
			}
			panic(sb.throwRange(fmt.Sprintf("String.prototype.split would create %d elements, the limit is %d", parts, c.maxArray)))
		}
	}); err != nil {
		return err
	}

	for _, name := range arrayLengthMethods {
		if err := sb.wrapMethod(arrayProto, name, func(call goja.FunctionCall) {
			o, ok := call.This.(*goja.Object)
			if !ok {
				return
			}
			n := o.Get("length").ToFloat()
			if name == "fill" {
				n = fillSpan(n, call.Argument(1), call.Argument(2))
			}
			if n > float64(c.maxArray) {
				panic(sb.throwRange(fmt.Sprintf("Invalid array length: Array.prototype.%s on %.0f elements, the limit is %d", name, n, c.maxArray)))
			}
			if name == "join" || name == "toString" {
				sep := 1.0
				if s := call.Argument(0); name == "join" && !goja.IsUndefined(s) {
					sep = float64(thisLen(s.ToString()))
				}
				tooLong("Array.prototype.join", n*sep, c.maxString)
			}
		}); err != nil {
			return err
		}
	}
	if err := sb.wrapMethod(arrayCtor, "from", func(call goja.FunctionCall) {
		if o, ok := call.Argument(0).(*goja.Object); ok {
			if n := o.Get("length"); n != nil && n.ToFloat() > float64(c.maxArray) {
				panic(sb.throwRange(fmt.Sprintf("Invalid array length: Array.from of %.0f elements, the limit is %d", n.ToFloat(), c.maxArray)))
			}
		}
	}); err != nil {
		return err
	}
	argsCheck := func(what string, v goja.Value) {
		if o, ok := v.(*goja.Object); ok {
			if n := o.Get("length"); n != nil && n.ToFloat() > float64(c.maxArray) {
				panic(sb.throwRange(fmt.Sprintf("%s with %.0f arguments, the limit is %d", what, n.ToFloat(), c.maxArray)))
			}
		}
	}
	if err := sb.wrapMethod(funcProto, "apply", func(call goja.FunctionCall) {
		argsCheck("Function.prototype.apply", call.Argument(1))
	}); err != nil {
		return err
	}
	if err := sb.wrapRegexpExec(regexpProto); err != nil {
		return err
	}

	// Typed arrays and ArrayBuffers allocate their whole size in one call.
	sizeCheck := func(name string, per int64) func(args []goja.Value) {
		return func(args []goja.Value) {
			if len(args) == 0 {
				return
			}
			var n float64
			switch a := args[0].(type) {
			case *goja.Object:
				if name != "ArrayBuffer" && name != "SharedArrayBuffer" {
					if l := a.Get("length"); l != nil && !goja.IsUndefined(l) {
						if _, isBuf := a.Export().(goja.ArrayBuffer); !isBuf {
							n = l.ToFloat()
						}
					}
				}
			default:
				n = a.ToFloat()
			}
			if n*float64(per) > float64(c.maxBytes) {
				panic(sb.throwRange(fmt.Sprintf("Array buffer allocation failed: %s of %.0f bytes, the limit is %d", name, n*float64(per), c.maxBytes)))
			}
		}
	}
	// Reflect and the typed arrays are only reachable through their globals,
	// so they are capped when first touched: materialising them eagerly
	// would cost every execution. JSON is small and the result export needs
	// the original stringify, so it is capped now.
	jsonObj := obj(global.Get("JSON"))
	origStringify, ok := goja.AssertFunction(jsonObj.Get("stringify"))
	if !ok {
		return fmt.Errorf("JSON.stringify missing")
	}
	sb.origStringify = origStringify
	stringify := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		v, err := sb.boundedStringify(call.Argument(0), call.Argument(1), call.Argument(2), c.maxJSON)
		if errors.Is(err, errJSONTooLarge) {
			panic(sb.throwRange(fmt.Sprintf("JSON output exceeds the limit of %d characters", c.maxJSON)))
		}
		if err != nil {
			panic(err)
		}
		return v
	})
	_ = stringify.(*goja.Object).DefineDataProperty("name", vm.ToValue("stringify"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	if err := jsonObj.DefineDataProperty("stringify", stringify, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}

	sb.lazyGlobal(global, "Reflect", func() error {
		reflectObj := obj(global.Get("Reflect"))
		// Reflect.apply(target, thisArg, args) and Reflect.construct(target, args).
		for name, idx := range map[string]int{"apply": 2, "construct": 1} {
			if err := sb.wrapMethod(reflectObj, name, func(call goja.FunctionCall) {
				argsCheck("Reflect."+name, call.Argument(idx))
			}); err != nil {
				return err
			}
		}

		return nil
	})
	sb.lazyGlobal(global, "ArrayBuffer", func() error {
		return sb.guardConstructor(global, "ArrayBuffer", sizeCheck("ArrayBuffer", 1))
	})
	for _, name := range typedArrayNames {
		sb.lazyGlobal(global, name, func() error {
			ctor := obj(global.Get(name))
			if ctor == nil {
				return nil
			}
			per := int64(ctor.Get("BYTES_PER_ELEMENT").ToInteger())
			return sb.guardConstructor(global, name, sizeCheck(name, per))
		})
	}
	return nil
}

// lazyGlobal replaces global[name] with an accessor that, on first use,
// restores the builtin, runs install on it and returns the result; a
// script assigning the global first simply gets its own value.
func (sb *sandbox) lazyGlobal(global *goja.Object, name string, install func() error) {
	vm := sb.vm
	var orig goja.Value
	getter := vm.ToValue(func(goja.FunctionCall) goja.Value {
		_ = global.DefineDataProperty(name, orig, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		if err := install(); err != nil {
			panic(sb.throwError(err.Error()))
		}
		return global.Get(name)
	})
	setter := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		_ = global.DefineDataProperty(name, call.Argument(0), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		return goja.Undefined()
	})
	orig = global.Get(name)
	_ = global.DefineAccessorProperty(name, getter, setter, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// fillSpan is how many elements Array.prototype.fill(v, start, end) writes.
func fillSpan(length float64, start, end goja.Value) float64 {
	rel := func(v goja.Value, def float64) float64 {
		if goja.IsUndefined(v) {
			return def
		}
		x := v.ToFloat()
		if math.IsNaN(x) {
			x = 0
		}
		x = math.Trunc(x)
		if x < 0 {
			return math.Max(length+x, 0)
		}
		return math.Min(x, length)
	}
	return math.Max(rel(end, length)-rel(start, 0), 0)
}

// checkReplace bounds the output of replace/replaceAll with a string
// pattern and a string replacement, where one call can multiply the input.
func (sb *sandbox) checkReplace(call goja.FunctionCall, c caps) {
	pat, ok := call.Argument(0).(goja.String)
	if !ok {
		return
	}
	repl, ok := call.Argument(1).(goja.String)
	if !ok {
		return
	}
	s := call.This.String()
	n := int64(strings.Count(s, pat.String()))
	if pat.Length() == 0 {
		n = int64(len(s)) + 1
	}
	grow := int64(repl.Length())
	if strings.Contains(repl.String(), "$") {
		grow += int64(len(s)) * int64(strings.Count(repl.String(), "$"))
	}
	if int64(len(s))+n*grow > c.maxString && n > 1 {
		panic(sb.throwRange(fmt.Sprintf("Invalid string length: replacement would create more than %d characters", c.maxString)))
	}
}

// wrapMethod replaces obj[name] with a native function that runs check and
// then the original. It also stops native loops that call back into a
// wrapped builtin once a limit has fired.
func (sb *sandbox) wrapMethod(obj *goja.Object, name string, check func(call goja.FunctionCall)) error {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return nil
	}
	length := obj.Get(name).(*goja.Object).Get("length")
	fn := sb.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		sb.checkInterrupt()
		check(call)
		v, err := orig(call.This, call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	}).(*goja.Object)
	_ = fn.DefineDataProperty("name", sb.vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = fn.DefineDataProperty("length", length, goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return obj.DefineDataProperty(name, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// guardConstructor replaces global[name] with a native constructor that
// checks the arguments and then constructs the original with the same
// new.target, so subclasses work. It shares the original's prototype (so
// instanceof holds), its statics and its [[Prototype]]. goja's Proxy cannot
// be used here: it does not support instanceof against a proxied function.
func (sb *sandbox) guardConstructor(global *goja.Object, name string, check func(args []goja.Value)) error {
	vm := sb.vm
	target, ok := global.Get(name).(*goja.Object)
	if !ok {
		return nil
	}
	ctor, ok := goja.AssertConstructor(target)
	if !ok {
		return nil
	}
	var wrapped *goja.Object
	wrapped = vm.ToValue(func(call goja.ConstructorCall) *goja.Object {
		check(call.Arguments)
		nt := call.NewTarget
		if nt == nil || nt == wrapped {
			nt = target
		}
		o, err := ctor(nt, call.Arguments...)
		if err != nil {
			panic(err)
		}
		return o
	}).(*goja.Object)
	for _, key := range target.GetOwnPropertyNames() {
		switch key {
		case "length", "name", "prototype":
			continue
		}
		_ = wrapped.DefineDataProperty(key, target.Get(key), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	for _, sym := range target.Symbols() {
		_ = wrapped.DefineDataPropertySymbol(sym, target.GetSymbol(sym), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	_ = wrapped.DefineDataProperty("name", vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = wrapped.DefineDataProperty("length", target.Get("length"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	proto, _ := target.Get("prototype").(*goja.Object)
	if proto != nil {
		_ = wrapped.DefineDataProperty("prototype", proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		_ = proto.DefineDataProperty("constructor", wrapped, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	if parent := target.Prototype(); parent != nil {
		_ = wrapped.SetPrototype(parent)
	}
	return global.DefineDataProperty(name, wrapped, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// wrapRegexpExec times RegExp.prototype.exec and test. Replacing exec also routes
// every other regexp entry point (test, match, replace, split, search)
// through it, because goja then treats regexps as non-standard.
func (sb *sandbox) wrapRegexpExec(proto *goja.Object) error {
	if err := sb.wrapTimed(proto, "exec"); err != nil {
		return err
	}
	// test does not go through exec in goja.
	return sb.wrapTimed(proto, "test")
}

func (sb *sandbox) wrapTimed(obj *goja.Object, name string) error {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return nil
	}
	fn := sb.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		start := time.Now()
		v, err := orig(call.This, call.Arguments...)
		if err != nil {
			panic(err)
		}
		if (goja.IsNull(v) || !v.ToBoolean()) && time.Since(start) >= regexMatchTimeout*8/10 {
			panic(sb.throwRange(fmt.Sprintf("Regular expression match exceeded %s (catastrophic backtracking?)", humanDuration(regexMatchTimeout))))
		}
		return v
	}).(*goja.Object)
	_ = fn.DefineDataProperty("name", sb.vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = fn.DefineDataProperty("length", sb.vm.ToValue(1), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return obj.DefineDataProperty(name, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// boundedStringify is JSON.stringify with an output budget. The native
// stringify cannot be interrupted and a small object graph with shared
// references can expand exponentially, so a replacer (wrapping the
// caller's) charges every property against the budget and throws a
// RangeError as soon as it is spent.
func (sb *sandbox) boundedStringify(value, replacer, space goja.Value, limit int64) (goja.Value, error) {
	vm := sb.vm
	var userFn goja.Callable
	var keys []string
	if ro, ok := replacer.(*goja.Object); ok {
		if fn, ok := goja.AssertFunction(ro); ok {
			userFn = fn
		} else if ro.ClassName() == "Array" {
			seen := map[string]bool{}
			n := ro.Get("length").ToInteger()
			if n > sb.e.caps().maxArray {
				n = sb.e.caps().maxArray
			}
			for i := int64(0); i < n; i++ {
				item := ro.Get(fmt.Sprint(i))
				var k string
				switch x := item.Export().(type) {
				case string:
					k = x
				case int64, float64:
					k = item.String()
				default:
					if io, ok := item.(*goja.Object); ok && (io.ClassName() == "String" || io.ClassName() == "Number") {
						k = item.String()
					} else {
						continue
					}
				}
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
			if keys == nil {
				keys = []string{}
			}
		}
	}
	gap := 0
	switch s := space.(type) {
	case *goja.Object:
		switch s.ClassName() {
		case "Number":
			gap = int(min(max(s.ToInteger(), 0), 10))
		case "String":
			gap = min(len(s.String()), 10)
		}
	default:
		if goja.IsUndefined(space) || goja.IsNull(space) {
			break
		}
		switch space.Export().(type) {
		case int64, float64:
			gap = int(min(max(space.ToInteger(), 0), 10))
		case string:
			gap = min(len(space.String()), 10)
		}
	}
	budget := limit
	depth := map[*goja.Object]int64{}
	exceeded := func() *goja.Object {
		return sb.throwRange(fmt.Sprintf("JSON output exceeds the limit of %d characters", limit))
	}
	rep := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		sb.checkInterrupt()
		key := call.Argument(0)
		v := call.Argument(1)
		if userFn != nil {
			r, err := userFn(call.This, key, v)
			if err != nil {
				panic(err)
			}
			v = r
		}
		if keys != nil {
			if o, ok := v.(*goja.Object); ok && o.ClassName() != "Array" && o.ClassName() != "Function" {
				if _, callable := goja.AssertFunction(o); !callable {
					filtered := vm.NewObject()
					for _, k := range keys {
						if kv := o.Get(k); kv != nil && !goja.IsUndefined(kv) {
							_ = filtered.Set(k, kv)
						}
					}
					v = filtered
				}
			}
		}
		var d int64
		if h, ok := call.This.(*goja.Object); ok {
			d = depth[h]
		}
		cost := int64(len(key.String())) + 4
		switch x := v.(type) {
		case *goja.Object:
			depth[x] = d + 1
			cost += 2
		case goja.String:
			cost += int64(x.Length()) + 2
		default:
			cost += 24
		}
		if gap > 0 {
			cost += int64(gap)*d + 1
		}
		budget -= cost
		if budget < 0 {
			panic(exceeded())
		}
		return v
	})
	out, err := sb.origStringify(goja.Undefined(), value, rep, space)
	if err != nil {
		return nil, err
	}
	if s, ok := out.(goja.String); ok && int64(s.Length()) > limit {
		return nil, errJSONTooLarge
	}
	return out, nil
}
