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

	"github.com/keyhook/keyhook"
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
func BenchmarkRunHookWarm(b *testing.B) {
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
