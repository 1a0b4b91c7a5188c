package mgmtapi

import (
	"context"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// TestPasswordPolicyPerConnection: POST /users and PATCH password apply the
// user's connection's policy (good when it names none).
func TestPasswordPolicyPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, c := range []*keyhook.Connection{
		{ID: "con_strict", Name: "strict", Strategy: "auth0", PasswordPolicy: "excellent", PasswordMinLength: 12},
		{ID: "con_lax", Name: "lax", Strategy: "auth0", PasswordPolicy: "none"},
		{ID: "con_broken", Name: "broken", Strategy: "auth0", PasswordPolicy: "strongest"},
	} {
		if err := b.db.ConnectionCreate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	weak := "PasswordStrengthError: Password is too weak"
	tests := []struct {
		connection, password string
		status               int
	}{
		{keyhook.DefaultDatabaseConnection, "abcdefgh", 400}, // good: one class
		{keyhook.DefaultDatabaseConnection, "abcdefg1", 400}, // two classes
		{keyhook.DefaultDatabaseConnection, "abcdef1!", 201},
		{"strict", "Abcdefgh1!", 400},    // excellent, but under the connection's 12
		{"strict", "Abcdefgh1!!!x", 400}, // three identical in a row
		{"strict", "Abcdefgh1!xy", 201},
		{"lax", "a", 201},
		{"broken", "Abcdefgh1!xy", 500}, // an unknown policy fails closed
	}
	for i, tt := range tests {
		body := map[string]any{"connection": tt.connection, "email": "u" + string(rune('a'+i)) + "@example.com", "password": tt.password}
		r := b.adminDo("POST", "/api/v2/users", body)
		switch tt.status {
		case 400:
			wantError(t, r, 400, "", weak)
		case 500:
			wantError(t, r, 500, "", "Internal error")
		default:
			if r.status != tt.status {
				t.Fatalf("%s %q: %d %s", tt.connection, tt.password, r.status, r.body)
			}
		}
	}

	strict := b.createUser(map[string]any{"connection": "strict", "email": "s@example.com", "password": "Abcdefgh1!xy"})["user_id"].(string)
	_, before, err := b.db.LogList(ctx, store.LogListParams{Type: keyhook.LogFailedChangePassword})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, b.adminDo("PATCH", userPath(strict), map[string]any{"password": "abcdef1!"}), 400, "", weak)
	logs, after, err := b.db.LogList(ctx, store.LogListParams{Type: keyhook.LogFailedChangePassword})
	if err != nil {
		t.Fatal(err)
	}
	if after != before+1 || logs[0].UserID != strict || logs[0].Description != weak {
		t.Fatalf("fcp logs %d -> %d, newest %+v", before, after, logs[0])
	}
	b.must(200, "PATCH", userPath(strict), map[string]any{"password": "Zyxwvuts9?ab"})
	wantError(t, b.adminDo("PATCH", userPath("auth0|000000000000000000000000"), map[string]any{"password": "Zyxwvuts9?ab"}), 404, "inexistent_user", "The user does not exist.")
}
