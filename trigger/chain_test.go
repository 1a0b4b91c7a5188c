package trigger

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

// action stores an action with code (used as its own bundle: no
// dependencies), deploys it and binds it last in its trigger's flow.
func (b *testBundle) action(t *testing.T, trigger keyhook.TriggerID, name, code string, secrets map[string]string) *keyhook.Action {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	a := &keyhook.Action{
		ID: keyhook.NewActionID(), Name: name, SupportedTriggers: []keyhook.TriggerRef{{ID: trigger, Version: "v3"}},
		Code: code, Runtime: keyhook.DefaultActionRuntime, Status: keyhook.ActionBuilt, Bundle: code,
		BundleHash: "h-" + name, BuiltAt: &now, CreatedAt: now, UpdatedAt: now,
	}
	if trigger != keyhook.TriggerPostLogin {
		a.SupportedTriggers[0].Version = "v2"
	}
	for k, v := range secrets {
		a.Secrets = append(a.Secrets, keyhook.ActionSecret{Name: k, Value: v, UpdatedAt: now})
	}
	if err := b.store.ActionCreate(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.ActionDeploy(ctx, a.ID, func(a *keyhook.Action, v *keyhook.ActionVersion) error {
		v.ID = keyhook.NewActionVersionID()
		a.CopyDraftTo(v)
		a.AllChangesDeployed = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.BindingsUpdate(ctx, trigger, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
		return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), TriggerID: trigger, ActionID: a.ID,
			DisplayName: name, CreatedAt: now, UpdatedAt: now}), nil
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

func (b *testBundle) user(t *testing.T) *keyhook.User {
	t.Helper()
	now := time.Now().UTC()
	u := &keyhook.User{ID: "auth0|" + keyhook.RandomString(24), Connection: keyhook.DefaultDatabaseConnection,
		Email: "ann@example.com", UserMetadata: map[string]any{"lang": "en"}, AppMetadata: map[string]any{"plan": "free", "keep": true},
		CreatedAt: now, UpdatedAt: now, LoginsCount: 4}
	if err := b.store.UserCreate(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPostLoginChain: three actions in order, each seeing the earlier ones'
// metadata; claims and scopes collected; one metadata write at the end; an
// execution stored with every step and its commands.
func TestPostLoginChain(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	b.action(t, keyhook.TriggerPostLogin, "first", `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan);
  api.user.setAppMetadata('plan', 'gold');
  api.accessToken.addScope('read:extra');
  console.log('first saw', event.stats.logins_count, event.secrets.KEY);
};`, map[string]string{"KEY": "s3cret"})
	b.action(t, keyhook.TriggerPostLogin, "second", `
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/seen', event.user.app_metadata.plan);
  api.accessToken.setCustomClaim('sub', 'forged');
  api.idToken.setCustomClaim('https://auth0.com/nope', 1);
  api.accessToken.removeScope('read:a');
  api.user.setUserMetadata('lang', null);
};`, nil)
	u := b.user(t)
	in := *u
	in.LoginsCount++
	res, err := b.engine.PostLogin(ctx, PostLogin{
		User: &in, Client: &keyhook.Client{ClientID: "c1", Name: "app"}, Protocol: "oauth2-password",
		Audience: "https://api.example.com/", Scope: []string{"openid", "read:a"}, Request: Request{IP: "127.0.0.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims; !reflect.DeepEqual(got, map[string]any{"https://example.com/plan": "free"}) {
		t.Errorf("id token claims = %v", got)
	}
	if got := res.AccessTokenClaims; !reflect.DeepEqual(got, map[string]any{"https://example.com/seen": "gold"}) {
		t.Errorf("access token claims = %v (restricted sub must be dropped)", got)
	}
	if !reflect.DeepEqual(res.Scope, []string{"openid", "read:extra"}) {
		t.Errorf("scope = %v", res.Scope)
	}
	stored, err := b.store.UserGetByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored.AppMetadata, map[string]any{"plan": "gold", "keep": true}) || len(stored.UserMetadata) != 0 {
		t.Errorf("stored metadata: app %v, user %v", stored.AppMetadata, stored.UserMetadata)
	}
	if res.Actions == nil || res.Actions.ExecutionID == "" {
		t.Fatal("no execution recorded")
	}
	x, err := b.store.ExecutionGet(ctx, res.Actions.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != keyhook.ExecutionFinal || len(x.Steps) != 2 || x.Steps[0].ActionName != "first" || x.Steps[1].ActionName != "second" {
		t.Fatalf("execution = %+v", x)
	}
	if !strings.Contains(x.Steps[0].Logs, "first saw 5 s3cret") {
		t.Errorf("first step's logs = %q", x.Steps[0].Logs)
	}
	if len(x.Steps[1].Commands) != 5 || x.Steps[1].Commands[0].Method != "api.accessToken.setCustomClaim" {
		t.Errorf("second step's commands = %+v", x.Steps[1].Commands)
	}
	entry := &keyhook.LogEntry{}
	res.Actions.AddTo(entry)
	acts, _ := entry.Details["actions"].(map[string]any)
	if ids, _ := acts["executions"].([]any); len(ids) != 1 || ids[0] != res.Actions.ExecutionID {
		t.Errorf("details.actions = %v", entry.Details["actions"])
	}
}

// TestPostLoginDenyAndFailure: a deny stops the chain and nothing is
// written; a throwing action fails closed.
func TestPostLoginDenyAndFailure(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	b.action(t, keyhook.TriggerPostLogin, "deny", `
exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('plan', 'denied');
  if (event.user.email.endsWith('@example.com')) api.access.deny('not from example.com');
};`, nil)
	b.action(t, keyhook.TriggerPostLogin, "never", `
exports.onExecutePostLogin = async () => { throw new Error('must not run'); };`, nil)
	u := b.user(t)
	res, err := b.engine.PostLogin(ctx, PostLogin{User: u, Client: &keyhook.Client{ClientID: "c1"}, Protocol: "oauth2-password"})
	d, ok := IsDeny(err)
	if !ok || d.Code != "access_denied" || d.UserMessage != "not from example.com" || d.Failure {
		t.Fatalf("err = %v", err)
	}
	x, err := b.store.ExecutionGet(ctx, res.Actions.ExecutionID)
	if err != nil || len(x.Steps) != 1 {
		t.Fatalf("execution after a deny: %+v, %v", x, err)
	}
	stored, _ := b.store.UserGetByID(ctx, u.ID)
	if stored.AppMetadata["plan"] != "free" {
		t.Errorf("a denied login stored metadata: %v", stored.AppMetadata)
	}

	c := setup(t)
	c.action(t, keyhook.TriggerPostLogin, "throws", `exports.onExecutePostLogin = async () => { null.x; };`, nil)
	u = c.user(t)
	res, err = c.engine.PostLogin(ctx, PostLogin{User: u, Client: &keyhook.Client{ClientID: "c1"}, Protocol: "oauth2-password"})
	if d, ok := IsDeny(err); !ok || !d.Failure || !strings.Contains(d.Message, "TypeError") {
		t.Fatalf("throwing action: %v", err)
	}
	x, err = c.store.ExecutionGet(ctx, res.Actions.ExecutionID)
	if err != nil || x.Status != keyhook.ExecutionPartial || x.Steps[0].Error == nil {
		t.Fatalf("execution of a failure: %+v, %v", x, err)
	}
}

// TestCredentialsExchangeChain: the legacy hook runs first; the action
// sees its scopes and claims and changes them.
func TestCredentialsExchangeChain(t *testing.T) {
	b := setup(t)
	b.hook(t, keyhook.TriggerCredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope.concat(['extra']), 'https://example.com/hook': 'h' });
};`, nil)
	b.action(t, keyhook.TriggerCredentialsExchange, "cce", `
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/seen', event.accessToken.scope.join(' ') + '|' + event.accessToken.customClaims['https://example.com/hook']);
  api.accessToken.setCustomClaim('plain', event.client.metadata.tier);
};`, nil)
	res, err := b.engine.CredentialsExchange(context.Background(), CredentialsExchange{
		Client: &keyhook.Client{ClientID: "c1", ClientMetadata: map[string]string{"tier": "t1"}}, Audience: "https://api/", Scope: []string{"read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"https://example.com/hook": "h", "https://example.com/seen": "read extra|h", "plain": "t1"}
	if !reflect.DeepEqual(res.Claims, want) || !reflect.DeepEqual(res.Scope, []string{"read", "extra"}) {
		t.Fatalf("claims %v scope %v", res.Claims, res.Scope)
	}
	if len(res.Executions) != 1 || res.Actions == nil || len(res.Actions.Steps) != 2 {
		t.Fatalf("executions %+v actions %+v", res.Executions, res.Actions)
	}

	deny := setup(t)
	deny.action(t, keyhook.TriggerCredentialsExchange, "deny", `
exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'no'); };`, nil)
	_, err = deny.engine.CredentialsExchange(context.Background(), CredentialsExchange{Client: &keyhook.Client{ClientID: "c1"}, Audience: "a"})
	if d, ok := IsDeny(err); !ok || d.Code != "invalid_scope" || d.Message != "no" {
		t.Fatalf("deny: %v", err)
	}
}
