package oauth

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
)

func (b *testBundle) realmParams(extra ...string) url.Values {
	v := url.Values{
		"grant_type": {GrantPasswordRealm}, "client_id": {b.webApp.ClientID}, "client_secret": {b.webSec},
		"username": {b.user.Email}, "password": {userPassword}, "realm": {keyhook.DefaultDatabaseConnection},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
			continue
		}
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestPasswordRealm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.post(t, b.realmParams("audience", testAudience, "scope", "openid profile email read:a undefined:x"), false)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	if r.body["scope"] != "openid profile email read:a" || r.body["expires_in"] != float64(3600) || r.body["token_type"] != "Bearer" {
		t.Fatalf("response %s", r.raw)
	}
	at := b.verify(t, r.body["access_token"].(string))
	aud, _ := at["aud"].([]any)
	if len(aud) != 2 || aud[0] != testAudience || aud[1] != testIssuer+"userinfo" {
		t.Fatalf("aud %v", at["aud"])
	}
	if at["sub"] != b.user.ID || at["gty"] != "password" || at["azp"] != b.webApp.ClientID || at["scope"] != "openid profile email read:a" || at["iss"] != testIssuer {
		t.Fatalf("access token %v", at)
	}
	id := b.verify(t, r.body["id_token"].(string))
	want := map[string]any{
		"iss": testIssuer, "sub": b.user.ID, "aud": b.webApp.ClientID, "email": "jane@example.test", "email_verified": true,
		"name": "Jane Doe", "nickname": "jd", "picture": "https://example.test/jane.png",
	}
	for k, v := range want {
		if id[k] != v {
			t.Errorf("id_token %s = %v, want %v", k, id[k], v)
		}
	}
	if _, ok := id["updated_at"].(string); !ok {
		t.Errorf("id_token updated_at %v", id["updated_at"])
	}
	if exp, iat := id["exp"].(float64), id["iat"].(float64); exp-iat != 36000 {
		t.Errorf("id_token lifetime %v", exp-iat)
	}

	u, err := b.db.UserGetByID(context.Background(), b.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.LoginsCount != 1 || u.LastLogin == nil || time.Since(*u.LastLogin) > time.Minute || u.LastIP != "127.0.0.1" {
		t.Fatalf("login not recorded: count %d last %v ip %q", u.LoginsCount, u.LastLogin, u.LastIP)
	}
	e := b.lastLog(t)
	if e.Type != keyhook.LogSuccessPasswordExchange || e.UserID != b.user.ID || e.ClientID != b.webApp.ClientID ||
		e.ClientName != "web" || e.Connection != keyhook.DefaultDatabaseConnection || e.Audience != testAudience ||
		e.Scope != "openid profile email read:a" {
		t.Fatalf("log %+v", e)
	}

	// A second login, by username, through the plain password grant and a
	// public client, without audience: the token is for /userinfo.
	r = b.post(t, url.Values{"grant_type": {GrantPassword}, "client_id": {b.spa.ClientID}, "username": {"jane"}, "password": {userPassword}, "scope": {"openid"}}, true)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	at = b.verify(t, r.body["access_token"].(string))
	if at["aud"] != testIssuer+"userinfo" || at["scope"] != "openid" || r.body["expires_in"] != float64(DefaultTokenLifetime) {
		t.Fatalf("access token %v", at)
	}
	id = b.verify(t, r.body["id_token"].(string))
	if _, ok := id["email"]; ok {
		t.Fatalf("id_token for scope openid carries email: %v", id)
	}
	if u, _ = b.db.UserGetByID(context.Background(), b.user.ID); u.LoginsCount != 2 {
		t.Fatalf("logins_count %d, want 2", u.LoginsCount)
	}
}

func TestPasswordDefaultScope(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.post(t, b.realmParams(), false)
	if r.status != 200 || r.body["scope"] != DefaultPasswordScope || r.body["id_token"] == nil {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}

func TestPasswordFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	blocked := &keyhook.User{ID: keyhook.NewDatabaseUserID(), Connection: keyhook.DefaultDatabaseConnection, Email: "blocked@example.test",
		PasswordHash: b.user.PasswordHash, Blocked: true, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := b.db.UserCreate(context.Background(), blocked); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params url.Values
		status int
		code   string
		desc   string
	}{
		{name: "wrong password", params: b.realmParams("password", "wrong"), status: 403, code: "invalid_grant", desc: "Wrong email or password."},
		{name: "unknown user", params: b.realmParams("username", "nobody@example.test"), status: 403, code: "invalid_grant", desc: "Wrong email or password."},
		{name: "user of another realm", params: b.realmParams("realm", "employees"), status: 403, code: "invalid_grant", desc: "Wrong email or password."},
		{name: "unknown realm", params: b.realmParams("realm", "nope"), status: 400, code: "invalid_request"},
		{name: "missing realm", params: b.realmParams("realm", ""), status: 400, code: "invalid_request", desc: "Missing required parameter: realm"},
		{name: "missing username", params: b.realmParams("username", ""), status: 400, code: "invalid_request", desc: "Missing required parameter: username"},
		{name: "missing password", params: b.realmParams("password", ""), status: 400, code: "invalid_request", desc: "Missing required parameter: password"},
		{name: "blocked", params: b.realmParams("username", "blocked@example.test"), status: 401, code: "unauthorized", desc: "user is blocked"},
		{name: "confidential client without secret", params: b.realmParams("client_secret", ""), status: 401, code: "access_denied", desc: "Unauthorized"},
		{name: "public client with a wrong secret", params: b.realmParams("client_id", b.spa.ClientID, "client_secret", "x"), status: 401, code: "access_denied"},
		{name: "unknown audience", params: b.realmParams("audience", "https://nope.test/"), status: 403, code: "access_denied", desc: "Service not found: https://nope.test/"},
		{
			name:   "grant not enabled",
			params: b.realmParams("client_id", b.m2m.ClientID, "client_secret", b.m2mSec),
			status: 403, code: "unauthorized_client", desc: "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client.",
		},
	}
	// The group returns only when its parallel subtests are done.
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := b.post(t, tt.params, false)
				r.wantError(t, tt.status, tt.code, tt.desc)
			})
		}
	})
	logs, _, err := b.db.LogList(context.Background(), storeLogsOfType(keyhook.LogFailedPasswordExchange))
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != len(tests) {
		t.Fatalf("%d fepft entries, want %d", len(logs), len(tests))
	}
	u, _ := b.db.UserGetByID(context.Background(), b.user.ID)
	if u.LoginsCount != 0 {
		t.Fatalf("failed logins counted: %d", u.LoginsCount)
	}
}
