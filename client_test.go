package keyhook

import (
	"slices"
	"testing"
)

func TestDefaultGrantTypes(t *testing.T) {
	t.Parallel()
	web := []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}
	for _, tc := range []struct {
		appType string
		want    []string
		auth    string
	}{
		{"", web, "client_secret_post"},
		{"regular_web", web, "client_secret_post"},
		{"non_interactive", web, "client_secret_post"},
		{"sso_integration", web, "client_secret_post"},
		{"spa", []string{"authorization_code", "implicit", "refresh_token"}, "none"},
		{"native", []string{"authorization_code", "implicit", "refresh_token"}, "none"},
		{"express_configuration", []string{"authorization_code", "client_credentials"}, "client_secret_post"},
		{"resource_server", []string{}, "client_secret_post"},
	} {
		got := DefaultGrantTypes(tc.appType)
		if !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("DefaultGrantTypes(%q) = %#v, want %#v", tc.appType, got, tc.want)
		}
		if slices.Contains(got, "password") || slices.Contains(got, "http://auth0.com/oauth/grant-type/password-realm") {
			t.Errorf("DefaultGrantTypes(%q) enables a password grant", tc.appType)
		}
		if m := DefaultTokenEndpointAuthMethod(tc.appType); m != tc.auth {
			t.Errorf("DefaultTokenEndpointAuthMethod(%q) = %q, want %q", tc.appType, m, tc.auth)
		}
	}
	// Callers may change what they get without changing the next caller's.
	DefaultGrantTypes("spa")[0] = "x"
	if DefaultGrantTypes("spa")[0] != "authorization_code" {
		t.Fatal("DefaultGrantTypes returns shared state")
	}
}

func TestCurrentUserScopes(t *testing.T) {
	t.Parallel()
	all := CurrentUserScopes()
	if len(all) != 7 {
		t.Fatalf("%d current-user scopes: %v", len(all), all)
	}
	for _, s := range all {
		if !IsCurrentUserScope(s) {
			t.Errorf("IsCurrentUserScope(%q) = false", s)
		}
	}
	for _, s := range []string{"", "read:users", "update:users", "update:users_app_metadata", "create:hooks",
		"update:clients", "update:client_keys", "read:current_user ", "READ:CURRENT_USER", "update:current_user", "openid"} {
		if IsCurrentUserScope(s) {
			t.Errorf("IsCurrentUserScope(%q) = true", s)
		}
	}
}
