package oauth

import (
	"net/url"
	"testing"

	"github.com/keyhook/keyhook"
)

// TestGrantTypes checks the client's grant_types against every grant the
// endpoint serves: listed grants pass the check (and fail later for their
// own reasons or succeed), unlisted ones answer Auth0's unauthorized_client,
// and an empty list refuses everything.
func TestGrantTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	all := []string{GrantClientCredentials, GrantPassword, GrantPasswordRealm}
	for _, tc := range []struct {
		name    string
		grants  []string
		allowed []string
	}{
		{"empty list allows nothing", []string{}, nil},
		{"nil list allows nothing", nil, nil},
		{"password only", []string{GrantPassword}, []string{GrantPassword}},
		{"password-realm does not imply password", []string{GrantPasswordRealm}, []string{GrantPasswordRealm}},
		{"client credentials only", []string{GrantClientCredentials}, []string{GrantClientCredentials}},
		{"Auth0's web defaults", keyhook.DefaultGrantTypes("regular_web"), []string{GrantClientCredentials}},
		{"everything", all, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := keyhook.NewClientSecret()
			c := &keyhook.Client{ClientID: keyhook.NewClientID(), SecretHash: HashClientSecret(secret), Name: tc.name,
				AppType: "regular_web", TokenEndpointAuthMethod: "client_secret_post", GrantTypes: tc.grants}
			if err := b.db.ClientCreate(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			if err := b.db.ClientGrantCreate(t.Context(), &keyhook.ClientGrant{ID: keyhook.NewClientGrantID(), ClientID: c.ClientID,
				Audience: testAudience, Scope: []string{"read:a"}}); err != nil {
				t.Fatal(err)
			}
			for _, g := range all {
				params := url.Values{"grant_type": {g}, "client_id": {c.ClientID}, "client_secret": {secret}, "audience": {testAudience},
					"username": {b.user.Email}, "password": {userPassword}, "realm": {keyhook.DefaultDatabaseConnection}}
				r := b.post(t, params, false)
				allowed := false
				for _, a := range tc.allowed {
					allowed = allowed || a == g
				}
				if !allowed {
					r.wantError(t, 403, "unauthorized_client", "Grant type '"+g+"' not allowed for the client.")
					if r.body["error_uri"] != "https://auth0.com/docs/clients/client-grant-types" {
						t.Fatalf("%s: error_uri %v", g, r.body["error_uri"])
					}
					if e := b.lastLog(t); e.ClientID != c.ClientID || e.Description != r.body["error_description"] {
						t.Fatalf("%s: refused grant logged as %+v", g, e)
					}
					continue
				}
				if r.status != 200 {
					t.Fatalf("%s allowed by %v: %d %s", g, tc.grants, r.status, r.raw)
				}
			}
		})
	}
}

// TestGrantTypesAfterAuthentication: the grant-type check runs after client
// authentication, so a caller without the secret learns nothing about a
// client's grant types.
func TestGrantTypesAfterAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.post(t, url.Values{"grant_type": {GrantPassword}, "client_id": {b.m2m.ClientID}, "client_secret": {"wrong-secret-0123456789"},
		"username": {b.user.Email}, "password": {userPassword}}, false)
	r.wantError(t, 401, "access_denied", "Unauthorized")
}
