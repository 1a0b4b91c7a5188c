package jsrt

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// benchHook is a typical credentials-exchange hook: it keeps the granted
// scopes, adds one, and sets namespaced claims from the client metadata.
const benchHook = `/**
@param {object} client - information about the client
@param {string[]} scope - array of strings representing the scope claim or undefined
@param {string} audience - token's audience claim
@param {object} context - additional authorization context
@param {function} cb - function (error, accessTokenClaims)
*/
module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = Array.isArray(scope) ? scope.slice() : [];

  if (client.metadata && client.metadata.plan === 'full') {
    access_token.scope.push('extra:read');
  }
  if (audience.indexOf('https://') !== 0) {
    return cb(new InvalidRequestError('audience must be a URL'));
  }

  var ns = 'https://example.com/';
  access_token[ns + 'tenant'] = client.tenant;
  access_token[ns + 'client_name'] = client.name;
  access_token[ns + 'plan'] = (client.metadata && client.metadata.plan) || 'free';
  access_token[ns + 'issued'] = new Date(0).toISOString();

  var denied = ['admin:all'];
  for (var i = 0; i < access_token.scope.length; i++) {
    if (denied.indexOf(access_token.scope[i]) !== -1) {
      return cb(new InvalidScopeError('scope not allowed: ' + access_token.scope[i]));
    }
  }
  cb(null, access_token);
};
`

func benchArgs() []any {
	return []any{
		map[string]any{"id": "abc", "name": "client-name", "tenant": "my-tenant", "metadata": map[string]any{"plan": "full"}},
		[]any{"read:connections"},
		"https://my-tenant.example.com/api/v2/",
		map[string]any{"webtask": map[string]any{"secrets": map[string]any{}}},
	}
}

// BenchmarkRunHookWarm is the steady state of one hook on one goroutine:
// take a warm runtime, call the hook's exported function, put the runtime
// back. builds/op shows that runtimes are reused (one build per
// Options.MaxUses executions, done off the request path but counted here,
// as is its CPU).
// compileNodelib finishes what New starts in the background (compiling nodelib's
// modules, once per process), which would otherwise be counted in the
// first benchmark's time and allocations.
func compileNodelib() { nodelib.CompileAll() }

func BenchmarkRunHookWarm(b *testing.B) {
	compileNodelib()
	e := New(Options{PoolSize: 16})
	defer e.Close()
	ctx := context.Background()
	call := HookCall{Script: benchHook, Trigger: keyhook.TriggerCredentialsExchange, Args: benchArgs(), Timeout: 5 * time.Second}
	if res := e.RunHook(ctx, call); res.Err != nil {
		b.Fatal(errString(res.Err))
	}
	e.refills.Wait()
	before := e.builds.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := e.RunHook(ctx, call); res.Err != nil {
			b.Fatal(errString(res.Err))
		}
	}
	b.StopTimer()
	e.refills.Wait()
	b.ReportMetric(float64(e.builds.Load()-before)/float64(b.N), "builds/op")
}

func BenchmarkRunHookWarmParallel(b *testing.B) {
	compileNodelib()
	e := New(Options{PoolSize: 16})
	defer e.Close()
	ctx := context.Background()
	call := HookCall{Script: benchHook, Trigger: keyhook.TriggerCredentialsExchange, Args: benchArgs(), Timeout: 5 * time.Second}
	if res := e.RunHook(ctx, call); res.Err != nil {
		b.Fatal(errString(res.Err))
	}
	e.refills.Wait()
	before := e.builds.Load()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := e.RunHook(ctx, call); res.Err != nil {
				b.Error(errString(res.Err))
				return
			}
		}
	})
	b.StopTimer()
	e.refills.Wait()
	b.ReportMetric(float64(e.builds.Load()-before)/float64(b.N), "builds/op")
}

// BenchmarkSandboxBuild is the cost the pool moves off the request path and
// pays once per Options.MaxUses executions: a runtime with host APIs,
// prelude and the script's module initialised.
func BenchmarkSandboxBuild(b *testing.B) {
	compileNodelib()
	e := New(Options{})
	defer e.Close()
	p, err := e.program(Spec{Convention: ConventionHook, Trigger: keyhook.TriggerCredentialsExchange, Script: benchHook})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := e.newGuard(context.Background(), 5*time.Second)
		sb, xerr := e.build(g, p)
		if xerr != nil {
			b.Fatal(errString(xerr))
		}
		g.finish()
		e.mu.Lock()
		e.dropLocked(sb)
		e.mu.Unlock()
	}
}

// BenchmarkReusedRuntimeCall is the floor: the hook function alone, called
// again and again on one runtime, without the pool, the guard or the loop.
func BenchmarkReusedRuntimeCall(b *testing.B) {
	compileNodelib()
	e := New(Options{MemoryLimit: 1 << 50})
	defer e.Close()
	p, err := e.program(Spec{Convention: ConventionHook, Trigger: keyhook.TriggerCredentialsExchange, Script: benchHook})
	if err != nil {
		b.Fatal(err)
	}
	g := e.newGuard(context.Background(), time.Hour)
	defer g.finish()
	sb, xerr := e.build(g, p)
	if xerr != nil {
		b.Fatal(errString(xerr))
	}
	if res := sb.runHook(g, benchArgs()); res.Err != nil {
		b.Fatal(errString(res.Err))
	}
	args := benchArgs()
	cb := sb.vm.ToValue(func() {})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sb.fn(nil, toJS(sb.vm, args[0]), toJS(sb.vm, args[1]), toJS(sb.vm, args[2]), toJS(sb.vm, args[3]), cb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileCold(b *testing.B) {
	compileNodelib()
	e := New(Options{})
	defer e.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		script := fmt.Sprintf("%s\n// variant %d\n", benchHook, i)
		if _, err := e.program(Spec{Convention: ConventionHook, Trigger: keyhook.TriggerCredentialsExchange, Script: script}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunHookCold(b *testing.B) {
	compileNodelib()
	e := New(Options{})
	defer e.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		call := HookCall{Script: fmt.Sprintf("%s\n// variant %d\n", benchHook, i), Trigger: keyhook.TriggerCredentialsExchange, Args: benchArgs()}
		if res := e.RunHook(ctx, call); res.Err != nil {
			b.Fatal(errString(res.Err))
		}
	}
}

// consoleFloodHook logs consoleFloodLines lines, far past the console cap.
const (
	consoleFloodLines = 200_000
	consoleFloodLoop  = `for (let i = 0; i < 200000; i++) console.log('line %d', i);`
	consoleFloodHook  = `module.exports = function (a, cb) { ` + consoleFloodLoop + ` cb(null, 'done'); };`
)

// BenchmarkConsoleFlood runs consoleFloodHook, then the same loop in Node
// (when node is installed) writing to a pipe, and reports Node's time per
// loop and keyhook's time as a fraction of it (ratio-to-node; below 1 is
// faster than Node). Node's process start is not counted: the script
// times its own loop.
func BenchmarkConsoleFlood(b *testing.B) {
	compileNodelib()
	e := New(Options{})
	defer e.Close()
	ctx := context.Background()
	call := HookCall{Script: consoleFloodHook, Args: []any{map[string]any{}}, Timeout: time.Minute}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := e.RunHook(ctx, call); res.Err != nil {
			b.Fatal(errString(res.Err))
		}
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	node, err := exec.LookPath("node")
	if err != nil {
		b.Log("node not found: no comparison")
		return
	}
	const runs = 3
	script := `const t0 = process.hrtime.bigint();
for (let r = 0; r < ` + strconv.Itoa(runs) + `; r++) { ` + consoleFloodLoop + ` }
process.stderr.write(String(Number(process.hrtime.bigint() - t0) / 1e9 / ` + strconv.Itoa(runs) + `));`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdout = io.Discard // a pipe, as a hook runner's output would be
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("node: %v %s", err, stderr.String())
	}
	nodeSec, err := strconv.ParseFloat(strings.TrimSpace(stderr.String()), 64)
	if err != nil {
		b.Fatalf("node output %q: %v", stderr.String(), err)
	}
	b.ReportMetric(nodeSec*1e3, "node-ms/op")
	b.ReportMetric(perOp/nodeSec, "ratio-to-node")
}

// benchAction is one step of the post-login chain BENCHMARKS.md measures:
// read app_metadata, set claims, write app_metadata.
const benchAction = `exports.onExecutePostLogin = async (event, api) => {
  const plan = (event.user.app_metadata && event.user.app_metadata.plan) || 'free';
  api.idToken.setCustomClaim('https://example.com/plan', plan);
  api.accessToken.setCustomClaim('https://example.com/plan', plan);
  api.user.setAppMetadata('last_plan_seen', plan);
};`

func benchEvent() map[string]any {
	return map[string]any{
		"user": map[string]any{
			"user_id": "auth0|64f1c2", "email": "ann@example.com", "email_verified": true, "name": "Ann", "nickname": "ann",
			"picture": "https://example.com/a.png", "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-02T00:00:00.000Z",
			"app_metadata": map[string]any{"plan": "gold"}, "user_metadata": map[string]any{"lang": "en"},
			"identities": []any{map[string]any{"provider": "auth0", "user_id": "64f1c2", "connection": "Username-Password-Authentication", "isSocial": false}},
		},
		"client":      map[string]any{"client_id": "abc", "name": "app", "metadata": map[string]any{}},
		"connection":  map[string]any{"id": "con_1", "name": "Username-Password-Authentication", "strategy": "auth0"},
		"request":     map[string]any{"ip": "203.0.113.7", "method": "POST", "hostname": "tenant.example", "user_agent": "curl/8", "geoip": map[string]any{}},
		"transaction": map[string]any{"protocol": "oauth2-password", "requested_scopes": []any{"openid", "profile"}},
		"stats":       map[string]any{"logins_count": 3.0},
		"tenant":      map[string]any{"id": "tenant"},
		"secrets":     map[string]any{"KEY": "value"},
	}
}

// BenchmarkRunActionWarm is the steady state of one action step: take a
// warm runtime, build event and api, call the handler, collect the
// commands. Compare with BenchmarkRunHookWarm, the legacy hook path.
func BenchmarkRunActionWarm(b *testing.B) {
	compileNodelib()
	e := New(Options{PoolSize: 16})
	defer e.Close()
	ctx := context.Background()
	call := ActionCall{Script: benchAction, Trigger: keyhook.TriggerPostLogin, Event: benchEvent(), Cache: NewActionCache(), Slot: "action:bench"}
	if res := e.RunAction(ctx, call); res.Error != nil || len(res.Commands) != 3 {
		b.Fatal(actionErr(res.Error))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := e.RunAction(ctx, call); res.Error != nil {
			b.Fatal(actionErr(res.Error))
		}
	}
}

func BenchmarkRunActionWarmParallel(b *testing.B) {
	compileNodelib()
	e := New(Options{PoolSize: 16})
	defer e.Close()
	ctx := context.Background()
	call := ActionCall{Script: benchAction, Trigger: keyhook.TriggerPostLogin, Event: benchEvent(), Cache: NewActionCache(), Slot: "action:bench"}
	if res := e.RunAction(ctx, call); res.Error != nil {
		b.Fatal(actionErr(res.Error))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := e.RunAction(ctx, call); res.Error != nil {
				b.Error(actionErr(res.Error))
				return
			}
		}
	})
}

// heavyModule is a stand-in for a bundled dependency: a module body that
// defines a few hundred functions and builds tables, as lodash's does.
func heavyModule() string {
	var sb strings.Builder
	sb.WriteString("const lib = {};\n")
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&sb, "lib.f%d = function f%d(a, b) { if (a == null) { return b; } const out = []; for (let i = 0; i < a.length; i++) out.push(a[i] + %d); return out; };\n", i, i, i)
	}
	sb.WriteString("const table = {}; for (let i = 0; i < 2000; i++) table['k' + i] = { i, s: String(i) };\n")
	sb.WriteString(benchAction)
	return sb.String()
}

// BenchmarkModuleBody compares what each model pays per execution for a
// heavy module: "rerun" runs the module body again on a warm runtime (the
// model before this one), "warm" is the whole warm action execution now.
func BenchmarkModuleBody(b *testing.B) {
	compileNodelib()
	script := heavyModule()
	b.Run("rerun", func(b *testing.B) {
		e := New(Options{MemoryLimit: 1 << 50})
		defer e.Close()
		p, err := e.program(Spec{Convention: ConventionAction, Trigger: keyhook.TriggerPostLogin, Script: script})
		if err != nil {
			b.Fatal(err)
		}
		g := e.newGuard(context.Background(), time.Hour)
		defer g.finish()
		sb, xerr := e.build(g, p)
		if xerr != nil {
			b.Fatal(errString(xerr))
		}
		wrapper, err := sb.vm.RunProgram(p.prog)
		if err != nil {
			b.Fatal(err)
		}
		fn, _ := goja.AssertFunction(wrapper)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			module, exports := sb.vm.NewObject(), sb.vm.NewObject()
			_ = module.Set("exports", exports)
			if _, err := fn(exports, exports, sb.host.require, module, sb.vm.ToValue("/action.js"), sb.vm.ToValue("/")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		e := New(Options{})
		defer e.Close()
		call := ActionCall{Script: script, Trigger: keyhook.TriggerPostLogin, Event: benchEvent()}
		if res := e.RunAction(context.Background(), call); res.Error != nil {
			b.Fatal(actionErr(res.Error))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if res := e.RunAction(context.Background(), call); res.Error != nil {
				b.Fatal(actionErr(res.Error))
			}
		}
	})
}

// BenchmarkPrepare is deploy-to-warm: compile the heavy module and
// initialise one runtime, as a deploy does ahead of the first execution.
func BenchmarkPrepare(b *testing.B) {
	compileNodelib()
	e := New(Options{})
	defer e.Close()
	script := heavyModule()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spec := Spec{Convention: ConventionAction, Trigger: keyhook.TriggerPostLogin, Script: script, Slot: "action:bench:" + strconv.Itoa(i)}
		if err := e.Prepare(context.Background(), spec); err != nil {
			b.Fatal(err)
		}
	}
}
