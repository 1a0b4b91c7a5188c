package mgmtapi

import (
	"fmt"
	"net/url"
	"testing"
)

func TestClientGrants(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.must(201, "POST", "/api/v2/resource-servers", map[string]any{
		"identifier": "https://api.example.com/", "scopes": []map[string]string{{"value": "read:a"}, {"value": "write:a"}},
	})
	var clients []string
	for i := 0; i < 5; i++ {
		c := b.must(201, "POST", "/api/v2/clients", map[string]any{"name": fmt.Sprint("c", i), "app_type": "non_interactive"}).object(t)
		clients = append(clients, c["client_id"].(string))
	}
	g := b.must(201, "POST", "/api/v2/client-grants", map[string]any{
		"client_id": clients[0], "audience": "https://api.example.com/", "scope": []string{"read:a"},
	}).object(t)
	id, _ := g["id"].(string)
	want := fmt.Sprintf(`{"id":%q,"client_id":%q,"audience":"https://api.example.com/","scope":["read:a"],"allow_any_organization":false,"is_system":false}`, id, clients[0])
	jsonEqual(t, g, want)
	jsonEqual(t, b.must(200, "GET", "/api/v2/client-grants/"+id, nil).json(t), want)
	for _, c := range clients[1:] {
		b.must(201, "POST", "/api/v2/client-grants", map[string]any{"client_id": c, "audience": "https://api.example.com/", "scope": []string{}})
	}

	upd := b.must(200, "PATCH", "/api/v2/client-grants/"+id, map[string]any{"scope": []string{"read:a", "write:a"}, "organization_usage": "allow"}).object(t)
	jsonEqual(t, upd["scope"], `["read:a","write:a"]`)
	if upd["organization_usage"] != "allow" {
		t.Fatalf("patched %v", upd)
	}

	// Offset pagination.
	bare := b.must(200, "GET", "/api/v2/client-grants", nil).array(t)
	if len(bare) != 5 {
		t.Fatalf("bare list %d", len(bare))
	}
	off := b.must(200, "GET", "/api/v2/client-grants?page=2&per_page=2&include_totals=true", nil).object(t)
	if off["total"] != float64(5) || off["start"] != float64(4) || off["limit"] != float64(2) || len(off["client_grants"].([]any)) != 1 {
		t.Fatalf("offset page %v", off)
	}
	byClient := b.must(200, "GET", "/api/v2/client-grants?client_id="+clients[3], nil).array(t)
	if len(byClient) != 1 || byClient[0].(map[string]any)["client_id"] != clients[3] {
		t.Fatalf("client_id filter %v", byClient)
	}

	// Checkpoint pagination: follow next until it disappears.
	seen := map[string]bool{}
	path := "/api/v2/client-grants?take=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("checkpoint pagination does not end")
		}
		r := b.must(200, "GET", path, nil).object(t)
		for _, it := range r["client_grants"].([]any) {
			gid := it.(map[string]any)["id"].(string)
			if seen[gid] {
				t.Fatalf("grant %s seen twice", gid)
			}
			seen[gid] = true
		}
		next, ok := r["next"].(string)
		if !ok {
			if len(r) != 1 {
				t.Fatalf("last page keys %v", keys(r))
			}
			break
		}
		path = "/api/v2/client-grants?take=2&from=" + url.QueryEscape(next)
	}
	if len(seen) != 5 {
		t.Fatalf("checkpoint pages saw %d grants, want 5", len(seen))
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		{"duplicate", "POST", "/api/v2/client-grants", map[string]any{"client_id": clients[1], "audience": "https://api.example.com/", "scope": []string{}}, 409, "", "A client grant for this client and audience already exists."},
		{"unknown audience", "POST", "/api/v2/client-grants", map[string]any{"client_id": clients[1], "audience": "urn:nope", "scope": []string{}}, 404, "inexistent_resource_server", "No resource server found for audience urn:nope"},
		{"unknown client", "POST", "/api/v2/client-grants", map[string]any{"client_id": "nope", "audience": "https://api.example.com/", "scope": []string{}}, 404, "inexistent_client", "The client does not exist"},
		{"undefined scope", "PATCH", "/api/v2/client-grants/" + id, map[string]any{"scope": []string{"read:a", "delete:a"}}, 400, "invalid_body", "Scopes not defined by the resource server https://api.example.com/: delete:a"},
		{"missing scope", "POST", "/api/v2/client-grants", map[string]any{"client_id": clients[1], "audience": "https://api.example.com/"}, 400, "invalid_body", "Payload validation error: 'Missing required property: scope'."},
		{"scope wrong type", "POST", "/api/v2/client-grants", map[string]any{"client_id": clients[1], "audience": "x", "scope": "read:a"}, 400, "invalid_body", "Payload validation error: 'Expected type array but found type string' on property scope."},
		{"audience not patchable", "PATCH", "/api/v2/client-grants/" + id, map[string]any{"audience": "x"}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: audience'."},
		{"bad organization_usage", "PATCH", "/api/v2/client-grants/" + id, map[string]any{"organization_usage": "maybe"}, 400, "invalid_body", "Payload validation error: 'No enum match for: \"maybe\"'…"},
		{"missing grant", "PATCH", "/api/v2/client-grants/cgr_nope", map[string]any{"scope": []string{}}, 404, "inexistent_client_grant", "The client grant does not exist"},
		{"delete missing", "DELETE", "/api/v2/client-grants/cgr_nope", nil, 404, "inexistent_client_grant", "The client grant does not exist"},
		{"bad take", "GET", "/api/v2/client-grants?take=0", nil, 400, "invalid_query_string", "Query validation error: 'Too small: 0 (min 1)' on property take."},
		{"bad from", "GET", "/api/v2/client-grants?from=abc", nil, 400, "invalid_query_string", "Query validation error: 'Invalid checkpoint: abc' on property from."},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo(tc.method, tc.path, tc.body), tc.status, tc.code, tc.message)
		})
	}
	b.must(204, "DELETE", "/api/v2/client-grants/"+id, nil)
	wantError(t, b.adminDo("GET", "/api/v2/client-grants/"+id, nil), 404, "inexistent_client_grant", "The client grant does not exist")
}
