package jsrt

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

func runAction(t testing.TB, e *Engine, trigger keyhook.TriggerID, script string, event map[string]any) ActionResult {
	t.Helper()
	return e.RunAction(context.Background(), ActionCall{Script: script, Trigger: trigger, Event: event, Timeout: 2 * time.Second})
}

func actionErr(x *ActionError) string {
	if x == nil {
		return "<nil>"
	}
	return x.Name + ": " + x.Message
}

func commandsJSON(t testing.TB, cmds []Command) string {
	t.Helper()
	b, err := json.Marshal(cmds)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestActionCommands(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `exports.onExecutePostLogin = async (event, api) => {
  const plan = event.user.app_metadata.plan;
  const meta = { plan, tags: ['a'] };
  api.idToken.setCustomClaim('https://example.com/plan', plan)
    .accessToken.setCustomClaim('https://example.com/roles', ['admin'])
    .accessToken.addScope('read:extra');
  api.accessToken.removeScope('write:all');
  api.user.setAppMetadata('seen', meta);
  meta.tags.push('changed after the call');
  api.user.setUserMetadata('gone', null);
  api.multifactor.enable('any', { allowRememberBrowser: true });
  api.transaction.setMetadata('k', 1);
  await new Promise((r) => setTimeout(r, 1));
  api.access.deny('no more');
  console.log('done', plan);
};`
	event := map[string]any{"user": map[string]any{"user_id": "auth0|1", "app_metadata": map[string]any{"plan": "gold"}}}
	res := runAction(t, e, keyhook.TriggerPostLogin, script, event)
	if res.Error != nil {
		t.Fatal(actionErr(res.Error))
	}
	want := `[{"method":"api.idToken.setCustomClaim","args":["https://example.com/plan","gold"]},` +
		`{"method":"api.accessToken.setCustomClaim","args":["https://example.com/roles",["admin"]]},` +
		`{"method":"api.accessToken.addScope","args":["read:extra"]},` +
		`{"method":"api.accessToken.removeScope","args":["write:all"]},` +
		`{"method":"api.user.setAppMetadata","args":["seen",{"plan":"gold","tags":["a"]}]},` +
		`{"method":"api.user.setUserMetadata","args":["gone",null]},` +
		`{"method":"api.multifactor.enable","args":["any",{"allowRememberBrowser":true}]},` +
		`{"method":"api.transaction.setMetadata","args":["k",1]},` +
		`{"method":"api.access.deny","args":["no more"]}]`
	if got := commandsJSON(t, res.Commands); got != want {
		t.Fatalf("commands\n%s\nwant\n%s", got, want)
	}
	if res.Logs != "done gold" {
		t.Fatalf("logs %q", res.Logs)
	}
	if event["user"].(map[string]any)["app_metadata"].(map[string]any)["plan"] != "gold" {
		t.Fatal("the caller's event changed")
	}
}

// TestActionEvent: the event is made of native objects and arrays (not a
// JSON.parse result), and the script's changes stay in the script.
func TestActionEvent(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `exports.onExecuteCredentialsExchange = async (event, api) => {
  const scopes = event.transaction.requested_scopes;
  scopes.push('mutated');
  event.client.name = 'mutated';
  api.accessToken.setCustomClaim('r', [Array.isArray(scopes), Object.getPrototypeOf(event) === Object.prototype,
    typeof event.resource_server.identifier, event.missing === undefined, event.secrets.KEY, event.n + 1]);
};`
	event := map[string]any{
		"client":          map[string]any{"client_id": "c", "name": "app"},
		"transaction":     map[string]any{"requested_scopes": []any{"read:a"}},
		"resource_server": map[string]any{"identifier": "https://api"},
		"secrets":         map[string]any{"KEY": "s3cret"},
		"n":               41.0,
	}
	res := runAction(t, e, keyhook.TriggerCredentialsExchange, script, event)
	if res.Error != nil {
		t.Fatal(actionErr(res.Error))
	}
	if got := fmt.Sprint(res.Commands[0].Args[1]); got != "[true true string true s3cret 42]" {
		t.Fatalf("got %s", got)
	}
	if !reflect.DeepEqual(event["transaction"], map[string]any{"requested_scopes": []any{"read:a"}}) || event["client"].(map[string]any)["name"] != "app" {
		t.Fatalf("caller's event changed: %#v", event)
	}
}

func TestActionAPISurface(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		trigger keyhook.TriggerID
		want    string
	}{
		{keyhook.TriggerPostLogin, "access,accessToken,authentication,cache,idToken,multifactor,prompt,redirect,refreshToken,rules,samlResponse,session,transaction,user,validation"},
		{keyhook.TriggerCredentialsExchange, "access,accessToken,cache,transaction"},
		{keyhook.TriggerPreUserRegistration, "access,cache,user,validation"},
		{keyhook.TriggerPostUserRegistration, "cache"},
		{keyhook.TriggerPostChangePassword, "cache"},
		{keyhook.TriggerSendPhoneMessage, "cache"},
	}
	for _, tt := range tests {
		t.Run(string(tt.trigger), func(t *testing.T) {
			t.Parallel()
			handler, _ := handlerName(tt.trigger, false)
			script := "exports." + handler + " = async (event, api) => { api.cache.set('keys', Object.keys(api).sort().join()); };"
			res := runAction(t, e, tt.trigger, script, nil)
			if res.Error != nil || len(res.Commands) != 1 || res.Commands[0].Args[1] != tt.want {
				t.Fatalf("got %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
			}
		})
	}
	t.Run("credentials-exchange methods", func(t *testing.T) {
		t.Parallel()
		script := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.access.deny('invalid_scope', 'nope');
  api.transaction.addTargetScope('a').transaction.removeTargetScope('b').transaction.setTargetScopes(['c']).transaction.clearTargetScopes();
  api.cache.set('idToken', typeof api.idToken + typeof api.accessToken.addScope);
};`
		res := runAction(t, e, keyhook.TriggerCredentialsExchange, script, nil)
		want := `[{"method":"api.access.deny","args":["invalid_scope","nope"]},{"method":"api.transaction.addTargetScope","args":["a"]},` +
			`{"method":"api.transaction.removeTargetScope","args":["b"]},{"method":"api.transaction.setTargetScopes","args":[["c"]]},` +
			`{"method":"api.transaction.clearTargetScopes","args":[]},{"method":"api.cache.set","args":["idToken","undefinedundefined"]}]`
		if got := commandsJSON(t, res.Commands); res.Error != nil || got != want {
			t.Fatalf("got %s %s", got, actionErr(res.Error))
		}
	})
	t.Run("pre-user-registration methods", func(t *testing.T) {
		t.Parallel()
		script := `exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata('lang', 'fr').user.setAppMetadata('plan', 'free');
  api.validation.error('invalid_email', 'Use your work address');
  api.access.deny('blocked', 'You may not sign up');
};`
		res := runAction(t, e, keyhook.TriggerPreUserRegistration, script, nil)
		want := `[{"method":"api.user.setUserMetadata","args":["lang","fr"]},{"method":"api.user.setAppMetadata","args":["plan","free"]},` +
			`{"method":"api.validation.error","args":["invalid_email","Use your work address"]},{"method":"api.access.deny","args":["blocked","You may not sign up"]}]`
		if got := commandsJSON(t, res.Commands); res.Error != nil || got != want {
			t.Fatalf("got %s %s", got, actionErr(res.Error))
		}
	})
}

func TestActionErrors(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	tests := []struct {
		name    string
		trigger keyhook.TriggerID
		script  string
		want    string // "Name: Message" prefix
		stack   string // substring of the stack
	}{
		{"throw", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('a', 1);\n  throw new TypeError('bad');\n};",
			"TypeError: bad", "action.js:3:"},
		{"property of undefined", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async (event) => {\n  return event.user.id;\n};",
			"TypeError: Cannot read property 'id' of undefined", "action.js:2:"},
		{"rejection later", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async () => { await new Promise((r) => setTimeout(r, 1)); throw new RangeError('late'); };",
			"RangeError: late", ""},
		{"sync throw", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = () => { throw new Error('sync'); };", "Error: sync", ""},
		{"unhandled rejection", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = () => { Promise.reject(new Error('nobody')); };", "Error: nobody", ""},
		{"missing handler", keyhook.TriggerPostLogin, "exports.onExecuteCredentialsExchange = async () => {};",
			"TypeError: The action does not export a function onExecutePostLogin", ""},
		{"module init throws", keyhook.TriggerPostLogin, "const x = undefined;\nx.y;\nexports.onExecutePostLogin = async () => {};",
			"TypeError: Cannot read property 'y' of undefined", "action.js:2:"},
		{"never settles", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = () => new Promise(() => {});",
			"TimeoutError: Action did not complete", ""},
		{"timeout", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async () => { for (;;) {} };",
			"TimeoutError: Script execution did not complete within 200 milliseconds", ""},
		{"syntax error", keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async () => {", "SyntaxError: line 1", ""},
		{"unknown trigger", "no-such-trigger", "exports.x = 1;", "Error: actions cannot run for trigger", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := e.RunAction(context.Background(), ActionCall{Script: tt.script, Trigger: tt.trigger, Timeout: 200 * time.Millisecond})
			if !strings.HasPrefix(actionErr(res.Error), tt.want) {
				t.Fatalf("err = %s, want prefix %q", actionErr(res.Error), tt.want)
			}
			if res.Error != nil && !strings.Contains(res.Error.Stack, tt.stack) {
				t.Fatalf("stack %q does not contain %q", res.Error.Stack, tt.stack)
			}
			if res.HostErr != nil {
				t.Fatalf("HostErr %v", res.HostErr)
			}
		})
	}
	t.Run("commands before a throw are kept", func(t *testing.T) {
		t.Parallel()
		res := runAction(t, e, keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async (e, api) => { api.user.setAppMetadata('a', 1); throw new Error('x'); };", nil)
		if res.Error == nil || len(res.Commands) != 1 {
			t.Fatalf("got %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
		}
	})
	t.Run("closed engine", func(t *testing.T) {
		t.Parallel()
		e := New(Options{})
		e.Close()
		if res := runAction(t, e, keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async () => {};", nil); res.HostErr != ErrClosed || res.Error == nil {
			t.Fatalf("got %v %s", res.HostErr, actionErr(res.Error))
		}
	})
}

// TestActionWarm: the module initialises once, the first call pays for it
// (BootDuration) and later ones do not; module scope persists but api and
// event are new each time.
func TestActionWarm(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{PoolSize: 1})
	script := `let inits = (globalThis.inits = (globalThis.inits || 0) + 1), calls = 0, lastAPI, lastEvent;
exports.onExecutePostLogin = async (event, api) => {
  calls++;
  const fresh = api !== lastAPI && api.idToken !== (lastAPI && lastAPI.idToken) && api.marker === undefined && event.marker === undefined;
  api.marker = event.marker = 1;
  lastAPI = api; lastEvent = event;
  api.idToken.setCustomClaim('n', [inits, calls, fresh]);
};`
	for i := 1; i <= 5; i++ {
		res := runAction(t, e, keyhook.TriggerPostLogin, script, map[string]any{})
		if res.Error != nil {
			t.Fatal(actionErr(res.Error))
		}
		if got := fmt.Sprint(res.Commands[0].Args[1]); got != fmt.Sprintf("[1 %d true]", i) {
			t.Fatalf("call %d: %s", i, got)
		}
		if (i == 1) != (res.BootDuration > 0) {
			t.Fatalf("call %d: BootDuration %v", i, res.BootDuration)
		}
	}
	if b := settle(e); b != 1 {
		t.Fatalf("built %d runtimes, want 1", b)
	}
}

// TestConventionsNeverShareState: one text run as a hook and as an action
// gets separate runtimes.
func TestConventionsNeverShareState(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `const seen = typeof globalThis.mark; globalThis.mark = 1;
module.exports = function (a, cb) { cb(null, seen); };
module.exports.onExecutePostLogin = async (event, api) => { api.cache.set('seen', seen); };`
	for i := 0; i < 2; i++ {
		res := runAction(t, e, keyhook.TriggerPostLogin, script, nil)
		if res.Error != nil || res.Commands[0].Args[1] != "undefined" {
			t.Fatalf("action: %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
		}
		if hres := run(t, e, keyhook.TriggerPostLogin, script); hres.Err != nil || hres.Value != "undefined" {
			t.Fatalf("hook: %#v %s", hres.Value, errString(hres.Err))
		}
	}
	if s := e.Stats(); s.Programs != 2 || s.Runtimes != 2 {
		t.Fatalf("stats %+v, want two programs with a runtime each", s)
	}
}

func TestActionCache(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	cache := NewActionCache()
	script := `exports.onExecutePostUserRegistration = async (event, api) => {
  const out = [];
  const rec = api.cache.get('k');
  out.push(rec ? rec.value + ' ' + (rec.expires_at > Date.now()) : 'miss');
  out.push(api.cache.set('k', event.v).type);
  out.push(api.cache.set('short', 'x', { ttl: 1 }).type);
  out.push(api.cache.set('', 'x').code, api.cache.set('k'.repeat(65), 'x').code, api.cache.set('n', 5).code,
    api.cache.set('big', 'x'.repeat(5000)).code, api.cache.set('t', 'x', { ttl: -1 }).code);
  out.push(api.cache.delete('gone').type);
  await new Promise((r) => setTimeout(r, 5));
  out.push(String(api.cache.get('short')));
  return api.cache.set('out', out.join('|'));
};`
	call := func(v string) string {
		res := e.RunAction(context.Background(), ActionCall{Script: script, Trigger: keyhook.TriggerPostUserRegistration,
			Event: map[string]any{"v": v}, Cache: cache, Timeout: 2 * time.Second})
		if res.Error != nil {
			t.Fatal(actionErr(res.Error))
		}
		return res.Commands[len(res.Commands)-1].Args[1].(string)
	}
	if got := call("one"); got != "miss|success|success|invalid_key|invalid_key|invalid_value|invalid_value|invalid_ttl|success|undefined" {
		t.Fatalf("first call: %s", got)
	}
	if got := call("two"); !strings.HasPrefix(got, "one true|") {
		t.Fatalf("second call did not see the first's value: %s", got)
	}
	// Without a cache from the caller, writes last for the execution only.
	for i := 0; i < 2; i++ {
		res := runAction(t, e, keyhook.TriggerPostUserRegistration, script, map[string]any{"v": "x"})
		if res.Error != nil || !strings.HasPrefix(res.Commands[len(res.Commands)-1].Args[1].(string), "miss|") {
			t.Fatalf("got %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
		}
	}
}

func TestActionCacheLimits(t *testing.T) {
	t.Parallel()
	c := NewActionCache()
	now := time.Unix(1_000_000, 0)
	c.now = func() time.Time { return now }
	for i := 0; i < 25; i++ {
		if err := c.Set(fmt.Sprintf("k%02d", i), "v", time.Duration(i+1)*time.Minute, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) != cacheMaxEntries {
		t.Fatalf("%d entries, want %d", len(c.entries), cacheMaxEntries)
	}
	if _, _, ok := c.Get("k00"); ok {
		t.Fatal("the entry closest to expiry was kept over a newer one")
	}
	if _, _, ok := c.Get("k24"); !ok {
		t.Fatal("newest entry missing")
	}
	// Both ttl and expires_at: the earlier wins; neither: 15 minutes; at
	// most 24 hours.
	c = NewActionCache()
	c.now = func() time.Time { return now }
	_ = c.Set("both", "v", time.Hour, now.Add(time.Minute))
	_ = c.Set("default", "v", 0, time.Time{})
	_ = c.Set("long", "v", 48*time.Hour, time.Time{})
	for key, want := range map[string]time.Duration{"both": time.Minute, "default": 15 * time.Minute, "long": 24 * time.Hour} {
		if _, exp, ok := c.Get(key); !ok || exp.Sub(now) != want {
			t.Errorf("%s expires in %v, want %v", key, exp.Sub(now), want)
		}
	}
	// 8 KiB in all: two values of 4000 bytes fit, a third evicts.
	c2 := NewActionCache()
	for i := 0; i < 3; i++ {
		if err := c2.Set(fmt.Sprintf("b%d", i), strings.Repeat("x", 4000), time.Duration(i+1)*time.Minute, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := c2.Get("b0"); ok || len(c2.entries) != 2 {
		t.Fatalf("total size not bounded: %d entries", len(c2.entries))
	}
	now = now.Add(2 * time.Minute)
	if _, _, ok := c.Get("both"); ok {
		t.Fatal("expired entry returned")
	}
}

func TestActionContinueAndRedirect(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `exports.onExecutePostLogin = async (event, api) => {
  const token = api.redirect.encodeToken({ secret: event.secrets.KEY, payload: { favorite: 'blue' }, expiresInSeconds: 60 });
  api.redirect.sendUserTo('https://app.example/form', { query: { session_token: token } });
  api.cache.set('can', String(api.redirect.canRedirect()));
};
exports.onContinuePostLogin = async (event, api) => {
  const payload = api.redirect.validateToken({ secret: event.secrets.KEY, tokenParameterName: 'session_token' });
  api.user.setUserMetadata('favorite', payload.favorite);
  api.idToken.setCustomClaim('sub_iss', payload.sub + ' ' + payload.iss);
  let bad;
  try { api.redirect.validateToken({ secret: 'wrong' }); } catch (e) { bad = e.message; }
  api.cache.set('bad', bad);
};`
	event := map[string]any{"secrets": map[string]any{"KEY": "shh"}, "user": map[string]any{"user_id": "auth0|7"},
		"transaction": map[string]any{"protocol": "oidc-basic-profile"}}
	res := e.RunAction(context.Background(), ActionCall{Script: script, Trigger: keyhook.TriggerPostLogin, Event: event, Issuer: "https://tenant.example/", Timeout: 2 * time.Second})
	if res.Error != nil {
		t.Fatal(actionErr(res.Error))
	}
	if got := commandsJSON(t, res.Commands[:1]); got != `[{"method":"api.redirect.encodeToken","args":[{"expiresInSeconds":60,"payload":{"favorite":"blue"},"secret":"[redacted]"}]}]` {
		t.Fatalf("encodeToken recorded as %s", got)
	}
	query := res.Commands[1].Args[1].(map[string]any)["query"].(map[string]any)
	token := query["session_token"].(string)
	if res.Commands[3].Args[1] != "true" {
		t.Fatalf("canRedirect for a browser login: %v", res.Commands[3].Args[1])
	}

	event["request"] = map[string]any{"query": map[string]any{"session_token": token}}
	res = e.RunAction(context.Background(), ActionCall{Script: script, Trigger: keyhook.TriggerPostLogin, Continue: true, Event: event, Timeout: 2 * time.Second})
	if res.Error != nil {
		t.Fatal(actionErr(res.Error))
	}
	got := commandsJSON(t, res.Commands)
	for _, want := range []string{`{"method":"api.user.setUserMetadata","args":["favorite","blue"]}`,
		`["sub_iss","auth0|7 https://tenant.example/"]`, `["bad","validateToken: the token's signature is invalid"]`} {
		if !strings.Contains(got, want) {
			t.Fatalf("commands %s lack %s", got, want)
		}
	}

	event["transaction"] = map[string]any{"protocol": "oauth2-password"}
	res = runAction(t, e, keyhook.TriggerPostLogin, script, event)
	if res.Error != nil || res.Commands[3].Args[1] != "false" {
		t.Fatalf("canRedirect for a password grant: %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
	}
	res = e.RunAction(context.Background(), ActionCall{Script: "exports.onExecutePostLogin = async () => {};", Trigger: keyhook.TriggerPostLogin, Continue: true})
	if actionErr(res.Error) != "TypeError: The action does not export a function onContinuePostLogin" {
		t.Fatalf("continue without a handler: %s", actionErr(res.Error))
	}
}

func TestActionLimits(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{ResultLimit: 1024})
	tests := []struct{ name, body, want string }{
		{"arguments too large", `api.user.setAppMetadata('a', 'x'.repeat(2000));`, "LimitError: The arguments of api calls exceed the 1 KiB limit"},
		{"object arguments too large", `api.user.setAppMetadata('a', {v: 'x'.repeat(2000)});`, "LimitError: The arguments of api calls exceed the 1 KiB limit"},
		{"arguments add up", `for (let i = 0; i < 20; i++) api.user.setAppMetadata('k' + i, 'x'.repeat(60));`, "LimitError: The arguments of api calls exceed"},
		{"too many calls", `for (;;) api.accessToken.addScope(null);`, "LimitError: An action may make at most 10000 api calls"},
		{"circular", `const o = {}; o.o = o; api.user.setAppMetadata('a', o);`, "TypeError: "},
		{"bigint", `api.user.setAppMetadata('a', {n: 1n});`, "TypeError: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runAction(t, e, keyhook.TriggerPostLogin, "exports.onExecutePostLogin = async (event, api) => { "+tt.body+" };", nil)
			if !strings.HasPrefix(actionErr(res.Error), tt.want) {
				t.Fatalf("err = %s, want prefix %q", actionErr(res.Error), tt.want)
			}
		})
	}
	res := runAction(t, e, keyhook.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('fn', function () {}).idToken.setCustomClaim('u', undefined).idToken.setCustomClaim('d', new Date(0)).idToken.setCustomClaim('nan', NaN);
};`, nil)
	want := `[{"method":"api.idToken.setCustomClaim","args":["fn",null]},{"method":"api.idToken.setCustomClaim","args":["u",null]},` +
		`{"method":"api.idToken.setCustomClaim","args":["d","1970-01-01T00:00:00.000Z"]},{"method":"api.idToken.setCustomClaim","args":["nan",null]}]`
	if got := commandsJSON(t, res.Commands); res.Error != nil || got != want {
		t.Fatalf("got %s %s", got, actionErr(res.Error))
	}
}

// TestActionBundleShapes: esbuild's CommonJS output exports through
// getters, and TypeScript output marks __esModule; both load.
func TestActionBundleShapes(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Options{})
	script := `"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };
var __copyProps = (to, from) => { for (let key of __getOwnPropNames(from)) if (!__hasOwnProp.call(to, key)) __defProp(to, key, { get: () => from[key], enumerable: true }); return to; };
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);
var src_exports = {};
__export(src_exports, { onExecutePostLogin: () => onExecutePostLogin });
module.exports = __toCommonJS(src_exports);
const onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("https://example.com/ok", true); };`
	res := runAction(t, e, keyhook.TriggerPostLogin, script, nil)
	if res.Error != nil || len(res.Commands) != 1 {
		t.Fatalf("got %s %s", commandsJSON(t, res.Commands), actionErr(res.Error))
	}
}

func FuzzVerifyHS256(f *testing.F) {
	secret := []byte("k")
	good, _ := signHS256(map[string]any{"exp": 2e9, "a": "b"}, secret)
	for _, s := range []string{good, "a.b.c", "..", "eyJhbGciOiJub25lIn0.e30.", good + "x", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	now := time.Unix(1e9, 0)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := verifyHS256(token, secret, now)
		if err == nil {
			// Only a token signed with the secret verifies: re-signing its
			// claims must give a token that verifies too.
			again, serr := signHS256(claims, secret)
			if serr != nil {
				t.Fatalf("claims of %q do not re-sign: %v", token, serr)
			}
			if _, err := verifyHS256(again, secret, now); err != nil {
				t.Fatalf("re-signed %q: %v", token, err)
			}
		}
		if _, err := verifyHS256(token, []byte("other"), now); err == nil && token != "" {
			t.Fatalf("%q verified with the wrong secret", token)
		}
	})
}
