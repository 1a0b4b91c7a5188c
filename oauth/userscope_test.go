package oauth

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhook/keyhook"
)

const mgmtAudience = "https://auth.example.test/api/v2/"

// adminScopes are Management API scopes a user token must never carry.
var adminScopes = []string{"create:hooks", "read:users", "update:users", "update:users_app_metadata", "update:clients",
	"update:client_keys", "create:client_grants", "read:logs"}

// TestUserScopeManagementAPI: a user token for the Management API carries
// only current-user scopes; admin scopes asked for are dropped, whether the
// API is recognised by the configured audience or by being a system API.
func TestUserScopeManagementAPI(t *testing.T) {
	t.Parallel()
	currentUser := strings.Join(keyhook.CurrentUserScopes(), " ")
	for _, tc := range []struct {
		name          string
		system        bool
		adminAudience string
	}{
		{"system resource server", true, ""},
		{"configured audience", false, mgmtAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.handler.AdminAudience = tc.adminAudience
			// The resource server lists admin scopes and current-user scopes,
			// as Auth0's Management API does.
			var defined []keyhook.ResourceServerScope
			for _, s := range append(append([]string{}, adminScopes...), keyhook.CurrentUserScopes()...) {
				defined = append(defined, keyhook.ResourceServerScope{Value: s})
			}
			if err := b.db.ResourceServerCreate(context.Background(), &keyhook.ResourceServer{ID: keyhook.NewResourceServerID(),
				Identifier: mgmtAudience, Name: "Auth0 Management API", Scopes: defined, SigningAlg: "RS256", IsSystem: tc.system}); err != nil {
				t.Fatal(err)
			}
			for _, sc := range []struct {
				name, scope string
				hasScope    bool
				want        string
			}{
				{"the issue's exploit", "create:hooks read:users update:clients", true, ""},
				{"admin and current-user mixed", "openid " + strings.Join(adminScopes, " ") + " read:current_user update:current_user_metadata",
					true, "openid read:current_user update:current_user_metadata"},
				{"every current-user scope", currentUser, true, currentUser},
				{"no scope asked", "", false, DefaultPasswordScope + " " + currentUser},
				{"unknown and look-alike scopes", "read:current_user_x update:current_user READ:CURRENT_USER", true, ""},
			} {
				params := url.Values{"grant_type": {GrantPasswordRealm}, "client_id": {b.webApp.ClientID}, "client_secret": {b.webSec},
					"username": {b.user.Email}, "password": {userPassword}, "realm": {keyhook.DefaultDatabaseConnection},
					"audience": {mgmtAudience}}
				if sc.hasScope {
					params.Set("scope", sc.scope)
				}
				r := b.post(t, params, false)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", sc.name, r.status, r.raw)
				}
				at := b.verify(t, r.body["access_token"].(string))
				got, _ := at["scope"].(string)
				if got != sc.want || (r.body["scope"] != nil && r.body["scope"] != sc.want) {
					t.Fatalf("%s: token scope %q, response scope %v, want %q", sc.name, got, r.body["scope"], sc.want)
				}
				if at["sub"] != b.user.ID || at["gty"] != "password" {
					t.Fatalf("%s: claims %v", sc.name, at)
				}
			}
		})
	}
}

// TestUserScopeOtherAPIs: other APIs keep Auth0's rule (the scopes asked
// for that the API defines), and current-user scopes mean nothing there.
func TestUserScopeOtherAPIs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.handler.AdminAudience = mgmtAudience
	r := b.post(t, b.realmParams("audience", testAudience, "scope", "read:a admin read:current_user create:hooks"), false)
	if r.status != 200 || r.body["scope"] != "read:a admin" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}
