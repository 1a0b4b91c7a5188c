package mgmtapi

import (
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

func TestResourceServerLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.must(201, "POST", "/api/v2/resource-servers", map[string]any{
		"identifier": "https://api.example.com/", "name": "Example API",
		"scopes":               []map[string]string{{"value": "read:things", "description": "Read things"}, {"value": "write:things"}},
		"allow_offline_access": true, "token_dialect": "access_token_authz",
	}).object(t)
	id, _ := r["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
		t.Fatalf("id %q", id)
	}
	want := fmt.Sprintf(`{"id":%q,"name":"Example API","identifier":"https://api.example.com/","is_system":false,
		"scopes":[{"value":"read:things","description":"Read things"},{"value":"write:things"}],"signing_alg":"RS256",
		"allow_offline_access":true,"skip_consent_for_verifiable_first_party_clients":false,"token_lifetime":86400,
		"token_lifetime_for_web":7200,"token_dialect":"access_token_authz","enforce_policies":false}`, id)
	jsonEqual(t, r, want)
	jsonEqual(t, b.must(200, "GET", "/api/v2/resource-servers/"+id, nil).json(t), want)
	// By URL-encoded identifier.
	jsonEqual(t, b.must(200, "GET", "/api/v2/resource-servers/"+url.PathEscape("https://api.example.com/"), nil).json(t), want)

	upd := b.must(200, "PATCH", "/api/v2/resource-servers/"+url.PathEscape("https://api.example.com/"), map[string]any{"token_lifetime": 3600, "name": "Renamed"}).object(t)
	if upd["token_lifetime"] != float64(3600) || upd["name"] != "Renamed" || upd["id"] != id {
		t.Fatalf("patched %v", upd)
	}

	b.must(201, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:second"})
	list := b.must(200, "GET", "/api/v2/resource-servers?include_totals=true", nil).object(t)
	if list["total"] != float64(2) || len(list["resource_servers"].([]any)) != 2 {
		t.Fatalf("list %v", list)
	}
	only := b.must(200, "GET", "/api/v2/resource-servers?identifiers=urn:second&identifiers=urn:none", nil).array(t)
	if len(only) != 1 || only[0].(map[string]any)["name"] != "urn:second" {
		t.Fatalf("identifiers filter %v", only)
	}

	sys := &keyhook.ResourceServer{ID: keyhook.NewResourceServerID(), Identifier: testAudience, Name: "Auth0 Management API",
		IsSystem: true, SigningAlg: "RS256", TokenLifetime: 86400, TokenLifetimeForWeb: 7200, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := b.db.ResourceServerCreate(t.Context(), sys); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		{"missing identifier", "POST", "/api/v2/resource-servers", map[string]any{"name": "x"}, 400, "invalid_body", "Payload validation error: 'Missing required property: identifier'."},
		{"duplicate identifier", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:second"}, 409, "", "A resource server with the same identifier already exists"},
		{"unknown prop", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "foo": true}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: foo'."},
		{"bad scope item", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "scopes": []map[string]any{{"value": "a", "extra": 1}}}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: extra' on property scopes."},
		{"bad scope type", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "scopes": []map[string]any{{"value": 1}}}, 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property scopes…"},
		{"bad lifetime", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "token_lifetime": 1.5}, 400, "invalid_body", "Payload validation error: 'Expected type integer but found type number' on property token_lifetime."},
		{"lifetime range", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "token_lifetime": 0}, 400, "invalid_body", "Payload validation error: 'Value 0 is out of range (1 to 2592000)' on property token_lifetime."},
		{"bad alg", "POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "signing_alg": "none"}, 400, "invalid_body", "Payload validation error: 'No enum match for: \"none\"'…"},
		{"identifier not patchable", "PATCH", "/api/v2/resource-servers/" + id, map[string]any{"identifier": "urn:y"}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: identifier'."},
		{"missing", "PATCH", "/api/v2/resource-servers/nope", map[string]any{"name": "x"}, 404, "inexistent_resource_server", "The resource server does not exist"},
		{"system patch", "PATCH", "/api/v2/resource-servers/" + sys.ID, map[string]any{"name": "x"}, 403, "operation_not_supported", "You cannot update a system resource server"},
		{"system delete", "DELETE", "/api/v2/resource-servers/" + url.PathEscape(testAudience), nil, 403, "operation_not_supported", "You cannot delete a system resource server"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo(tc.method, tc.path, tc.body), tc.status, tc.code, tc.message)
		})
	}
	wantError(t, b.adminDo("GET", "/api/v2/resource-servers/nope", nil), 404, "inexistent_resource_server", "The resource server does not exist")
	b.must(204, "DELETE", "/api/v2/resource-servers/"+id, nil)
	b.must(204, "DELETE", "/api/v2/resource-servers/"+id, nil) // Auth0: 204 when missing too
	wantError(t, b.adminDo("GET", "/api/v2/resource-servers/"+id, nil), 404, "inexistent_resource_server", "The resource server does not exist")
}
