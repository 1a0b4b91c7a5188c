package jsrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e := New(opts)
	t.Cleanup(e.Close)
	return e
}

func run(t testing.TB, e *Engine, trigger keyhook.TriggerID, script string, args ...any) HookResult {
	t.Helper()
	if len(args) == 0 {
		args = []any{map[string]any{}}
	}
	return e.RunHook(context.Background(), HookCall{Script: script, Trigger: trigger, Args: args, Timeout: 2 * time.Second})
}

func errString(x *keyhook.ExecutionError) string {
	if x == nil {
		return "<nil>"
	}
	return x.Name + ": " + x.Message
}

// TestConsoleFlood: a hook logging 200,000 lines finishes with its output
// capped, and the note counts every write that did not fit. Before output
// past the cap stopped being formatted this loop ran into the 5 s timeout.
func TestConsoleFlood(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	res := e.RunHook(context.Background(), HookCall{Script: consoleFloodHook, Args: []any{map[string]any{}}, Timeout: time.Minute})
	if res.Err != nil || res.Value != "done" {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
	body, dropped, ok := truncated(res.Logs)
	if !ok || len(body) > defaultConsoleLimit {
		t.Fatalf("output not capped and marked: %d bytes, ends %q", len(res.Logs), res.Logs[max(0, len(res.Logs)-80):])
	}
	if whole := wholeLines(body, "line %d"); whole == 0 || whole+dropped != consoleFloodLines {
		t.Fatalf("%d whole lines + %d dropped != %d writes", whole, dropped, consoleFloodLines)
	}
}

func TestRunHookOutcomes(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name    string
		script  string
		want    any
		wantErr string // "Name: Message" prefix
	}{
		{"sync cb", `module.exports = function (a, cb) { cb(null, {n: a.n + 1}); };`, map[string]any{"n": 2.0}, ""},
		{"cb undefined value", `module.exports = function (a, cb) { cb(); };`, nil, ""},
		{"cb falsy error is success", `module.exports = function (a, cb) { cb(0, 'ok'); };`, "ok", ""},
		{"setTimeout", `module.exports = function (a, cb) { setTimeout(function (x) { cb(null, x); }, 10, 'later'); };`, "later", ""},
		{"setImmediate", `module.exports = function (a, cb) { setImmediate(() => cb(null, 'imm')); };`, "imm", ""},
		{"nextTick", `module.exports = function (a, cb) { process.nextTick((v) => cb(null, v), 'tick'); };`, "tick", ""},
		{"queueMicrotask", `module.exports = function (a, cb) { queueMicrotask(() => cb(null, 'micro')); };`, "micro", ""},
		{"setInterval cleared", `module.exports = function (a, cb) { let n = 0; const t = setInterval(() => { if (++n === 3) { clearInterval(t); cb(null, n); } }, 1); };`, 3.0, ""},
		{"clearTimeout", `module.exports = function (a, cb) { const t = setTimeout(() => cb(new Error('fired')), 5); clearTimeout(t); setTimeout(() => cb(null, 'cleared'), 20); };`, "cleared", ""},
		{"async await", `module.exports = async function (a, cb) { const v = await new Promise(r => setTimeout(() => r(7), 5)); cb(null, v * 6); };`, 42.0, ""},
		{"promise then", `module.exports = function (a, cb) { Promise.resolve(5).then(v => cb(null, [v])); };`, []any{5.0}, ""},
		{"JSON shape", `module.exports = function (a, cb) { cb(null, {d: new Date(0), f: function(){}, u: undefined, n: null, nested: [1, 'x', true]}); };`,
			map[string]any{"d": "1970-01-01T00:00:00.000Z", "n": nil, "nested": []any{1.0, "x", true}}, ""},
		{"sync throw", `module.exports = function (a, cb) { throw new TypeError('bad input'); };`, nil, "TypeError: bad input"},
		{"async throw", `module.exports = async function (a, cb) { await null; throw new RangeError('late'); };`, nil, "RangeError: late"},
		{"returned promise rejects", `module.exports = function (a, cb) { return Promise.reject(new Error('rejected')); };`, nil, "Error: rejected"},
		{"unhandled rejection", `module.exports = function (a, cb) { Promise.reject(new Error('nobody')); };`, nil, "Error: nobody"},
		{"throw in timer", `module.exports = function (a, cb) { setTimeout(() => { throw new Error('in timer'); }, 1); };`, nil, "Error: in timer"},
		{"cb plain error", `module.exports = function (a, cb) { cb(new Error('plain')); };`, nil, "Error: plain"},
		{"cb string", `module.exports = function (a, cb) { cb('just text'); };`, nil, "Error: just text"},
		{"cb object with message", `module.exports = function (a, cb) { cb({message: 'objmsg', name: 'Ignored'}); };`, nil, "Error: objmsg"},
		{"cb custom error name", `module.exports = function (a, cb) { const e = new Error('m'); e.name = 'Custom'; cb(e); };`, nil, "Custom: m"},
		{"cb twice", `module.exports = function (a, cb) { cb(null, 1); cb(null, 2); };`, nil, "Error: callback was called more than once"},
		{"cb after error is twice", `module.exports = function (a, cb) { cb(new Error('x')); cb(); };`, nil, "Error: callback was called more than once"},
		{"not a function", `module.exports = {handler: function () {}};`, nil, "Error: Script does not export a function"},
		{"exports.handler not enough", `exports.handler = function (a, cb) { cb(); };`, nil, "Error: Script does not export a function"},
		{"module init throws", `throw new Error('at load');`, nil, "Error: at load"},
		{"syntax error", `module.exports = function (a, cb) { cb( };`, nil, "SyntaxError: Unable to compile the extensibility code as javascript"},
		{"reference error", `module.exports = function (a, cb) { cb(null, notDefined); };`, nil, "ReferenceError: notDefined is not defined"},
		{"stack overflow", `module.exports = function (a, cb) { function f() { return f() + 1; } f(); };`, nil, "RangeError: Maximum call stack size exceeded"},
		{"no cb, nothing pending", `module.exports = function (a, cb) { };`, nil, "TimeoutError: Script execution did not complete: the callback was never called"},
		{"result bigint", `module.exports = function (a, cb) { cb(null, {b: 1n}); };`, nil, "TypeError: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, e, keyhook.TriggerCredentialsExchange, tt.script, map[string]any{"n": 1.0})
			if res.HostErr != nil {
				t.Fatalf("HostErr = %v: the script's outcome is not the host's failure", res.HostErr)
			}
			if tt.wantErr != "" {
				if res.Err == nil || !strings.HasPrefix(errString(res.Err), tt.wantErr) {
					t.Fatalf("err = %s, want prefix %q (value %#v)", errString(res.Err), tt.wantErr, res.Value)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected err %s", errString(res.Err))
			}
			if !reflect.DeepEqual(res.Value, tt.want) {
				t.Fatalf("value = %#v, want %#v", res.Value, tt.want)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    string
	}{
		{"never calls cb with pending timer", `module.exports = function (a, cb) { setTimeout(() => {}, 60000); };`, 200 * time.Millisecond,
			"TimeoutError: Script execution did not complete within 200 milliseconds"},
		{"async never calls cb", `module.exports = async function (a, cb) { await new Promise(r => setInterval(() => {}, 10)); };`, 200 * time.Millisecond,
			"TimeoutError: Script execution did not complete within 200 milliseconds"},
		{"infinite loop", `module.exports = function (a, cb) { for (;;) {} };`, 200 * time.Millisecond,
			"TimeoutError: Script execution did not complete within 200 milliseconds"},
		{"infinite loop at module init", `while (true) {}`, 200 * time.Millisecond,
			"TimeoutError: Script execution did not complete within 200 milliseconds"},
		{"loop catching errors", `module.exports = function (a, cb) { for (;;) { try { null.x } catch (e) {} } };`, 200 * time.Millisecond,
			"TimeoutError: "},
		{"default 1s", `module.exports = function (a, cb) { for (;;) {} };`, time.Second,
			"TimeoutError: Script execution did not complete within 1 second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := e.RunHook(context.Background(), HookCall{Script: tt.script, Trigger: keyhook.TriggerCredentialsExchange, Timeout: tt.timeout})
			if !strings.HasPrefix(errString(res.Err), tt.want) {
				t.Fatalf("err = %s, want prefix %q", errString(res.Err), tt.want)
			}
		})
	}

	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		res := e.RunHook(ctx, HookCall{Script: `module.exports = function (a, cb) { for (;;) {} };`, Timeout: 5 * time.Second})
		if errString(res.Err) != "TimeoutError: Script execution was cancelled" {
			t.Fatalf("err = %s", errString(res.Err))
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		res := e.RunHook(ctx, HookCall{Script: `module.exports = function (a, cb) { setTimeout(cb, 10000); };`, Args: []any{nil}, Timeout: 5 * time.Second})
		if !strings.HasPrefix(errString(res.Err), "TimeoutError: Script execution did not complete before the request deadline") {
			t.Fatalf("err = %s", errString(res.Err))
		}
	})
	t.Run("default timeout option", func(t *testing.T) {
		t.Parallel()
		e := newTestEngine(t, Options{DefaultTimeout: 150 * time.Millisecond})
		res := e.RunHook(context.Background(), HookCall{Script: `module.exports = function (a, cb) { for (;;) {} };`})
		if errString(res.Err) != "TimeoutError: Script execution did not complete within 150 milliseconds" {
			t.Fatalf("err = %s", errString(res.Err))
		}
	})
}

func TestPreludeErrorClasses(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		trigger keyhook.TriggerID
		expr    string
		want    keyhook.ExecutionError
	}{
		{keyhook.TriggerCredentialsExchange, `new InvalidRequestError('bad request')`, keyhook.ExecutionError{Name: "InvalidRequestError", Message: "bad request"}},
		{keyhook.TriggerCredentialsExchange, `new InvalidScopeError('bad scope')`, keyhook.ExecutionError{Name: "InvalidScopeError", Message: "bad scope"}},
		{keyhook.TriggerCredentialsExchange, `new ServerError('oops')`, keyhook.ExecutionError{Name: "ServerError", Message: "oops"}},
		{keyhook.TriggerPreUserRegistration, `new PreUserRegistrationError('log msg', 'Shown to user')`, keyhook.ExecutionError{Name: "PreUserRegistrationError", Message: "log msg", FriendlyMessage: "Shown to user"}},
		{keyhook.TriggerPreUserRegistration, `new PreUserRegistrationError('only one')`, keyhook.ExecutionError{Name: "PreUserRegistrationError", Message: "only one", FriendlyMessage: "only one"}},
		{keyhook.TriggerPostUserRegistration, `new PreUserRegistrationError('post', 'f')`, keyhook.ExecutionError{Name: "PreUserRegistrationError", Message: "post", FriendlyMessage: "f"}},
		{keyhook.TriggerPostChangePassword, `new PreUserRegistrationError('pcp')`, keyhook.ExecutionError{Name: "PreUserRegistrationError", Message: "pcp", FriendlyMessage: "pcp"}},
		{keyhook.TriggerSendPhoneMessage, `new SendPhoneMessageError('sms down', 'Try later')`, keyhook.ExecutionError{Name: "SendPhoneMessageError", Message: "sms down", FriendlyMessage: "Try later"}},
		{keyhook.TriggerSendPhoneMessage, `new SendPhoneMessageError('x')`, keyhook.ExecutionError{Name: "SendPhoneMessageError", Message: "x", FriendlyMessage: "x"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.trigger)+"/"+tt.want.Name, func(t *testing.T) {
			t.Parallel()
			script := "module.exports = function (a, cb) {\n  const e = " + tt.expr + ";\n" +
				"  if (!(e instanceof Error) || !(e instanceof ExtensibilityUserError)) throw new Error('wrong hierarchy');\n  cb(e);\n};"
			res := run(t, e, tt.trigger, script)
			if res.Err == nil || *res.Err != tt.want {
				t.Fatalf("err = %+v, want %+v", res.Err, tt.want)
			}
		})
	}
	t.Run("classes are per trigger", func(t *testing.T) {
		t.Parallel()
		res := run(t, e, keyhook.TriggerCredentialsExchange, `module.exports = function (a, cb) { cb(null, typeof PreUserRegistrationError); };`)
		if res.Err != nil || res.Value != "undefined" {
			t.Fatalf("got %#v %s", res.Value, errString(res.Err))
		}
	})
	t.Run("error stack keeps user line numbers", func(t *testing.T) {
		t.Parallel()
		res := run(t, e, keyhook.TriggerPreUserRegistration, "module.exports = function (a, cb) {\n\n  const e = new Error('x');\n  cb(null, e.stack);\n};")
		if s, _ := res.Value.(string); !strings.Contains(s, "hook.js:3:") {
			t.Fatalf("stack %q does not point at line 3", s)
		}
	})
}

func TestArgsAreCopied(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	client := map[string]any{"id": "c1", "metadata": map[string]any{"plan": "full"}}
	scope := []any{"read:a"}
	script := `module.exports = function (client, scope, audience, context, cb) {
  scope.push('extra');
  client.metadata.plan = 'changed';
  client.added = true;
  context.nested.list.push(3);
  cb(null, {scope: scope, 'https://example.com/plan': client.metadata.plan, aud: audience, n: context.nested.list.length});
};`
	ctxArg := map[string]any{"nested": map[string]any{"list": []any{1.0, 2.0}}}
	res := run(t, e, keyhook.TriggerCredentialsExchange, script, client, scope, "https://api", ctxArg)
	if res.Err != nil {
		t.Fatal(errString(res.Err))
	}
	want := map[string]any{"scope": []any{"read:a", "extra"}, "https://example.com/plan": "changed", "aud": "https://api", "n": 3.0}
	if !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("value %#v", res.Value)
	}
	if !reflect.DeepEqual(client, map[string]any{"id": "c1", "metadata": map[string]any{"plan": "full"}}) ||
		!reflect.DeepEqual(scope, []any{"read:a"}) || len(ctxArg["nested"].(map[string]any)["list"].([]any)) != 2 {
		t.Fatalf("caller values changed: %#v %#v %#v", client, scope, ctxArg)
	}
	// Non-JSON Go types are converted through JSON.
	type point struct{ X int }
	res = run(t, e, "", `module.exports = function (p, s, cb) { cb(null, [p.X, s]); };`, point{X: 4}, []string{"a"})
	if res.Err != nil || !reflect.DeepEqual(res.Value, []any{4.0, []any{"a"}}) {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
}

// truncated splits console output ending in the truncation note into what
// was kept and the number of writes the note says were cut or dropped.
func truncated(logs string) (body string, dropped int, ok bool) {
	i := strings.LastIndex(logs, truncatedNote)
	if i < 0 {
		return logs, 0, false
	}
	if _, err := fmt.Sscanf(logs[i+len(truncatedNote):], " (%d console writes cut or dropped)", &dropped); err != nil {
		return logs, 0, false
	}
	return strings.TrimSuffix(logs[:i], "\n"), dropped, true
}

// wholeLines counts the leading lines of body equal to format filled with
// 0, 1, 2, …; a line cut at the cap never equals its whole text.
func wholeLines(body, format string) int {
	n := 0
	for line := range strings.SplitSeq(body, "\n") {
		if line != fmt.Sprintf(format, n) {
			break
		}
		n++
	}
	return n
}

func TestConsole(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `module.exports = function (a, cb) {
  console.log('hello %s, you are %d', 'ann', 42);
  console.info({a: 1, b: [1, 'x']});
  console.warn('json %j', {k: 'v'});
  console.error(new Error('e1').message, null, undefined);
  console.debug('pct %% %o', [1]);
  cb();
};`
	res := run(t, e, "", script)
	if res.Err != nil {
		t.Fatal(errString(res.Err))
	}
	want := "hello ann, you are 42\n{ a: 1, b: [ 1, 'x' ] }\njson {\"k\":\"v\"}\ne1 null undefined\npct % [ 1 ]"
	if res.Logs != want {
		t.Fatalf("logs =\n%q\nwant\n%q", res.Logs, want)
	}

	small := newTestEngine(t, Options{ConsoleLimit: 100})
	res = run(t, small, "", `module.exports = function (a, cb) { for (let i = 0; i < 1000; i++) console.log('line ' + i); cb(null, 'done'); };`)
	if res.Err != nil || res.Value != "done" {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
	body, dropped, ok := truncated(res.Logs)
	if !ok || len(body) > 100 || !strings.HasPrefix(body, "line 0\nline 1\n") {
		t.Fatalf("logs not bounded: %d bytes %q", len(res.Logs), res.Logs)
	}
	if whole := wholeLines(body, "line %d"); whole+dropped != 1000 {
		t.Fatalf("%d whole lines + %d dropped != 1000 writes: %q", whole, dropped, res.Logs)
	}
	// Past the cap nothing is formatted: the getter never runs.
	res = run(t, small, "", `module.exports = function (a, cb) {
  console.log('x'.repeat(200));
  let calls = 0;
  const o = { get x() { calls++; return 1; } };
  console.log(o); console.info('%o', o); console.error(o);
  cb(null, calls);
};`)
	if _, dropped, ok := truncated(res.Logs); res.Err != nil || res.Value != 0.0 || !ok || dropped != 4 {
		t.Fatalf("value %#v err %s logs %q", res.Value, errString(res.Err), res.Logs)
	}
	// Formatting as Node's util.format: a lone string is printed as is.
	res = run(t, e, "", `module.exports = function (a, cb) {
  console.log('100%%'); console.log('%s%% %d', 'a', 5, 'rest'); console.log('%s'); console.log('%x %s', 1);
  console.log(); console.log('%c%s', 'color: red', 'c'); cb();
};`)
	if want := "100%%\na% 5 rest\n%s\n%x 1\n\nc"; res.Logs != want {
		t.Fatalf("logs =\n%q\nwant\n%q", res.Logs, want)
	}
	// Logs are kept when the script fails.
	res = run(t, e, "", `module.exports = function (a, cb) { console.log('before'); throw new Error('after'); };`)
	if res.Logs != "before" || res.Err == nil {
		t.Fatalf("logs %q err %s", res.Logs, errString(res.Err))
	}
}

func TestResultLimit(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{ResultLimit: 1024})
	res := run(t, e, "", `module.exports = function (a, cb) { cb(null, {big: 'x'.repeat(2000)}); };`)
	if errString(res.Err) != "LimitError: Script result exceeds the 1 KiB limit" {
		t.Fatalf("err = %s", errString(res.Err))
	}
	res = run(t, e, "", `module.exports = function (a, cb) { cb(null, {ok: 'x'.repeat(900)}); };`)
	if res.Err != nil {
		t.Fatalf("err = %s", errString(res.Err))
	}
	// Shared references expand exponentially; the budget stops the walk.
	res = run(t, e, "", `module.exports = function (a, cb) { let x = [1]; for (let i = 0; i < 60; i++) x = [x, x]; cb(null, x); };`)
	if errString(res.Err) != "LimitError: Script result exceeds the 1 KiB limit" {
		t.Fatalf("err = %s", errString(res.Err))
	}
}

// TestAmplifierCaps checks that single native calls Interrupt cannot stop
// fail fast with a RangeError the script sees, before allocating.
func TestAmplifierCaps(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name string
		expr string
		want string
	}{
		{"repeat", `'x'.repeat(2 ** 29)`, "RangeError: Invalid string length: String.prototype.repeat"},
		{"padEnd", `'a'.padEnd(2 ** 29)`, "RangeError: Invalid string length: String.prototype.padEnd"},
		{"padStart", `'a'.padStart(2 ** 29, 'xy')`, "RangeError: Invalid string length: String.prototype.padStart"},
		{"concat", `const s = 'x'.repeat(1 << 23); s.concat(s, s)`, "RangeError: Invalid string length: String.prototype.concat"},
		{"replaceAll", `'a'.repeat(1e6).replaceAll('a', 'b'.repeat(100))`, "RangeError: Invalid string length: replacement"},
		{"split", `'x'.repeat(1 << 22).split('')`, "RangeError: String.prototype.split would create"},
		{"fill", `new Array(5e7).fill(0)`, "RangeError: Invalid array length: Array.prototype.fill"},
		{"join", `Array(1e9).join('x')`, "RangeError: Invalid array length: Array.prototype.join"},
		{"map over holes", `Array(2 ** 32 - 1).map(x => x)`, "RangeError: Invalid array length: Array.prototype.map"},
		{"indexOf on array-like", `Array.prototype.indexOf.call({length: 2 ** 53 - 1}, 1)`, "RangeError: Invalid array length: Array.prototype.indexOf"},
		{"Array.from", `Array.from({length: 1e9})`, "RangeError: Invalid array length: Array.from"},
		{"apply", `String.fromCharCode.apply(null, {length: 1e9})`, "RangeError: Function.prototype.apply"},
		{"Reflect.apply", `Reflect.apply(Math.max, null, {length: 1e9})`, "RangeError: Reflect.apply"},
		{"JSON.stringify DAG", `let x = [1]; for (let i = 0; i < 40; i++) x = [x, x]; JSON.stringify(x)`, "RangeError: JSON output exceeds the limit"},
		{"JSON.stringify deep indent", `let x = {}; const root = x; for (let i = 0; i < 20000; i++) { x.c = {}; x = x.c; } JSON.stringify(root, null, 10)`, "RangeError: JSON output exceeds the limit"},
		{"Buffer.alloc", `Buffer.alloc(2 ** 30)`, "RangeError: Array buffer allocation failed"},
		{"Buffer.allocUnsafe", `Buffer.allocUnsafe(2 ** 30)`, "RangeError: Array buffer allocation failed"},
		{"Uint8Array", `new Uint8Array(2 ** 31)`, "RangeError: Array buffer allocation failed"},
		{"Float64Array", `new Float64Array(2 ** 26)`, "RangeError: Array buffer allocation failed"},
		{"ArrayBuffer", `new ArrayBuffer(2 ** 31)`, "RangeError: Array buffer allocation failed"},
		{"randomBytes", `require('crypto').randomBytes(2 ** 31)`, "RangeError: The value of \"size\" is out of range"},
		{"regex backtracking", `/(a+)+(?=c)/.test('a'.repeat(40) + 'b')`, "RangeError: Regular expression match exceeded"},
		{"regex backtracking exec", `/^(a|aa)+(?=c)$/.exec('a'.repeat(60) + 'b')`, "RangeError: Regular expression match exceeded"},
		{"regex backtracking via replace", `('a'.repeat(40) + 'b').replace(/(a+)+(?=c)/, 'x')`, "RangeError: Regular expression match exceeded"},
		{"too many timers", `for (let i = 0; i < 20000; i++) setTimeout(() => {}, 1e6)`, "RangeError: too many pending timers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			script := "module.exports = function (a, cb) {\n" + tt.expr + ";\ncb(null, 'not stopped');\n};"
			// The generous deadline only matters under -race on a loaded
			// machine; the caps fire long before it.
			res := e.RunHook(context.Background(), HookCall{Script: script, Args: []any{nil}, Timeout: 30 * time.Second})
			if !strings.HasPrefix(errString(res.Err), tt.want) {
				t.Fatalf("err = %s, want prefix %q", errString(res.Err), tt.want)
			}
		})
	}
	// The caps leave ordinary use alone, and the script can catch them.
	res := run(t, e, "", `module.exports = function (a, cb) {
  let caught = '';
  try { 'x'.repeat(2 ** 30); } catch (e) { caught = e.name; }
  const parts = 'a,b,c'.split(',');
  const filled = new Array(3).fill(7);
  const joined = [1, 2, 3].join('-');
  const re = /(\d+)-(\d+)/.exec('10-20');
  const replaced = 'a-b-c'.replace(/-/g, '+').replaceAll('a', 'A');
  const buf = Buffer.alloc(4, 1);
  const json = JSON.stringify({a: [1, {b: 2}]}, null, 2);
  const u8 = new Uint8Array([1, 2, 3]);
  class Sub extends Uint8Array {}
  cb(null, {caught, parts, filled, joined, re: re.slice(1), replaced, buf: Array.from(buf), json,
    u8: u8 instanceof Uint8Array && new Sub(2) instanceof Uint8Array && new Sub(2) instanceof Sub,
    max: Math.max.apply(null, [1, 5, 3]), from: Array.from('abc'), pad: 'a'.padStart(3, '-'),
    filtered: JSON.stringify({a: 1, b: 2, c: {a: 3, d: 4}}, ['a', 'c'])});
};`)
	want := map[string]any{"caught": "RangeError", "parts": []any{"a", "b", "c"}, "filled": []any{7.0, 7.0, 7.0}, "joined": "1-2-3",
		"re": []any{"10", "20"}, "replaced": "A+b+c", "buf": []any{1.0, 1.0, 1.0, 1.0}, "json": "{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ]\n}",
		"u8": true, "max": 5.0, "from": []any{"a", "b", "c"}, "pad": "--a", "filtered": `{"a":1,"c":{"a":3}}`}
	if res.Err != nil || !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
}

func TestMemoryWatchdog(t *testing.T) {
	t.Parallel()
	// A small budget keeps the test itself cheap: the script is stopped
	// after allocating a few tens of MiB, well before its deadline.
	e := newTestEngine(t, Options{MemoryLimit: 16 << 20})
	script := `module.exports = function (a, cb) {
  const keep = [];
  for (let i = 0; ; i++) keep.push('x'.repeat(1 << 16) + i);
};`
	res := e.RunHook(context.Background(), HookCall{Script: script, Timeout: 20 * time.Second})
	if errString(res.Err) != "LimitError: Script execution exceeded its memory budget of 16 MiB" {
		t.Fatalf("err = %s", errString(res.Err))
	}
	if res.Duration > 10*time.Second {
		t.Fatalf("watchdog took %v", res.Duration)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name string
		expr string
		want any
	}{
		{"sha256 hex", `require('crypto').createHash('sha256').update('abc').digest('hex')`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha1 base64", `require('crypto').createHash('sha1').update('abc').digest('base64')`, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
		{"md5 of buffer", `require('crypto').createHash('md5').update(Buffer.from('abc')).digest('hex')`, "900150983cd24fb0d6963f7d28e17f72"},
		{"sha512 length", `require('crypto').createHash('sha512').update('a').update('bc').digest().length`, 64.0},
		{"hmac", `require('node:crypto').createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')`, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"},
		{"timingSafeEqual", `require('crypto').timingSafeEqual(Buffer.from('ab'), Buffer.from('ab'))`, true},
		{"randomUUID", `/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())`, true},
		{"getRandomValues", `crypto.getRandomValues(new Uint8Array(8)).length`, 8.0},
		{"randomBytes", `require('crypto').randomBytes(16).toString('hex').length`, 32.0},
		{"buffer module", `require('buffer').Buffer === Buffer`, true},
		{"buffer encodings", `[Buffer.from('hi').toString('hex'), Buffer.from('6869', 'hex').toString(), Buffer.from('aGk=', 'base64').toString('utf8'), Buffer.from('hi?>').toString('base64url'), Buffer.byteLength('é'), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString(), Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1))]`,
			[]any{"6869", "hi", "hi", "aGk_Pg", 2.0, "ab", true, false}},
		{"util.format", `require('util').format('%s=%d %j', 'a', 1, [1])`, "a=1 [1]"},
		{"util.promisify", `typeof require('util').promisify(function (cb) { cb(null, 1); })().then`, "function"},
		{"events", `(() => { const E = require('events'); const e = new E(); let n = 0; e.on('x', (v) => n += v); e.once('x', (v) => n += 10 * v); e.emit('x', 1); e.emit('x', 2); return n; })()`, 13.0},
		{"url", `(() => { const u = new (require('url').URL)('https://user:pw@Example.com:8443/a/b?x=1#h'); return [u.hostname, u.port, u.pathname, u.searchParams.get('x'), u.origin, u.username]; })()`,
			[]any{"example.com", "8443", "/a/b", "1", "https://example.com:8443", "user"}},
		{"url relative", `new URL('../c?y=2', 'https://a.example/x/y/z').href`, "https://a.example/x/c?y=2"},
		{"invalid url", `(() => { try { new URL('not a url'); } catch (e) { return e.name + ':' + e.code; } })()`, "TypeError:ERR_INVALID_URL"},
		{"querystring", `(() => { const qs = require('querystring'); const p = qs.parse('a=1&b=x%20y&a=2'); return [p.a, p.b, qs.stringify({k: 'v w', n: [1, 2]})]; })()`,
			[]any{[]any{"1", "2"}, "x y", "k=v%20w&n=1&n=2"}},
		{"string_decoder", `(() => { const { StringDecoder } = require('string_decoder'); const d = new StringDecoder('utf8'); const b = Buffer.from('€'); return d.write(b.subarray(0, 1)) + '|' + d.write(b.subarray(1)) + d.end(); })()`, "|€"},
		{"os", `require('os').platform() + require('os').EOL.length`, "linux1"},
		{"TextEncoder/Decoder", `new TextDecoder().decode(new TextEncoder().encode('héllo'))`, "héllo"},
		{"atob/btoa", `atob(btoa('hello'))`, "hello"},
		{"process", `[JSON.stringify(process.env), process.version, process.versions.node, process.platform, typeof process.nextTick]`, []any{"{}", "v18.0.0", "18.0.0", "linux", "function"}},
		{"no fetch without client", `typeof fetch`, "undefined"},
		{"no host escape", `[typeof require('util').binding, typeof process.binding === 'function' ? (() => { try { process.binding('fs'); return 'reached'; } catch (e) { return 'refused'; } })() : 'none', typeof Deno, typeof __goja]`,
			[]any{"undefined", "refused", "undefined", "undefined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, e, "", "module.exports = function (a, cb) { cb(null, "+tt.expr+"); };")
			if res.Err != nil {
				t.Fatalf("err %s", errString(res.Err))
			}
			if !reflect.DeepEqual(res.Value, tt.want) {
				t.Fatalf("got %#v, want %#v", res.Value, tt.want)
			}
		})
	}
	for _, name := range []string{"child_process", "vm", "worker_threads", "dns", "node:child_process", "stream/promises", "lodash", "lodash@4.17.21", "../hook", "/etc/passwd"} {
		t.Run("refuse "+name, func(t *testing.T) {
			t.Parallel()
			res := run(t, e, "", "module.exports = function (a, cb) { require("+fmt.Sprintf("%q", name)+"); cb(null, 'loaded'); };")
			if want := "Error: Cannot find module '" + name + "'"; errString(res.Err) != want {
				t.Fatalf("err = %s, want %s", errString(res.Err), want)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", r.Header.Get("X-Test"))
		fmt.Fprintf(w, `{"method":%q,"body":%q}`, r.Method, body)
	}))
	t.Cleanup(srv.Close)
	e := newTestEngine(t, Options{HTTPClient: srv.Client()})
	script := `module.exports = async function (url, cb) {
  const res = await fetch(url, {method: 'post', headers: {'X-Test': 'yes'}, body: JSON.stringify({a: 1})});
  const data = await res.json();
  cb(null, {status: res.status, ok: res.ok, echo: res.headers.get('x-echo'), data});
};`
	res := run(t, e, "", script, srv.URL)
	want := map[string]any{"status": 200.0, "ok": true, "echo": "yes", "data": map[string]any{"method": "POST", "body": `{"a":1}`}}
	if res.Err != nil || !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
	res = run(t, e, "", `module.exports = function (u, cb) { fetch(u).then(() => cb(null, 'no'), (e) => cb(null, e.name)); };`, "http://127.0.0.1:1/")
	if res.Err != nil || res.Value != "TypeError" {
		t.Fatalf("got %#v %s", res.Value, errString(res.Err))
	}
}

func TestCheckScript(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name      string
		script    string
		line, col int
	}{
		{"line 3 col 5", "module.exports = function (user, context, cb) {\n  var a = 1;\n    )\n  cb();\n};", 3, 5},
		{"line 1", "module.exports = function (a, cb) { cb(; };", 1, 40},
		{"unclosed", "module.exports = function (a, cb) {\n  cb();\n", 3, 1},
		// Node compiles a module as a function body: closing the wrapper
		// early is a syntax error, not code at global scope.
		{"escapes the wrapper", "});\nglobalThis.escaped = 1; (function () {", 1, 1},
		{"escapes into an operand", "module.exports = 1;\n  }) + (function () {", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := e.CheckScript(tt.script)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col {
				t.Fatalf("position = %d:%d, want %d:%d (%s)", se.Line, se.Column, tt.line, tt.col, se.Message)
			}
		})
	}
	for _, ok := range []string{
		"module.exports = function (a, cb) { cb(); };",
		"'use strict';\nmodule.exports = async (a, cb) => { const {x = 1, ...rest} = a || {}; cb(null, x); };",
		"// comment only at the end",
	} {
		if err := e.CheckScript(ok); err != nil {
			t.Errorf("CheckScript(%q) = %v", ok, err)
		}
	}
	// A sourceMappingURL comment must not make the parser read files.
	if err := e.CheckScript("module.exports = function (a, cb) { cb(); };\n//# sourceMappingURL=/etc/passwd"); err != nil {
		t.Errorf("sourcemap comment: %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{MaxConcurrent: 8, PoolSize: 4})
	scripts := []string{
		`module.exports = function (client, scope, audience, context, cb) { scope.push('s' + client.n); setTimeout(() => cb(null, {scope}), 1); };`,
		`var hits = 0; module.exports = async function (client, scope, audience, context, cb) { const h = ++hits; await null; cb(null, {scope: scope.concat([h > 0 ? 'h' : 'x', 's' + client.n])}); };`,
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			script := scripts[i%2]
			res := e.RunHook(context.Background(), HookCall{Script: script, Trigger: keyhook.TriggerCredentialsExchange,
				Args: []any{map[string]any{"n": float64(i)}, []any{"base"}, "aud", map[string]any{}}, Timeout: 5 * time.Second})
			if res.Err != nil {
				errs <- fmt.Errorf("call %d: %s", i, errString(res.Err))
				return
			}
			got := res.Value.(map[string]any)["scope"].([]any)
			want := []any{"base", fmt.Sprintf("s%d", i)}
			if i%2 == 1 {
				want = []any{"base", "h", fmt.Sprintf("s%d", i)}
			}
			if !reflect.DeepEqual(got, want) {
				errs <- fmt.Errorf("call %d: scope %v, want %v", i, got, want)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrencyLimitWaitsWithinDeadline(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{MaxConcurrent: 1})
	slow := `module.exports = function (a, cb) { setTimeout(cb, 300); };`
	done := make(chan HookResult)
	go func() {
		done <- e.RunHook(context.Background(), HookCall{Script: slow, Args: []any{nil}, Timeout: 2 * time.Second})
	}()
	time.Sleep(50 * time.Millisecond)
	res := e.RunHook(context.Background(), HookCall{Script: slow, Args: []any{nil}, Timeout: 100 * time.Millisecond})
	if !strings.HasPrefix(errString(res.Err), "TimeoutError: Script execution did not complete within 100 milliseconds (waiting for a free execution slot)") {
		t.Fatalf("err = %s", errString(res.Err))
	}
	if r := <-done; r.Err != nil {
		t.Fatalf("first call: %s", errString(r.Err))
	}
}

func TestClosedEngine(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	e.Close()
	e.Close()
	res := e.RunHook(context.Background(), HookCall{Script: `module.exports = function (cb) { cb(); };`})
	if res.Err == nil {
		t.Fatal("closed engine ran a script")
	}
	if !errors.Is(res.HostErr, ErrClosed) {
		t.Fatalf("HostErr = %v, want ErrClosed: a closed engine is the host's failure", res.HostErr)
	}
}

func FuzzCheckScript(f *testing.F) {
	for _, s := range []string{
		"module.exports = function (a, cb) { cb(); };",
		"}); globalThis.x = 1; (function () {",
		"/*", "`${", "class A { #x; static { } }", "\x00\xff", "a\u2028b", "//# sourceMappingURL=data:application/json;base64,e30=",
		"async function* g() { for await (const x of y) {} }", "((((((((((", "let let = 1",
	} {
		f.Add(s)
	}
	e := New(Options{})
	f.Cleanup(e.Close)
	f.Fuzz(func(t *testing.T, script string) {
		err := e.CheckScript(script)
		var se *SyntaxError
		if err != nil && (!errors.As(err, &se) || se.Line < 1 || se.Column < 1) {
			t.Fatalf("CheckScript(%q) = %#v", script, err)
		}
	})
}
