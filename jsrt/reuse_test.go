package jsrt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

// settle waits for background refills so that e.builds is stable.
func settle(e *Engine) int64 {
	e.refills.Wait()
	return e.builds.Load()
}

func TestRuntimesAreReused(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 2})
	script := `var calls = 0; module.exports = function (a, cb) { calls++; cb(null, calls); };`
	for i := 0; i < 3; i++ {
		if res := run(t, e, "", script); res.Err != nil || res.Value != 1.0 {
			t.Fatalf("call %d: %#v %s", i, res.Value, errString(res.Err))
		}
	}
	before := settle(e)
	for i := 0; i < 50; i++ {
		if res := run(t, e, "", script); res.Err != nil || res.Value != 1.0 {
			t.Fatalf("call %d: %#v %s", i, res.Value, errString(res.Err))
		}
	}
	if after := settle(e); after != before {
		t.Fatalf("50 clean calls built %d runtimes, want 0", after-before)
	}
}

func TestMaxUsesRecycles(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1, MaxUses: 5})
	script := `module.exports = function (a, cb) { cb(null, 'ok'); };`
	run(t, e, "", script)
	before := settle(e)
	for i := 0; i < 20; i++ {
		if res := run(t, e, "", script); res.Err != nil {
			t.Fatal(errString(res.Err))
		}
	}
	// 20 uses of runtimes that last 5 uses each: 4 replacements.
	if got := settle(e) - before; got < 3 || got > 8 {
		t.Fatalf("built %d runtimes for 20 calls with MaxUses 5, want about 4", got)
	}
}

// TestPollutionDiscards runs scripts that change something the snapshot
// watches. Every call must see the untouched state, and every call must
// cost a runtime (the polluted one is discarded).
func TestPollutionDiscards(t *testing.T) {
	// Not parallel with the other tests: it builds many runtimes, and the
	// memory watchdog charges process-wide allocations to whatever runs.
	tests := []struct{ name, seen, pollute string }{
		{"implicit global", `typeof leaked !== 'undefined'`, `leaked = 1`},
		{"global property", `'x' in globalThis`, `global.x = 1`},
		{"global symbol", `Object.getOwnPropertySymbols(globalThis).some((s) => s.description === 'leak')`, `globalThis[Symbol('leak')] = 1`},
		{"hidden global", `Object.getOwnPropertyNames(globalThis).includes('hid')`, `Object.defineProperty(globalThis, 'hid', {value: 1})`},
		{"global deleted", `typeof setImmediate === 'undefined'`, `delete globalThis.setImmediate`},
		{"builtin global replaced", `JSON.marker === 1`, `JSON = {marker: 1, stringify: JSON.stringify, parse: JSON.parse}`},
		{"Promise replaced", `Promise.marker === 1`, `const P = Promise; Promise = function (f) { return new P(f); }; Promise.marker = 1`},
		{"Object.prototype method", `({}).toString() === 'polluted'`, `Object.prototype.toString = function () { return 'polluted'; }`},
		{"Function.prototype method", `(function () {}).toString() === 'p'`, `Function.prototype.toString = function () { return 'p'; }`},
		{"Error.prototype message", `new Error().message === 'p'`, `Error.prototype.message = 'p'`},
		{"TypeError.prototype name", `new TypeError().name === 'p'`, `TypeError.prototype.name = 'p'`},
		{"prelude class prototype", `ExtensibilityUserError.prototype.constructor !== ExtensibilityUserError`, `ExtensibilityUserError.prototype.constructor = null`},
		{"console.log replaced", `console.log.marker === 1`, `const f = function () {}; f.marker = 1; console.log = f`},
		{"process.env", `process.env.SECRET === 'x'`, `process.env.SECRET = 'x'`},
		{"process field", `process.title !== 'node'`, `process.title = 'p'`},
		{"prototype chain", `Object.getPrototypeOf(globalThis) !== Object.prototype`, `Object.setPrototypeOf(globalThis, {})`},
		{"non-extensible global", `!Object.isExtensible(globalThis)`, `Object.preventExtensions(globalThis)`},
		{"accessor on watched", `Object.getOwnPropertyDescriptor(console, 'log').get !== undefined`, `Object.defineProperty(console, 'log', {get() { return () => {}; }})`},
		{"global lexical via indirect eval", `globalThis['ev' + 'al']('typeof lexical') !== 'undefined'`, `globalThis['ev' + 'al']('let lexical = 1')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Options{PoolSize: 1})
			script := "module.exports = function (a, cb) {\n  const seen = " + tt.seen + ";\n  " + tt.pollute + ";\n  cb(null, seen ? 1 : 0);\n};"
			before := settle(e)
			const calls = 4
			for i := 0; i < calls; i++ {
				res := run(t, e, "", script)
				if res.Err != nil || res.Value != 0.0 {
					t.Fatalf("call %d saw state of an earlier call: %#v %s", i, res.Value, errString(res.Err))
				}
			}
			if built := settle(e) - before; built < calls {
				t.Fatalf("%d calls that pollute built %d runtimes: a polluted runtime was reused", calls, built)
			}
		})
	}
}

// TestPreventedPollution covers what hardening makes impossible rather than
// detects: the runtime stays in use and nothing leaks.
func TestPreventedPollution(t *testing.T) {
	// Not parallel with the other tests: it builds many runtimes, and the
	// memory watchdog charges process-wide allocations to whatever runs.
	tests := []struct{ name, seen, pollute string }{
		{"Object.prototype addition", `({}).polluted !== undefined`, `Object.prototype.polluted = true`},
		{"Array.prototype addition", `[].extra !== undefined`, `Array.prototype.extra = 1`},
		{"Array.prototype method", `[].map.marker === 1`, `Array.prototype.map = Object.assign(function () {}, {marker: 1})`},
		{"builtin function property", `Array.from.x !== undefined`, `Array.from.x = 1`},
		{"JSON.parse replaced", `JSON.parse.hacked !== undefined`, `JSON.parse = function () {}; JSON.parse.hacked = true`},
		{"Math.random replaced", `Math.random() === 4`, `Math.random = function () { return 4; }`},
		{"host function property", `setTimeout.x !== undefined`, `setTimeout.x = 1`},
		{"module wrapper", `arguments.callee.x !== undefined`, `arguments.callee.x = 1`},
		{"require property", `require.cache !== undefined`, `require.cache = {}`},
		{"iterator prototype", `Object.getPrototypeOf([][Symbol.iterator]()).marker !== undefined`, `Object.getPrototypeOf([][Symbol.iterator]()).marker = 1`},
		{"Timeout prototype", `Object.getPrototypeOf(setTimeout(() => {}, 1)).marker !== undefined`, `Object.getPrototypeOf(setTimeout(() => {}, 1)).marker = 1`},
		{"process.argv", `process.argv.length !== 2`, `try { process.argv.push('x'); } catch (e) {}`},
		{"lazy module", `require('crypto').marker !== undefined || Buffer.marker !== undefined`, `require('crypto').marker = 1; Buffer.marker = 1`},
		{"lazy global assigned", `URL !== require('url').URL`, `URL = 5`},
		{"console.count", `false`, `console.count('n')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Options{PoolSize: 1})
			script := "module.exports = function (a, cb) {\n  const seen = " + tt.seen + ";\n  " + tt.pollute + ";\n  cb(null, seen ? 1 : 0);\n};"
			run(t, e, "", script)
			before := settle(e)
			for i := 0; i < 4; i++ {
				res := run(t, e, "", script)
				if res.Err != nil || res.Value != 0.0 {
					t.Fatalf("call %d saw state of an earlier call: %#v %s", i, res.Value, errString(res.Err))
				}
				if tt.name == "console.count" && res.Logs != "n: 1" {
					t.Fatalf("call %d: console.count kept its state: %q", i, res.Logs)
				}
			}
			if built := settle(e) - before; built != 0 {
				t.Fatalf("built %d runtimes, want reuse", built)
			}
		})
	}
	t.Run("strict mode sees the frozen builtin", func(t *testing.T) {
		t.Parallel()
		e := newTestEngine(t, Options{})
		res := run(t, e, "", `'use strict'; module.exports = function (a, cb) { try { Array.from.x = 1; cb(null, 'assigned'); } catch (e) { cb(null, e.name); } };`)
		if res.Err != nil || res.Value != "TypeError" {
			t.Fatalf("got %#v %s", res.Value, errString(res.Err))
		}
	})
}

func TestInterruptedRuntimeNotReused(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `var n = 0; module.exports = function (a, cb) { n++; if (a.spin) { for (;;) {} } cb(null, n); };`
	call := func(spin bool, timeout time.Duration) HookResult {
		return e.RunHook(context.Background(), HookCall{Script: script, Args: []any{map[string]any{"spin": spin}}, Timeout: timeout})
	}
	call(false, time.Second)
	before := settle(e)
	for i := 0; i < 3; i++ {
		if res := call(false, time.Second); res.Err != nil || res.Value != 1.0 {
			t.Fatalf("got %#v %s", res.Value, errString(res.Err))
		}
	}
	if settle(e) != before {
		t.Fatal("clean calls did not reuse the runtime")
	}
	if res := call(true, 100*time.Millisecond); !strings.HasPrefix(errString(res.Err), "TimeoutError: ") {
		t.Fatalf("spin: %s", errString(res.Err))
	}
	afterTimeout := settle(e)
	if afterTimeout == before {
		t.Fatal("the timed-out runtime was kept")
	}
	// The replacement carries no pending interrupt and is reused again.
	for i := 0; i < 3; i++ {
		if res := call(false, time.Second); res.Err != nil || res.Value != 1.0 {
			t.Fatalf("after timeout: %#v %s", res.Value, errString(res.Err))
		}
	}
	if settle(e) != afterTimeout {
		t.Fatal("the replacement runtime was not reused")
	}
}

func TestCancelledRuntimeNotReused(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `module.exports = function (a, cb) { if (a.wait) { setTimeout(cb, 10000); return; } cb(null, 'ok'); };`
	e.RunHook(context.Background(), HookCall{Script: script, Args: []any{map[string]any{}}})
	before := settle(e)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := e.RunHook(ctx, HookCall{Script: script, Args: []any{map[string]any{"wait": true}}})
	if errString(res.Err) != "TimeoutError: Script execution was cancelled" {
		t.Fatalf("err = %s", errString(res.Err))
	}
	if settle(e) == before {
		t.Fatal("the cancelled runtime was kept")
	}
}

func TestEvalMakesScriptSingleUse(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	// Direct eval keeps working: the script is not reusable, so the
	// intrinsic eval is left in place.
	script := `module.exports = function (a, cb) { var x = 41; cb(null, eval('x + 1')); };`
	run(t, e, "", script)
	before := settle(e)
	for i := 0; i < 3; i++ {
		if res := run(t, e, "", script); res.Err != nil || res.Value != 42.0 {
			t.Fatalf("got %#v %s", res.Value, errString(res.Err))
		}
	}
	if settle(e)-before < 3 {
		t.Fatal("a script using eval shared a runtime")
	}
}

func TestReusableSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		script string
		want   bool
	}{
		{`module.exports = function (a, cb) { cb(); };`, true},
		{`// comment only`, true},
		{`module.exports = function (a, cb) { cb(null, 'evaluate medieval'); };`, true},
		{`module.exports = function (a, cb) { cb(null, eval('1')); };`, false},
		{`module.exports = function (a, cb) { cb(null, e\u0076al('1')); };`, false},
		{`module.exports = function (a, cb) { cb(null, \u{65}val('1')); };`, false},
		{"module.exports = function (a, cb) { cb(null, globalThis.eval('1')); };", false},
		{`}); globalThis.escaped = 1; (function () {`, false},
		{`}) + (function () {`, false},
	}
	for _, tt := range tests {
		_, reusable, err := compileScript(tt.script)
		if err != nil {
			t.Fatalf("%q: %v", tt.script, err)
		}
		if reusable != tt.want {
			t.Errorf("reusable(%q) = %v, want %v", tt.script, reusable, tt.want)
		}
	}
}

// TestSnapshotSeesEveryChange runs the check directly after each kind of
// change the snapshot claims to see, on a fresh runtime each time.
func TestSnapshotSeesEveryChange(t *testing.T) {
	// Not parallel with the other tests: it builds many runtimes, and the
	// memory watchdog charges process-wide allocations to whatever runs.
	e := newTestEngine(t, Options{})
	p, err := e.program(keyhook.TriggerCredentialsExchange, benchHook)
	if err != nil {
		t.Fatal(err)
	}
	changes := []string{
		`globalThis.added = 1`,
		`delete globalThis.atob`,
		`globalThis.atob = function () {}`,
		`Object.prototype.toString = function () {}`,
		`delete Object.prototype.toString`,
		`Function.prototype.call = function () {}`,
		`RangeError.prototype.name = 'x'`,
		`InvalidScopeError.prototype.constructor = null`,
		`process.env.X = '1'`,
		`process.version = 'v0'`,
		`console.warn = console.log`,
		`Object.setPrototypeOf(process.env, null)`,
		`Reflect.defineProperty(Error.prototype, 'message', {enumerable: true})`,
		`Object.freeze(console)`,
		`globalThis[Symbol.for('x')] = 1`,
	}
	for _, change := range changes {
		g := e.newGuard(context.Background(), 5*time.Second)
		sb, xerr := e.build(g, p)
		if xerr != nil {
			t.Fatal(errString(xerr))
		}
		if !sb.iso.clean() {
			t.Fatal("fresh runtime is not clean")
		}
		if _, err := sb.vm.RunString(change); err != nil {
			t.Fatalf("%s: %v", change, err)
		}
		if sb.iso.clean() {
			t.Errorf("check missed: %s", change)
		}
		g.finish()
	}
}

func FuzzReusableSource(f *testing.F) {
	for _, s := range []string{
		"module.exports = function (a, cb) { cb(); };", "e\\u0076al('1')", "\\u{65}val", "\\u{", "\\u12", "\\u{110000}eval",
		"}); x(); (function () {", "evaluate", "\u00a0eval(1)", "x.eval",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		decoded := decodeEscapes(script)
		if !strings.Contains(script, `\u`) && decoded != script {
			t.Fatalf("decodeEscapes changed %q without escapes", script)
		}
		if mentionsEval(decoded) && !strings.Contains(decoded, "eval") {
			t.Fatalf("mentionsEval(%q) without eval", decoded)
		}
		if _, reusable, err := compileScript(script); err == nil && reusable && strings.Contains(script, " eval(") {
			t.Fatalf("%q calls eval but is reusable", script)
		}
	})
}
