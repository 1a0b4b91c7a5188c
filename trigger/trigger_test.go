package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

type testBundle struct {
	store  store.Store
	engine *Engine
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "keyhook.db"), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	return &testBundle{store: st, engine: &Engine{Store: st, Config: &configcache.Cache{Store: st}, JS: js, Tenant: "my-tenant", StepTimeout: 2 * time.Second}}
}

func (b *testBundle) hook(t *testing.T, trigger keyhook.TriggerID, script string, secrets map[string]string) *keyhook.Hook {
	t.Helper()
	ctx := context.Background()
	h := &keyhook.Hook{ID: keyhook.NewHookID(), Name: "h-" + keyhook.RandomString(6), Script: script, TriggerID: trigger,
		Enabled: true, Dependencies: map[string]string{}, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := b.store.HookCreate(ctx, h); err != nil {
		t.Fatal(err)
	}
	if secrets != nil {
		if err := b.store.HookSecretsPut(ctx, h.ID, secrets); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestNamespaced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"https://example.com/claim", true},
		{"http://example.com/claim", true},
		{"https://example.com", true},
		{"https://my.auth0.com.example.org/x", true},
		{"https://auth0.com/claim", false},
		{"https://tenant.auth0.com/claim", false},
		{"https://x.webtask.io/claim", false},
		{"https://webtask.run/claim", false},
		{"https://AUTH0.COM/claim", false},
		{"ftp://example.com/claim", false},
		{"claim", false},
		{"example.com/claim", false},
		{"https:///nohost", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Namespaced(tt.name); got != tt.want {
			t.Errorf("Namespaced(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestApplyCredentialsExchange(t *testing.T) {
	t.Parallel()
	granted := []string{"read:a"}
	tests := []struct {
		name       string
		result     any
		wantScope  []string
		wantClaims map[string]any
	}{
		{"undefined keeps grant", nil, granted, nil},
		{"no scope resets", map[string]any{}, nil, nil},
		{"array", map[string]any{"scope": []any{"read:a", "extra", "extra"}}, []string{"read:a", "extra"}, nil},
		{"string", map[string]any{"scope": "a b"}, []string{"a", "b"}, nil},
		{"NUL and bad UTF-8 dropped", map[string]any{"scope": []any{"a", "b\x00", "\xff"}}, []string{"a"}, nil},
		{"NUL in string dropped", map[string]any{"scope": "a b\x00c"}, []string{"a"}, nil},
		{"claims filtered", map[string]any{"scope": []any{}, "https://x.test/c": 1.0, "plain": 2.0, "https://auth0.com/c": 3.0},
			nil, map[string]any{"https://x.test/c": 1.0}},
	}
	for _, tt := range tests {
		scope, claims := applyCredentialsExchange(granted, tt.result)
		if !reflect.DeepEqual(scope, tt.wantScope) || !reflect.DeepEqual(claims, tt.wantClaims) {
			t.Errorf("%s: got %v %v, want %v %v", tt.name, scope, claims, tt.wantScope, tt.wantClaims)
		}
	}
}

func TestCredentialsExchange(t *testing.T) {
	t.Parallel()
	client := &keyhook.Client{ClientID: "cid", Name: "app", ClientMetadata: map[string]string{"plan": "gold"}}
	in := CredentialsExchange{Client: client, Audience: "https://api.test/", Scope: []string{"read:things"}}

	t.Run("grant without scopes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.hook(t, keyhook.TriggerCredentialsExchange, `module.exports = function (client, scope = ['default'], audience, context, cb) {
  cb(null, { scope: scope, 'https://claims.test/type': typeof arguments[1] });
};`, nil)
		res, err := b.engine.CredentialsExchange(context.Background(), CredentialsExchange{Client: client, Audience: "https://api.test/"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Scope, []string{"default"}) || res.Claims["https://claims.test/type"] != "undefined" {
			t.Errorf("got %v %v, want the default parameter to apply to an undefined scope", res.Scope, res.Claims)
		}
	})
	t.Run("no hook", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res, err := b.engine.CredentialsExchange(context.Background(), in)
		if err != nil || !reflect.DeepEqual(res.Scope, in.Scope) || res.Claims != nil || len(res.Executions) != 0 {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("scopes and claims", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.hook(t, keyhook.TriggerCredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;
  access_token.scope.push('extra:' + client.metadata.plan);
  access_token['https://claims.test/secret'] = context.webtask.secrets.API_KEY;
  access_token['https://claims.test/who'] = client.id + '@' + client.tenant + ' for ' + audience;
  access_token.ignored = true;
  console.log('ran for', client.name);
  cb(null, access_token);
};`, map[string]string{"API_KEY": "s3cret"})
		res, err := b.engine.CredentialsExchange(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"read:things", "extra:gold"}; !reflect.DeepEqual(res.Scope, want) {
			t.Errorf("scope = %v, want %v", res.Scope, want)
		}
		want := map[string]any{"https://claims.test/secret": "s3cret", "https://claims.test/who": "cid@my-tenant for https://api.test/"}
		if !reflect.DeepEqual(res.Claims, want) {
			t.Errorf("claims = %v, want %v", res.Claims, want)
		}
		if len(res.Executions) != 1 || res.Executions[0].Error != nil || res.Executions[0].Logs == "" {
			t.Errorf("executions = %+v", res.Executions)
		}
		if in.Scope[len(in.Scope)-1] != "read:things" || len(in.Scope) != 1 {
			t.Errorf("the hook changed the caller's scope slice: %v", in.Scope)
		}
	})
	denials := []struct {
		name, script, code string
		failure            bool
	}{
		{"invalid scope", `module.exports = function (c, s, a, ctx, cb) { cb(new InvalidScopeError('nope')); };`, "invalid_scope", false},
		{"invalid request", `module.exports = function (c, s, a, ctx, cb) { cb(new InvalidRequestError('bad')); };`, "invalid_request", false},
		{"server error", `module.exports = function (c, s, a, ctx, cb) { cb(new ServerError('down')); };`, "server_error", false},
		{"plain error", `module.exports = function (c, s, a, ctx, cb) { cb(new Error('boom')); };`, "server_error", true},
		{"throw", `module.exports = function (c, s, a, ctx, cb) { throw new Error('thrown'); };`, "server_error", true},
		{"timeout", `module.exports = function (c, s, a, ctx, cb) { while (true) {} };`, "server_error", true},
	}
	for _, tt := range denials {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.name == "timeout" {
				// Only here: a short bound on the others fails them on a loaded machine.
				b.engine.StepTimeout = 300 * time.Millisecond
			}
			b.hook(t, keyhook.TriggerCredentialsExchange, tt.script, nil)
			res, err := b.engine.CredentialsExchange(context.Background(), in)
			d, ok := IsDeny(err)
			if !ok {
				t.Fatalf("err = %v, want a DenyError", err)
			}
			if d.Code != tt.code || d.Failure != tt.failure || d.Message == "" {
				t.Errorf("deny = %+v, want code %s failure %v", d, tt.code, tt.failure)
			}
			if len(res.Executions) != 1 || res.Executions[0].Error == nil {
				t.Errorf("executions = %+v", res.Executions)
			}
		})
	}
}

func TestPreUserRegistration(t *testing.T) {
	t.Parallel()
	conn := &keyhook.Connection{ID: "con_1", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	user := func() *keyhook.User {
		return &keyhook.User{ID: "auth0|abc", Email: "a@b.test", UserMetadata: map[string]any{"hobby": "surf"}}
	}
	tests := []struct {
		name           string
		script         string
		wantUM, wantAM map[string]any
		wantDeny       string // friendly message
		failure        bool
	}{
		{"metadata", `module.exports = function (user, context, cb) {
  cb(null, { user: { user_metadata: { hobby: user.user_metadata.hobby, lang: context.requestLanguage },
                     app_metadata: { plan: context.webtask.secrets.PLAN, conn: context.connection.name } } });
};`, map[string]any{"hobby": "surf", "lang": "en-us"}, map[string]any{"plan": "pro", "conn": keyhook.DefaultDatabaseConnection}, "", false},
		{"starter code echo", `module.exports = function (user, context, cb) { var response = {}; response.user = user; cb(null, response); };`,
			map[string]any{"hobby": "surf"}, map[string]any{}, "", false},
		{"deny friendly", `module.exports = function (user, context, cb) { cb(new PreUserRegistrationError('Denied by policy', 'Sign-ups are closed')); };`,
			nil, nil, "Sign-ups are closed", false},
		{"deny default friendly", `module.exports = function (user, context, cb) { cb(new PreUserRegistrationError('Only message')); };`,
			nil, nil, "Only message", false},
		{"plain error", `module.exports = function (user, context, cb) { cb(new Error('internal detail')); };`, nil, nil, "", true},
		{"dotted name", `module.exports = function (user, context, cb) { cb(null, {user: {user_metadata: {'a.b': 1}}}); };`, nil, nil, "", true},
		{"dollar name", `module.exports = function (user, context, cb) { cb(null, {user: {app_metadata: {$x: 1}}}); };`, nil, nil, "", true},
		{"NUL value", `module.exports = function (user, context, cb) { cb(null, {user: {user_metadata: {a: ['ok', 'x\u0000y']}}}); };`, nil, nil, "", true},
		{"NUL name", `module.exports = function (user, context, cb) { cb(null, {user: {app_metadata: {deep: {'x\u0000': 1}}}}); };`, nil, nil, "", true},
		{"async", `module.exports = async function (user, context, cb) {
  await new Promise(function (r) { setTimeout(r, 10); });
  cb(null, {user: {app_metadata: {late: true}}});
};`, nil, map[string]any{"late": true}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.hook(t, keyhook.TriggerPreUserRegistration, tt.script, map[string]string{"PLAN": "pro"})
			res, err := b.engine.PreUserRegistration(context.Background(), PreUserRegistration{User: user(), Password: "pw", Connection: conn})
			if tt.wantDeny != "" || tt.failure {
				d, ok := IsDeny(err)
				if !ok {
					t.Fatalf("err = %v, want deny", err)
				}
				if d.Failure != tt.failure || (tt.wantDeny != "" && d.FriendlyMessage != tt.wantDeny) {
					t.Errorf("deny = %+v", d)
				}
				if tt.failure && d.FriendlyMessage == "internal detail" {
					t.Error("a plain Error's message reached the user")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.UserMetadata, tt.wantUM) || !reflect.DeepEqual(res.AppMetadata, tt.wantAM) {
				t.Errorf("metadata = %v %v, want %v %v", res.UserMetadata, res.AppMetadata, tt.wantUM, tt.wantAM)
			}
		})
	}
}

func TestTestHook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	starter := b.hook(t, keyhook.TriggerPostUserRegistration, `module.exports = function (user, context, cb) {
  // Perform any asynchronous actions, e.g. send notification to Slack.
  cb();
};`, nil)
	res, err := b.engine.TestHook(ctx, starter, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Response, SamplePayload(keyhook.TriggerPostUserRegistration)) || res.Error != nil {
		t.Errorf("starter response = %#v, error %v", res.Response, res.Error)
	}

	cce := &keyhook.Hook{ID: "x", Name: "cce", TriggerID: keyhook.TriggerCredentialsExchange, Script: `module.exports = function (client, scope, audience, context, cb) {
  console.log('secret is', context.webtask.secrets.K);
  cb(null, { scope: scope.concat(['more']), audience: audience });
};`}
	res, err = b.engine.TestHook(ctx, cce, map[string]string{"K": "v"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"scope": []any{"read:connections", "more"}, "audience": "https://my-tenant.auth0.com/api/v2/"}
	if !reflect.DeepEqual(res.Response, want) || res.Logs == "" {
		t.Errorf("cce response = %#v logs %q", res.Response, res.Logs)
	}

	if _, err := b.engine.TestHook(ctx, cce, nil, map[string]any{"client": "x", "audience": "a"}); !errors.Is(err, ErrTestPayload) {
		t.Errorf("bad payload: err = %v, want ErrTestPayload", err)
	}

	thrower := &keyhook.Hook{ID: "y", Name: "t", TriggerID: keyhook.TriggerPreUserRegistration, Script: `module.exports = function () { throw new TypeError('bad'); };`}
	res, err = b.engine.TestHook(ctx, thrower, nil, nil)
	if err != nil || res.Error == nil || res.Error.Name != "TypeError" || res.Error.Message != "bad" {
		t.Errorf("thrower: %+v, %v", res, err)
	}
}

func TestPostUserRegistrationJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.hook(t, keyhook.TriggerPostUserRegistration, `module.exports = function (user, context, cb) {
  if (user.id !== 'abc' || context.connection.name !== 'Username-Password-Authentication' || context.webtask.secrets.S !== 'v') {
    return cb(null, 'unexpected input');
  }
  cb(new Error('slack is down'));
};`, map[string]string{"S": "v"})
	conn := &keyhook.Connection{ID: "con_1", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	u := &keyhook.User{ID: "auth0|abc", Email: "a@b.test"}

	// A rolled-back transaction leaves no job.
	errRollback := errors.New("rollback")
	err := b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := b.engine.EnqueuePostUserRegistration(ctx, tx, PostUserRegistration{User: u, Connection: conn}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	jobs, err := b.store.JobList(ctx, store.JobListParams{Kind: HookJobArgs{}.Kind()})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("after rollback: %d jobs, %v", len(jobs), err)
	}
	if err := b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return b.engine.EnqueuePostUserRegistration(ctx, tx, PostUserRegistration{User: u, Connection: conn})
	}); err != nil {
		t.Fatal(err)
	}
	jobs, err = b.store.JobList(ctx, store.JobListParams{Kind: HookJobArgs{}.Kind()})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("after commit: %d jobs, %v", len(jobs), err)
	}
	var args HookJobArgs
	if err := json.Unmarshal(jobs[0].Args, &args); err != nil {
		t.Fatal(err)
	}
	if err := b.engine.RunHookJob(ctx, args); err != nil {
		t.Fatal(err)
	}
	logs, _, err := b.store.LogList(ctx, store.LogListParams{Type: keyhook.LogFailedPostUserRegistrationHook})
	if err != nil || len(logs) != 1 {
		t.Fatalf("fpurh logs: %d, %v", len(logs), err)
	}
	if logs[0].Description != "slack is down" || logs[0].UserID != "auth0|abc" {
		t.Errorf("log = %+v", logs[0])
	}
}
