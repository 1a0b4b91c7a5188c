package mgmtapi

import (
	"bytes"
	"testing"

	"github.com/keyhook/keyhook"
)

// TestClientKeys: a client's credentials change only with
// update:client_keys; update:clients changes everything else. No read
// shows a secret: keyhook keeps only its hash.
func TestClientKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.must(201, "POST", "/api/v2/clients", map[string]any{"name": "victim", "app_type": "non_interactive"}).object(t)
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	path := "/api/v2/clients/" + id
	const newSecret = "attacker-chosen-secret-0123456789"
	updateClients, clientKeys := b.token("update:clients"), b.token("update:client_keys")

	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"secret alone", "PATCH", path, map[string]any{"client_secret": newSecret}},
		{"secret with another change", "PATCH", path, map[string]any{"name": "renamed", "client_secret": newSecret}},
		{"rotate", "POST", path + "/rotate-secret", nil},
	} {
		b.unchanged(tc.name, func() {
			r := b.do(tc.method, tc.path, updateClients, tc.body)
			want := `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:client_keys","errorCode":"insufficient_scope"}`
			if r.status != 403 || string(r.body) != want {
				t.Fatalf("%s with update:clients: %d %s", tc.name, r.status, r.body)
			}
		})
	}
	if got := b.do("PATCH", path, updateClients, map[string]any{"name": "renamed"}); got.status != 200 {
		t.Fatalf("rename with update:clients: %d %s", got.status, got.body)
	}
	stored, err := b.db.ClientGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretHash != keyhook.HashClientSecret(secret) || stored.Name != "renamed" {
		t.Fatalf("after update:clients: name %q, secret changed %v", stored.Name, stored.SecretHash != keyhook.HashClientSecret(secret))
	}

	for _, tok := range []string{clientKeys, b.token("update:clients", "update:client_keys")} {
		r := b.do("PATCH", path, tok, map[string]any{"client_secret": newSecret})
		if r.status != 200 || r.object(t)["client_secret"] != nil {
			t.Fatalf("PATCH secret with update:client_keys: %d %s", r.status, r.body)
		}
		if stored, _ := b.db.ClientGet(t.Context(), id); stored.SecretHash != keyhook.HashClientSecret(newSecret) {
			t.Fatal("secret not stored")
		}
	}
	rot := b.do("POST", path+"/rotate-secret", clientKeys, nil)
	if rot.status != 200 || len(rot.object(t)["client_secret"].(string)) != 64 {
		t.Fatalf("rotate with update:client_keys: %d %s", rot.status, rot.body)
	}

	if stored, err = b.db.ClientGet(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{b.token("read:clients"), b.token("read:client_keys")} {
		for _, p := range []string{path, "/api/v2/clients", "/api/v2/clients?fields=client_secret"} {
			r := b.do("GET", p, tok, nil)
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", p, r.status, r.body)
			}
			for _, s := range []string{secret, newSecret, `"client_secret":`, stored.SecretHash} {
				if bytes.Contains(r.body, []byte(s)) {
					t.Fatalf("GET %s shows %q: %s", p, s, r.body)
				}
			}
		}
	}
}

// TestClientGrantTypeDefaults: omitted grant types get Auth0's defaults for
// the app type at creation, so reads show them; an explicit [] is kept (and
// allows no grant at the token endpoint).
func TestClientGrantTypeDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	web := `["authorization_code","implicit","refresh_token","client_credentials"]`
	for _, tc := range []struct {
		body       map[string]any
		grantTypes string
		authMethod string
	}{
		{map[string]any{"name": "none"}, web, "client_secret_post"},
		{map[string]any{"name": "web", "app_type": "regular_web"}, web, "client_secret_post"},
		{map[string]any{"name": "m2m", "app_type": "non_interactive"}, web, "client_secret_post"},
		{map[string]any{"name": "spa", "app_type": "spa"}, `["authorization_code","implicit","refresh_token"]`, "none"},
		{map[string]any{"name": "native", "app_type": "native"}, `["authorization_code","implicit","refresh_token"]`, "none"},
		{map[string]any{"name": "rs", "app_type": "resource_server"}, `[]`, "client_secret_post"},
		{map[string]any{"name": "off", "app_type": "regular_web", "grant_types": []string{}}, `[]`, "client_secret_post"},
		{map[string]any{"name": "pw", "app_type": "spa", "grant_types": []string{"password"}}, `["password"]`, "none"},
	} {
		created := b.must(201, "POST", "/api/v2/clients", tc.body).object(t)
		id := created["client_id"].(string)
		for _, got := range []any{created["grant_types"], b.must(200, "GET", "/api/v2/clients/"+id, nil).object(t)["grant_types"]} {
			jsonEqual(t, got, tc.grantTypes)
		}
		if created["token_endpoint_auth_method"] != tc.authMethod {
			t.Fatalf("%v: token_endpoint_auth_method %v", tc.body, created["token_endpoint_auth_method"])
		}
		stored, err := b.db.ClientGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if stored.GrantTypes == nil && tc.grantTypes != `[]` {
			t.Fatalf("%v: stored grant types %v", tc.body, stored.GrantTypes)
		}
	}
	// PATCH to [] switches a client off; it stays [].
	c := b.must(201, "POST", "/api/v2/clients", map[string]any{"name": "to switch off"}).object(t)
	jsonEqual(t, b.must(200, "PATCH", "/api/v2/clients/"+c["client_id"].(string), map[string]any{"grant_types": []string{}}).object(t)["grant_types"], `[]`)
	jsonEqual(t, b.must(200, "GET", "/api/v2/clients/"+c["client_id"].(string), nil).object(t)["grant_types"], `[]`)
}
