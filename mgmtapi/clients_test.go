package mgmtapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keyhook/keyhook"
)

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.must(201, "POST", "/api/v2/clients", map[string]any{
		"name": "M2M app", "app_type": "non_interactive", "client_metadata": map[string]string{"plan": "gold"},
		"jwt_configuration": map[string]any{"alg": "RS256", "lifetime_in_seconds": 36000},
		"callbacks":         []string{"https://app.example.com/cb"},
	}).object(t)
	id, _ := r["client_id"].(string)
	secret, _ := r["client_secret"].(string)
	if len(id) != 32 || len(secret) != 64 {
		t.Fatalf("client_id %q / secret %q", id, secret)
	}
	want := fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"name":"M2M app","app_type":"non_interactive","tenant":"my-tenant",
		"global":false,"is_first_party":true,"oidc_conformant":false,"callbacks":["https://app.example.com/cb"],
		"allowed_origins":[],"web_origins":[],"allowed_logout_urls":[],"grant_types":["authorization_code","implicit","refresh_token","client_credentials"],
		"token_endpoint_auth_method":"client_secret_post","client_metadata":{"plan":"gold"},
		"jwt_configuration":{"alg":"RS256","lifetime_in_seconds":36000}}`, id, secret)
	jsonEqual(t, r, want)

	stored, err := b.db.ClientGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretHash != keyhook.HashClientSecret(secret) || stored.SecretHash == secret {
		t.Fatalf("secret stored as %q", stored.SecretHash)
	}
	// keyhook.HashClientSecret is SHA-256 hex (the oauth package's verifier must agree).
	if keyhook.HashClientSecret("abc") != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal("keyhook.HashClientSecret is not SHA-256 hex")
	}

	got := b.must(200, "GET", "/api/v2/clients/"+id, nil)
	if strings.Contains(string(got.body), secret) || got.object(t)["client_secret"] != nil {
		t.Fatalf("GET shows the secret: %s", got.body)
	}
	upd := b.must(200, "PATCH", "/api/v2/clients/"+id, map[string]any{"name": "Renamed", "jwt_configuration": nil, "logo_uri": "https://x/logo.png"}).object(t)
	if upd["name"] != "Renamed" || upd["logo_uri"] != "https://x/logo.png" || upd["jwt_configuration"] != nil || upd["client_secret"] != nil {
		t.Fatalf("patched %v", upd)
	}
	rot := b.must(200, "POST", "/api/v2/clients/"+id+"/rotate-secret", nil).object(t)
	newSecret, _ := rot["client_secret"].(string)
	if len(newSecret) != 64 || newSecret == secret {
		t.Fatalf("rotated secret %q", newSecret)
	}
	if stored, _ := b.db.ClientGet(t.Context(), id); stored.SecretHash != keyhook.HashClientSecret(newSecret) {
		t.Fatal("rotation did not store the new hash")
	}

	b.must(201, "POST", "/api/v2/clients", map[string]any{"name": "SPA", "app_type": "spa"})
	list := b.must(200, "GET", "/api/v2/clients?include_totals=true&per_page=1", nil).object(t)
	if list["total"] != float64(2) || len(list["clients"].([]any)) != 1 {
		t.Fatalf("list %v", list)
	}
	spa := b.must(200, "GET", "/api/v2/clients?app_type=spa&fields=name,token_endpoint_auth_method,grant_types", nil).array(t)
	jsonEqual(t, spa, `[{"name":"SPA","token_endpoint_auth_method":"none","grant_types":["authorization_code","implicit","refresh_token"]}]`)
	if got := b.must(200, "GET", "/api/v2/clients?is_global=true", nil).array(t); len(got) != 0 {
		t.Fatalf("is_global filter %v", got)
	}
	for _, c := range b.must(200, "GET", "/api/v2/clients", nil).array(t) {
		if _, ok := c.(map[string]any)["client_secret"]; ok {
			t.Fatal("list shows a secret")
		}
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		{"missing name", "POST", "/api/v2/clients", map[string]any{"app_type": "spa"}, 400, "invalid_body", "Payload validation error: 'Missing required property: name'."},
		{"unknown prop", "POST", "/api/v2/clients", map[string]any{"name": "x", "bogus": 1}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: bogus'."},
		{"bad app_type", "POST", "/api/v2/clients", map[string]any{"name": "x", "app_type": "robot"}, 400, "invalid_body", "Payload validation error: 'No enum match for: \"robot\"'…"},
		{"bad callbacks", "POST", "/api/v2/clients", map[string]any{"name": "x", "callbacks": "https://x"}, 400, "invalid_body", "Payload validation error: 'Expected type array but found type string' on property callbacks."},
		{"bad metadata", "POST", "/api/v2/clients", map[string]any{"name": "x", "client_metadata": map[string]any{"n": 1}}, 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property client_metadata.n."},
		{"bad auth method", "PATCH", "/api/v2/clients/" + id, map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, 400, "invalid_body", "Payload validation error: 'No enum match for: \"private_key_jwt\"'…"},
		{"client_id read-only", "PATCH", "/api/v2/clients/" + id, map[string]any{"client_id": "x"}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: client_id'."},
		{"missing client", "PATCH", "/api/v2/clients/nope", map[string]any{"name": "x"}, 404, "inexistent_client", "The client does not exist"},
		{"rotate missing", "POST", "/api/v2/clients/nope/rotate-secret", nil, 404, "inexistent_client", "The client does not exist"},
		{"delete missing", "DELETE", "/api/v2/clients/nope", nil, 404, "inexistent_client", "The client does not exist"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo(tc.method, tc.path, tc.body), tc.status, tc.code, tc.message)
		})
	}
	b.must(204, "DELETE", "/api/v2/clients/"+id, nil)
	wantError(t, b.adminDo("GET", "/api/v2/clients/"+id, nil), 404, "inexistent_client", "The client does not exist")
}
