package jsrt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

// settle waits for background builds so that e.builds is stable.
func settle(e *Engine) int64 {
	e.refills.Wait()
	return e.builds.Load()
}

func hookIn(t testing.TB, e *Engine, slot, script string, args ...any) HookResult {
	t.Helper()
	if len(args) == 0 {
		args = []any{map[string]any{}}
	}
	return e.RunHook(context.Background(), HookCall{Script: script, Slot: slot, Args: args, Timeout: 2 * time.Second})
}

// TestModuleInitRunsOnce: the module body runs when the runtime is built,
// and every later call reuses it: module scope persists between executions
// of one program, as in a warm Node process.
func TestModuleInitRunsOnce(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `globalThis.inits = (globalThis.inits || 0) + 1;
var calls = 0;
module.exports = function (a, cb) { calls++; cb(null, [globalThis.inits, calls]); };`
	const n = 30
	for i := 1; i <= n; i++ {
		res := run(t, e, "", script)
		if res.Err != nil || fmt.Sprint(res.Value) != fmt.Sprintf("[1 %d]", i) {
			t.Fatalf("call %d: %#v %s, want [1 %d]", i, res.Value, errString(res.Err), i)
		}
	}
	if b := settle(e); b != 1 {
		t.Fatalf("%d calls built %d runtimes, want 1", n, b)
	}
}

// TestProgramsNeverShareState: a runtime serves one program only. Each pair
// runs a first program that leaves state everywhere it can, then a second
// that must see none of it.
func TestProgramsNeverShareState(t *testing.T) {
	t.Parallel()
	const pollute = `globalThis.leaked = 1; Object.prototype.polluted = 1; JSON.parse = function () { return 'hijacked'; };
require('crypto').marker = 1;`
	const seen = `[typeof leaked, ({}).polluted, JSON.parse('1'), require('crypto').marker].join()`
	script := func(tag string) string {
		return "// " + tag + "\nconst seen = " + seen + ";\n" + pollute + "\nmodule.exports = function (a, cb) { cb(null, seen); };"
	}
	const clean = "undefined,,1,"
	tests := []struct {
		name   string
		first  HookCall
		second HookCall
	}{
		{"different scripts", HookCall{Script: script("a")}, HookCall{Script: script("b")}},
		{"same script, other trigger", HookCall{Script: script("a"), Trigger: keyhook.TriggerPreUserRegistration},
			HookCall{Script: script("a"), Trigger: keyhook.TriggerPostUserRegistration}},
		{"same script, other slot", HookCall{Script: script("a"), Slot: "hook:1"}, HookCall{Script: script("a"), Slot: "hook:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Options{PoolSize: 1, MaxConcurrent: 1})
			for i, call := range []HookCall{tt.first, tt.second, tt.first, tt.second} {
				call.Args = []any{map[string]any{}}
				res := e.RunHook(context.Background(), call)
				if res.Err != nil || res.Value != clean {
					t.Fatalf("call %d saw another program's state: %#v %s", i, res.Value, errString(res.Err))
				}
			}
			if b := settle(e); b != 2 {
				t.Fatalf("built %d runtimes for two programs, want 2", b)
			}
		})
	}
}

// TestExecutionStateIsFresh: what one execution starts (timers, pending
// promises, console output and counters) never reaches the next one, even
// though the module scope persists.
func TestExecutionStateIsFresh(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `let fired = 0, resolvedLate = 0;
module.exports = function (a, cb) {
  const seen = [fired, resolvedLate];
  setTimeout(() => { fired++; }, 0);
  new Promise((r) => setTimeout(r, 0)).then(() => { resolvedLate++; });
  console.count('n');
  console.time('t');
  console.log('call', a.i);
  cb(null, seen.join());
};`
	for i := 0; i < 5; i++ {
		res := run(t, e, "", script, map[string]any{"i": float64(i)})
		if res.Err != nil || res.Value != "0,0" {
			t.Fatalf("call %d: a timer of an earlier execution ran: %#v %s", i, res.Value, errString(res.Err))
		}
		if want := fmt.Sprintf("n: 1\ncall %d", i); res.Logs != want {
			t.Fatalf("call %d: logs %q, want %q", i, res.Logs, want)
		}
	}
	if b := settle(e); b != 1 {
		t.Fatalf("built %d runtimes, want 1", b)
	}
}

// TestEditReplacesRuntimes: running new code in a slot drops the runtimes
// of the code it held, and the new code starts from a fresh module.
func TestEditReplacesRuntimes(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 2})
	v1 := `globalThis.version = 'v1'; let n = 0; module.exports = function (a, cb) { cb(null, 'v1 ' + ++n); };`
	v2 := `const before = String(globalThis.version); let n = 0; module.exports = function (a, cb) { cb(null, 'v2 ' + ++n + ' ' + before); };`
	for i := 1; i <= 3; i++ {
		if res := hookIn(t, e, "hook:1", v1); res.Value != fmt.Sprintf("v1 %d", i) {
			t.Fatalf("v1 call %d: %#v %s", i, res.Value, errString(res.Err))
		}
	}
	if s := e.Stats(); s.Programs != 1 || s.Runtimes != 1 {
		t.Fatalf("after v1: %+v", s)
	}
	if res := hookIn(t, e, "hook:1", v2); res.Value != "v2 1 undefined" {
		t.Fatalf("v2: %#v %s", res.Value, errString(res.Err))
	}
	if s := e.Stats(); s.Programs != 1 || s.Runtimes != 1 {
		t.Fatalf("after the edit the old runtimes stayed: %+v", s)
	}
	// Another slot is untouched by the edit, and Forget drops a slot.
	hookIn(t, e, "hook:2", v1)
	e.Forget("hook:1")
	if s := e.Stats(); s.Programs != 1 || s.Runtimes != 1 {
		t.Fatalf("after Forget: %+v", s)
	}
	if res := hookIn(t, e, "hook:2", v1); res.Value != "v1 2" {
		t.Fatalf("hook:2 lost its warm runtime: %#v %s", res.Value, errString(res.Err))
	}
}

// TestPoolBoundedByCount: with room for two runtimes, a third program
// drops the least recently used idle one.
func TestPoolBoundedByCount(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{MaxRuntimes: 2, MaxConcurrent: 1})
	script := func(tag string) string {
		return "let n = 0; module.exports = function (a, cb) { cb(null, '" + tag + " ' + ++n); };"
	}
	call := func(tag string, want int) {
		t.Helper()
		if res := run(t, e, "", script(tag)); res.Value != fmt.Sprintf("%s %d", tag, want) {
			t.Fatalf("%s: got %#v %s, want %s %d", tag, res.Value, errString(res.Err), tag, want)
		}
	}
	call("a", 1)
	call("b", 1)
	call("a", 2) // b is now the least recently used
	call("c", 1) // drops b
	if s := e.Stats(); s.Runtimes != 2 {
		t.Fatalf("stats %+v, want 2 runtimes", s)
	}
	call("a", 3) // still warm
	call("b", 1) // rebuilt: a fresh module
	for i := 0; i < 10; i++ {
		call(fmt.Sprintf("x%d", i), 1)
		if s := e.Stats(); s.Runtimes > 2 {
			t.Fatalf("stats %+v, more than 2 runtimes", s)
		}
	}
}

// TestPoolBoundedByMemory: runtimes whose modules hold about 2 MiB each do
// not fit more than the budget allows.
func TestPoolBoundedByMemory(t *testing.T) {
	// Not parallel with the other tests: a runtime's size is estimated from
	// process-wide allocations shared among what runs at the time.
	const budget = 8 << 20
	e := newTestEngine(t, Options{RuntimeMemory: budget, MaxConcurrent: 1})
	for i := 0; i < 12; i++ {
		script := fmt.Sprintf(`// %d
const big = []; for (let i = 0; i < 16; i++) big.push('x'.repeat(1 << 16) + i);
module.exports = function (a, cb) { cb(null, big.length); };`, i)
		if res := run(t, e, "", script); res.Err != nil || res.Value != 16.0 {
			t.Fatalf("script %d: %#v %s", i, res.Value, errString(res.Err))
		}
		s := e.Stats()
		if s.Memory > budget {
			t.Fatalf("after script %d: %+v exceeds the %d byte budget", i, s, budget)
		}
		if s.Runtimes > 4 {
			t.Fatalf("after script %d: %d runtimes of 2 MiB kept within %d bytes", i, s.Runtimes, budget)
		}
	}
}

func TestIdleRuntimesExpire(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{IdleTTL: 50 * time.Millisecond})
	if res := run(t, e, "", `module.exports = function (a, cb) { cb(null, 1); };`); res.Err != nil {
		t.Fatal(errString(res.Err))
	}
	if s := e.Stats(); s.Runtimes != 1 || s.Programs != 1 {
		t.Fatalf("stats %+v", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := e.Stats()
		if s.Runtimes == 0 && s.Programs == 0 && s.Memory == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle runtime did not expire: %+v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMaxUsesRecycles(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1, MaxUses: 5})
	script := `let n = 0; module.exports = function (a, cb) { cb(null, ++n); };`
	for i := 0; i < 20; i++ {
		res := run(t, e, "", script)
		if want := float64(i%5 + 1); res.Err != nil || res.Value != want {
			t.Fatalf("call %d: %#v %s, want %v (a runtime lasts 5 uses)", i, res.Value, errString(res.Err), want)
		}
		settle(e)
	}
	// 20 uses of runtimes that last 5 uses each: 4 runtimes, and the
	// replacement of the last one built in the background.
	if got := settle(e); got != 5 {
		t.Fatalf("built %d runtimes for 20 calls with MaxUses 5, want 5", got)
	}
}

func TestInterruptedRuntimeNotReused(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `var n = 0; module.exports = function (a, cb) { n++; if (a.spin) { for (;;) {} } cb(null, n); };`
	call := func(spin bool, timeout time.Duration) HookResult {
		return e.RunHook(context.Background(), HookCall{Script: script, Args: []any{map[string]any{"spin": spin}}, Timeout: timeout})
	}
	for i := 1; i <= 3; i++ {
		if res := call(false, time.Second); res.Err != nil || res.Value != float64(i) {
			t.Fatalf("got %#v %s, want %d", res.Value, errString(res.Err), i)
		}
	}
	if res := call(true, 100*time.Millisecond); !strings.HasPrefix(errString(res.Err), "TimeoutError: ") {
		t.Fatalf("spin: %s", errString(res.Err))
	}
	settle(e)
	// The replacement is a fresh module without a pending interrupt, and
	// it is reused again.
	for i := 1; i <= 3; i++ {
		if res := call(false, time.Second); res.Err != nil || res.Value != float64(i) {
			t.Fatalf("after timeout: %#v %s, want %d", res.Value, errString(res.Err), i)
		}
	}
	if b := settle(e); b != 2 {
		t.Fatalf("built %d runtimes, want 2", b)
	}
}

func TestCancelledRuntimeNotReused(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `let n = 0; module.exports = function (a, cb) { n++; if (a.wait) { setTimeout(cb, 10000); return; } cb(null, n); };`
	e.RunHook(context.Background(), HookCall{Script: script, Args: []any{map[string]any{}}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := e.RunHook(ctx, HookCall{Script: script, Args: []any{map[string]any{"wait": true}}})
	if errString(res.Err) != "TimeoutError: Script execution was cancelled" {
		t.Fatalf("err = %s", errString(res.Err))
	}
	if res := e.RunHook(context.Background(), HookCall{Script: script, Args: []any{map[string]any{}}}); res.Value != 1.0 {
		t.Fatalf("the cancelled runtime was kept: %#v %s", res.Value, errString(res.Err))
	}
}

// TestModuleInitFailure: a module that throws while loading fails the call
// that loaded it, with the module's console output, and leaves no runtime.
func TestModuleInitFailure(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `console.log('loading'); throw new TypeError('at load');`
	for i := 0; i < 3; i++ {
		res := run(t, e, "", script)
		if errString(res.Err) != "TypeError: at load" || res.Logs != "loading" {
			t.Fatalf("call %d: %s logs %q", i, errString(res.Err), res.Logs)
		}
	}
	if s := e.Stats(); s.Runtimes != 0 || s.Memory != 0 {
		t.Fatalf("a failed module left a runtime: %+v", s)
	}
	if b := settle(e); b != 3 {
		t.Fatalf("built %d runtimes, want 3", b)
	}
}

// TestBuiltinsStayMutable: builtins are not frozen, so bundles that
// polyfill or extend them load, and direct eval works.
func TestBuiltinsStayMutable(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `'use strict';
Object.defineProperty(Array.prototype, 'second', { value: function () { return this[1]; }, writable: true, configurable: true });
Array.from = (function (orig) { return function () { return orig.apply(this, arguments); }; })(Array.from);
Object.defineProperty(globalThis, 'TextEncoder', { value: class TextEncoder { encode() { return 'polyfilled'; } }, writable: true, configurable: true });
Promise.prototype.finally = Promise.prototype.finally || function () {};
Math.sumPrecise = function (xs) { return xs.reduce((a, b) => a + b, 0); };
module.exports = function (a, cb) {
  var x = 41;
  cb(null, [[1, 2].second(), Array.from('ab').length, new TextEncoder().encode(), Math.sumPrecise([1, 2]), eval('x + 1')]);
};`
	for i := 0; i < 3; i++ {
		res := run(t, e, "", script)
		if res.Err != nil || fmt.Sprint(res.Value) != "[2 2 polyfilled 3 42]" {
			t.Fatalf("call %d: %#v %s", i, res.Value, errString(res.Err))
		}
	}
}

// TestPrepare: a prepared program's first execution pays no build, and
// what the module body started runs in that execution.
func TestPrepare(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `let ready = false; setTimeout(() => { ready = true; }, 1);
console.log('loaded');
exports.onExecutePostLogin = async (event, api) => {
  await new Promise((r) => setTimeout(r, 20));
  api.cache.set('ready', String(ready));
};`
	spec := Spec{Convention: ConventionAction, Trigger: keyhook.TriggerPostLogin, Script: script, Slot: "action:1:1"}
	if err := e.Prepare(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if err := e.Prepare(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if b := settle(e); b != 1 {
		t.Fatalf("preparing twice built %d runtimes, want 1", b)
	}
	res := e.RunAction(context.Background(), ActionCall{Script: script, Trigger: keyhook.TriggerPostLogin, Slot: "action:1:1", Timeout: 2 * time.Second})
	if res.Error != nil || res.BootDuration != 0 {
		t.Fatalf("first execution after Prepare: %s boot %v", actionErr(res.Error), res.BootDuration)
	}
	if res.Commands[0].Args[1] != "true" || res.Logs != "loaded" {
		t.Fatalf("the module's timer or output was lost: %v %q", res.Commands, res.Logs)
	}
	if b := settle(e); b != 1 {
		t.Fatalf("built %d runtimes, want 1", b)
	}

	var se *SyntaxError
	if err := e.Prepare(context.Background(), Spec{Convention: ConventionAction, Trigger: keyhook.TriggerPostLogin, Script: "exports.x = ("}); !errors.As(err, &se) {
		t.Fatalf("syntax error: %v", err)
	}
	err := e.Prepare(context.Background(), Spec{Convention: ConventionAction, Trigger: keyhook.TriggerPostLogin, Script: "\nthrow new RangeError('no');"})
	var xe *ScriptError
	if !errors.As(err, &xe) || xe.Name != "RangeError" || !strings.Contains(xe.Stack, "action.js:2:") {
		t.Fatalf("init failure: %#v", err)
	}
}
