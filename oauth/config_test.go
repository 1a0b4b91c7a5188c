package oauth

import (
	"context"
	"testing"

	"github.com/keyhook/keyhook"
)

// TestConfigChangesSeenAtOnce: the token endpoint caches clients, APIs,
// grants and hooks, yet a change made through the store is used by the very
// next request — a narrowed grant, a rotated secret, a new hook.
func TestConfigChangesSeenAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	scopeOf := func() string {
		t.Helper()
		r := b.post(t, b.m2mParams(), false)
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.raw)
		}
		s, _ := b.verify(t, r.body["access_token"].(string))["scope"].(string)
		return s
	}
	if s := scopeOf(); s != "read:a write:a" {
		t.Fatalf("scope %q", s)
	}
	g, err := b.db.ClientGrantFind(ctx, b.m2m.ClientID, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ClientGrantUpdate(ctx, g.ID, func(g *keyhook.ClientGrant) error { g.Scope = []string{"read:a"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if s := scopeOf(); s != "read:a" {
		t.Fatalf("after narrowing the grant: scope %q, want read:a", s)
	}

	b.addHook(t, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope.concat(['hooked']) });
};`, nil)
	if s := scopeOf(); s != "read:a hooked" {
		t.Fatalf("after adding a hook: scope %q", s)
	}

	old := b.m2mSec
	if _, err := b.db.ClientUpdate(ctx, b.m2m.ClientID, func(c *keyhook.Client) error {
		c.SecretHash = keyhook.HashClientSecret("rotated-secret")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.post(t, b.m2mParams("client_secret", old), false).wantError(t, 401, "access_denied", "")
	if r := b.post(t, b.m2mParams("client_secret", "rotated-secret"), false); r.status != 200 {
		t.Fatalf("rotated secret refused: %d %s", r.status, r.raw)
	}
}

// TestAdminSkipsCredentialsExchange: a failing credentials-exchange hook
// refuses other clients' tokens but not the bootstrap admin's Management
// API token, which is how the operator fixes the hook.
func TestAdminSkipsCredentialsExchange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.handler.AdminClientID, b.handler.AdminAudience = b.m2m.ClientID, testAudience
	b.addHook(t, `module.exports = function (client, scope, audience, context, cb) { cb(new Error('broken')); };`, nil)
	if r := b.post(t, b.m2mParams(), false); r.status != 200 {
		t.Fatalf("admin token refused: %d %s", r.status, r.raw)
	}
	b.handler.AdminClientID = "someone-else"
	b.post(t, b.m2mParams(), false).wantError(t, 500, "server_error", "broken")
}
