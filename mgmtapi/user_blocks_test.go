package mgmtapi

import (
	"context"
	"net/url"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

func blocksPath(id string) string { return "/api/v2/user-blocks/" + url.PathEscape(id) }

// fail records n failed logins of userID from ip, as the token endpoint does.
func (b *bundle) fail(userID, ip, identifier string, n int) {
	b.t.Helper()
	for range n {
		if _, err := b.db.LoginFailureAdd(context.Background(), store.LoginFailureAddParams{
			UserID: userID, IP: ip, Identifier: identifier, Connection: keyhook.DefaultDatabaseConnection,
		}); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *bundle) failures(userID string) []store.LoginFailure {
	b.t.Helper()
	fs, err := b.db.LoginFailureList(context.Background(), store.LoginFailureListParams{UserID: userID})
	if err != nil {
		b.t.Fatal(err)
	}
	return fs
}

func TestUserBlocksByID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"email": "jane@example.com", "username": "jane"})["user_id"].(string)
	other := b.createUser(map[string]any{"email": "joe@example.com"})["user_id"].(string)
	b.fail(id, "203.0.113.9", "jane@example.com", 10)
	b.fail(id, "198.51.100.7", "jane", 3) // below the threshold: not a block
	b.fail(other, "203.0.113.9", "joe@example.com", 12)

	got := b.must(200, "GET", blocksPath(id), nil).json(t)
	jsonEqual(t, got, `{"blocked_for":[{"identifier":"jane@example.com","ip":"203.0.113.9","connection":"Username-Password-Authentication"}]}`)
	got = b.must(200, "GET", blocksPath(id)+"?consider_brute_force_enablement=true", nil).json(t)
	jsonEqual(t, got, `{"blocked_for":[{"identifier":"jane@example.com","ip":"203.0.113.9","connection":"Username-Password-Authentication"}]}`)
	wantError(t, b.adminDo("GET", blocksPath(id)+"?consider_brute_force_enablement=maybe", nil), 400, "invalid_query_string", "Query validation error: …")

	b.must(204, "DELETE", blocksPath(id), nil)
	if fs := b.failures(id); len(fs) != 0 {
		t.Fatalf("failures after unblock = %+v, want none (counts below the threshold too)", fs)
	}
	jsonEqual(t, b.must(200, "GET", blocksPath(id), nil).json(t), `{"blocked_for":[]}`)
	if fs := b.failures(other); len(fs) != 1 {
		t.Fatalf("unblocking jane touched joe: %+v", fs)
	}

	for _, method := range []string{"GET", "DELETE"} {
		wantError(t, b.adminDo(method, blocksPath("auth0|000000000000000000000000"), nil), 404, "inexistent_user", "The user does not exist.")
	}
}

func TestUserBlocksByIdentifier(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"email": "jane@example.com", "username": "jane"})["user_id"].(string)
	other := b.createUser(map[string]any{"email": "joe@example.com"})["user_id"].(string)
	b.fail(id, "203.0.113.9", "jane@example.com", 10)
	// The latest failure from this IP was by username: the pair is still
	// found by the email, through the user it names.
	b.fail(id, "198.51.100.7", "jane@example.com", 9)
	b.fail(id, "198.51.100.7", "jane", 1)
	b.fail(other, "203.0.113.9", "joe@example.com", 10)

	both := `{"blocked_for":[
		{"identifier":"jane@example.com","ip":"203.0.113.9","connection":"Username-Password-Authentication"},
		{"identifier":"jane","ip":"198.51.100.7","connection":"Username-Password-Authentication"}]}`
	for _, identifier := range []string{"jane@example.com", "Jane@Example.COM", "jane"} {
		got := b.must(200, "GET", "/api/v2/user-blocks?identifier="+url.QueryEscape(identifier), nil).object(t)
		blocks, _ := got["blocked_for"].([]any)
		if len(blocks) != 2 {
			t.Fatalf("identifier %q: %v, want jane's two blocks", identifier, got)
		}
	}
	got := b.must(200, "GET", "/api/v2/user-blocks?identifier=jane%40example.com", nil).json(t)
	jsonEqual(t, got, both)
	jsonEqual(t, b.must(200, "GET", "/api/v2/user-blocks?identifier=nobody%40example.com", nil).json(t), `{"blocked_for":[]}`)

	for _, method := range []string{"GET", "DELETE"} {
		for _, q := range []string{"", "?identifier=", "?identifier=a&identifier=b"} {
			b.unchanged(method+" "+q, func() {
				wantError(t, b.adminDo(method, "/api/v2/user-blocks"+q, nil), 400, "invalid_query_string", "Query validation error: …")
			})
		}
	}

	b.must(204, "DELETE", "/api/v2/user-blocks?identifier=JANE%40example.com", nil)
	if fs := b.failures(id); len(fs) != 0 {
		t.Fatalf("jane's failures after unblock = %+v", fs)
	}
	if fs := b.failures(other); len(fs) != 1 {
		t.Fatalf("unblocking jane touched joe: %+v", fs)
	}
	// An identifier that names no one: nothing to do, still 204.
	b.must(204, "DELETE", "/api/v2/user-blocks?identifier=nobody", nil)
}

func TestUserBlocksScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"email": "jane@example.com"})["user_id"].(string)
	b.fail(id, "203.0.113.9", "jane@example.com", 10)
	read, update := b.token("read:users"), b.token("update:users")
	for _, tc := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", blocksPath(id), "", 401},
		{"GET", blocksPath(id), update, 403},
		{"GET", blocksPath(id), read, 200},
		{"GET", "/api/v2/user-blocks?identifier=jane%40example.com", update, 403},
		{"GET", "/api/v2/user-blocks?identifier=jane%40example.com", read, 200},
		{"DELETE", blocksPath(id), "", 401},
		{"DELETE", blocksPath(id), read, 403},
		{"DELETE", blocksPath(id), b.token("delete:users", "read:users"), 403},
		{"DELETE", "/api/v2/user-blocks?identifier=jane%40example.com", read, 403},
	} {
		if r := b.do(tc.method, tc.path, tc.token, nil); r.status != tc.status {
			t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.body)
		}
	}
	if fs := b.failures(id); len(fs) != 1 {
		t.Fatalf("refused requests changed the blocks: %+v", fs)
	}
	if r := b.do("DELETE", blocksPath(id), update, nil); r.status != 204 {
		t.Fatalf("DELETE with update:users: %d %s", r.status, r.body)
	}
	if fs := b.failures(id); len(fs) != 0 {
		t.Fatalf("blocks after unblock: %+v", fs)
	}
}

// TestPasswordChangeClearsBlocks: a password changed through the
// Management API lifts the user's brute-force blocks; a refused one does
// not.
func TestPasswordChangeClearsBlocks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"email": "jane@example.com"})["user_id"].(string)
	b.fail(id, "203.0.113.9", "jane@example.com", 10)
	wantError(t, b.adminDo("PATCH", userPath(id), map[string]any{"password": "weak"}), 400, "", "PasswordStrengthError: Password is too weak")
	if fs := b.failures(id); len(fs) != 1 {
		t.Fatalf("a refused password change lifted the block: %+v", fs)
	}
	b.must(200, "PATCH", userPath(id), map[string]any{"user_metadata": map[string]any{"a": "b"}})
	if fs := b.failures(id); len(fs) != 1 {
		t.Fatalf("a metadata change lifted the block: %+v", fs)
	}
	b.must(200, "PATCH", userPath(id), map[string]any{"password": "A new Passw0rd"})
	if fs := b.failures(id); len(fs) != 0 {
		t.Fatalf("blocks after a password change: %+v", fs)
	}
}
