package mgmtapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/trigger"
)

var (
	userIDPattern = regexp.MustCompile(`^auth0\|[0-9a-f]{24}$`)
	isoMillis     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func (b *bundle) createUser(body map[string]any) map[string]any {
	b.t.Helper()
	if _, ok := body["connection"]; !ok {
		body["connection"] = keyhook.DefaultDatabaseConnection
	}
	if _, ok := body["password"]; !ok {
		body["password"] = "Correct horse battery 1"
	}
	return b.must(http.StatusCreated, "POST", "/api/v2/users", body).object(b.t)
}

func userPath(id string) string { return "/api/v2/users/" + url.PathEscape(id) }

func TestUserCreateAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{
		"email": "Jane.Doe@Example.com", "given_name": "Jane", "family_name": "Doe",
		"user_metadata": map[string]any{"hobby": "surfing"}, "app_metadata": map[string]any{"plan": "full"},
	})
	id := u["user_id"].(string)
	if !userIDPattern.MatchString(id) {
		t.Fatalf("user_id %q", id)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if s, _ := u[k].(string); !isoMillis.MatchString(s) {
			t.Fatalf("%s = %q, want ISO 8601 with ms and Z", k, u[k])
		}
	}
	pic, _ := u["picture"].(string)
	if !strings.HasPrefix(pic, "https://s.gravatar.com/avatar/") {
		t.Fatalf("picture %q", pic)
	}
	want := fmt.Sprintf(`{"user_id":%q,"email":"jane.doe@example.com","email_verified":false,"name":"Jane Doe",
		"nickname":"jane.doe","picture":%q,"given_name":"Jane","family_name":"Doe","created_at":%q,"updated_at":%q,
		"identities":[{"connection":"Username-Password-Authentication","user_id":%q,"provider":"auth0","isSocial":false}],
		"app_metadata":{"plan":"full"},"user_metadata":{"hobby":"surfing"},"logins_count":0,"blocked":false}`,
		id, pic, u["created_at"], u["updated_at"], strings.TrimPrefix(id, "auth0|"))
	jsonEqual(t, u, want)

	// The id is URL-encoded in the path (auth0%7C…).
	r := b.must(200, "GET", "/api/v2/users/"+strings.Replace(id, "|", "%7C", 1), nil)
	jsonEqual(t, r.json(t), want)
	jsonEqual(t, b.must(200, "GET", userPath(id)+"?fields=user_id,email", nil).json(t), fmt.Sprintf(`{"user_id":%q,"email":"jane.doe@example.com"}`, id))

	stored, err := b.db.UserGetByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := password.Verify("Correct horse battery 1", stored.PasswordHash); err != nil {
		t.Fatalf("stored hash does not verify: %v", err)
	}
	if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "password") {
		t.Fatalf("user JSON leaks the password: %s", r.body)
	}

	// A given user_id gets the provider prefix.
	u2 := b.createUser(map[string]any{"user_id": "custom-1", "username": "bob", "phone_number": "+14155550100"})
	if u2["user_id"] != "auth0|custom-1" || u2["nickname"] != "bob" || u2["phone_verified"] != false || u2["username"] != "bob" {
		t.Fatalf("custom id user %v", u2)
	}
	if _, ok := u2["email"]; ok {
		t.Fatalf("absent email rendered: %v", u2)
	}

	r = b.adminDo("GET", "/api/v2/users/auth0%7Cnope", nil)
	if r.status != 404 || string(r.body) != `{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}` {
		t.Fatalf("missing user: %d %s", r.status, r.body)
	}
}

func TestUserCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createUser(map[string]any{"email": "taken@example.com", "username": "taken"})
	ok := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"connection": keyhook.DefaultDatabaseConnection, "email": "new@example.com", "password": "Long enough pw 1"}
		mod(m)
		return m
	}
	tests := []struct {
		name    string
		body    any
		status  int
		code    string
		message string
	}{
		{"missing connection", ok(func(m map[string]any) { delete(m, "connection") }), 400, "invalid_body", "Payload validation error: 'Missing required property: connection'."},
		{"unknown connection", ok(func(m map[string]any) { m["connection"] = "nope" }), 400, "inexistent_connection", "The connection does not exist."},
		{"missing email", ok(func(m map[string]any) { delete(m, "email") }), 400, "invalid_body", "Payload validation error: 'Missing required property: email'."},
		{"missing password", ok(func(m map[string]any) { delete(m, "password") }), 400, "invalid_body", "Payload validation error: 'Missing required property: password'."},
		{"weak password", ok(func(m map[string]any) { m["password"] = "short" }), 400, "", "PasswordStrengthError: Password is too weak"},
		{"bad email", ok(func(m map[string]any) { m["email"] = "not-an-email" }), 400, "invalid_body", "Payload validation error: 'Object didn't pass validation for format email: not-an-email' on property email (The user's email)."},
		{"bad phone", ok(func(m map[string]any) { m["phone_number"] = "555-1234" }), 400, "invalid_body", "Payload validation error: 'Object didn't pass validation for format phone_number…"},
		{"unknown property", ok(func(m map[string]any) { m["favourite_colour"] = "red" }), 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: favourite_colour'."},
		{"wrong type", ok(func(m map[string]any) { m["email_verified"] = "yes" }), 400, "invalid_body", "Payload validation error: 'Expected type boolean but found type string' on property email_verified."},
		{"metadata not object", ok(func(m map[string]any) { m["user_metadata"] = "x" }), 400, "invalid_body", "Payload validation error: 'Expected type object but found type string' on property user_metadata."},
		{"metadata key with dot", ok(func(m map[string]any) { m["app_metadata"] = map[string]any{"a.b": 1} }), 400, "invalid_body", "Payload validation error: 'Metadata property names…"},
		{"duplicate email", ok(func(m map[string]any) { m["email"] = "TAKEN@example.com" }), 409, "auth0_idp_error", "The user already exists."},
		{"duplicate username", ok(func(m map[string]any) { m["username"] = "taken" }), 409, "auth0_idp_error", "The user already exists."},
		{"malformed", `{"connection":1`, 400, "invalid_body", "Invalid request payload JSON format"},
	}
	for _, tc := range tests {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("POST", "/api/v2/users", tc.body), tc.status, tc.code, tc.message)
		})
	}
	r := b.adminDo("POST", "/api/v2/users", ok(func(m map[string]any) { m["email"] = "taken@example.com" }))
	if string(r.body) != `{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}` {
		t.Fatalf("409 body %s", r.body)
	}
	b.createUser(map[string]any{"user_id": "fixed", "email": "a@example.com"})
	b.unchanged("duplicate user_id", func() {
		wantError(t, b.adminDo("POST", "/api/v2/users", ok(func(m map[string]any) { m["user_id"] = "fixed" })), 409, "auth0_idp_error", "The user already exists.")
	})
}

func TestUserUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{
		"email": "meta@example.com", "given_name": "Old",
		"user_metadata": map[string]any{"a": 1, "b": map[string]any{"x": 1}, "c": 3},
		"app_metadata":  map[string]any{"roles": []string{"admin"}},
	})
	b.createUser(map[string]any{"email": "other@example.com"})
	id := u["user_id"].(string)
	got := b.must(200, "PATCH", userPath(id), map[string]any{
		"user_metadata": map[string]any{"b": map[string]any{"y": 2}, "c": nil, "d": "new"},
		"given_name":    nil,
		"family_name":   "New",
		"blocked":       true,
	}).object(t)
	jsonEqual(t, got["user_metadata"], `{"a":1,"b":{"y":2},"d":"new"}`)
	jsonEqual(t, got["app_metadata"], `{"roles":["admin"]}`)
	if _, ok := got["given_name"]; ok || got["family_name"] != "New" || got["blocked"] != true {
		t.Fatalf("patched user %v", got)
	}
	if got["updated_at"] == u["updated_at"] && got["created_at"] != u["created_at"] {
		t.Fatalf("timestamps %v", got)
	}
	got = b.must(200, "PATCH", userPath(id), map[string]any{"app_metadata": map[string]any{}}).object(t)
	if _, ok := got["app_metadata"]; ok {
		t.Fatalf("app_metadata {} did not empty it: %v", got)
	}
	got = b.must(200, "PATCH", userPath(id), map[string]any{"email": "New@Example.com", "email_verified": true}).object(t)
	if got["email"] != "new@example.com" || got["email_verified"] != true {
		t.Fatalf("email change %v", got)
	}

	for _, tc := range []struct {
		name    string
		body    any
		status  int
		code    string
		message string
	}{
		{"wrong type", map[string]any{"blocked": "yes"}, 400, "invalid_body", "Payload validation error: 'Expected type boolean but found type string' on property blocked."},
		{"metadata wrong type", map[string]any{"user_metadata": []int{1}}, 400, "invalid_body", "Payload validation error: 'Expected type object but found type array' on property user_metadata."},
		{"weak password", map[string]any{"password": "abc"}, 400, "", "PasswordStrengthError: Password is too weak"},
		{"email taken", map[string]any{"email": "other@example.com"}, 409, "", "The specified new email or username already exists"},
		{"bad email", map[string]any{"email": "x"}, 400, "invalid_body", "Payload validation error: 'Object didn't pass validation for format email: x'…"},
		{"malformed", `{"blocked":`, 400, "invalid_body", "Invalid request payload JSON format"},
		{"not an object", `"x"`, 400, "invalid_body", "Payload validation error: 'Expected type object but found type string'."},
		// Auth0 refuses what a GET returns but PATCH does not take, with its advice.
		{"unknown properties", map[string]any{"blocked": true, "logins_count": 3, "locale": "fr"}, 400, "invalid_body", `Payload validation error: 'Additional properties not allowed: locale,logins_count (consider storing them in app_metadata or user_metadata. See "Users Metadata" in https://auth0.com/docs/api/v2/changes for more details)'.`},
		{"user_id", map[string]any{"user_id": "x"}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: user_id (consider…"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("PATCH", userPath(id), tc.body), tc.status, tc.code, tc.message)
		})
	}
	if logs, _, err := b.db.LogList(t.Context(), store.LogListParams{Type: keyhook.LogFailedChangePassword}); err != nil || len(logs) != 1 || logs[0].UserID != id {
		t.Fatalf("fcp log entries %+v, %v", logs, err)
	}
	b.unchanged("missing user", func() {
		wantError(t, b.adminDo("PATCH", userPath("auth0|missing"), map[string]any{"blocked": true}), 404, "inexistent_user", "The user does not exist.")
	})

	// update:users_app_metadata alone may change metadata and nothing else.
	meta := b.token("update:users_app_metadata")
	if r := b.do("PATCH", userPath(id), meta, map[string]any{"app_metadata": map[string]any{"k": "v"}}); r.status != 200 {
		t.Fatalf("metadata-only patch: %d %s", r.status, r.body)
	}
	b.unchanged("metadata scope, other field", func() {
		wantError(t, b.do("PATCH", userPath(id), meta, map[string]any{"blocked": false}), 403, "insufficient_scope", "Insufficient scope, expected any of: update:users")
	})
}

func TestUserPasswordChange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.createUser(map[string]any{"email": "pw@example.com"})
	id := u["user_id"].(string)
	if _, ok := u["last_password_reset"]; ok {
		t.Fatalf("new user has last_password_reset: %v", u)
	}
	got := b.must(200, "PATCH", userPath(id), map[string]any{"password": "A brand new password 2", "connection": keyhook.DefaultDatabaseConnection}).object(t)
	reset, _ := got["last_password_reset"].(string)
	if !isoMillis.MatchString(reset) {
		t.Fatalf("last_password_reset %q", got["last_password_reset"])
	}
	stored, err := b.db.UserGetByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := password.Verify("A brand new password 2", stored.PasswordHash); err != nil {
		t.Fatalf("new password does not verify: %v", err)
	}

	logs, _, err := b.db.LogList(t.Context(), store.LogListParams{Type: keyhook.LogSuccessChangePassword})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || logs[0].UserID != id || logs[0].UserName != "pw@example.com" || logs[0].Connection != keyhook.DefaultDatabaseConnection || logs[0].ClientID != "admin-client" {
		t.Fatalf("scp log entries %+v", logs)
	}

	jobs, err := b.db.JobList(t.Context(), store.JobListParams{Kind: trigger.HookJobArgs{}.Kind()})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d hook jobs, want 1", len(jobs))
	}
	var job trigger.HookJobArgs
	if err := json.Unmarshal(jobs[0].Args, &job); err != nil {
		t.Fatal(err)
	}
	if job.Trigger != keyhook.TriggerPostChangePassword || job.UserID != id || len(job.Args) != 2 {
		t.Fatalf("job %+v", job)
	}
	var hookUser map[string]any
	if err := json.Unmarshal(job.Args[0], &hookUser); err != nil {
		t.Fatal(err)
	}
	if hookUser["id"] != strings.TrimPrefix(id, "auth0|") || hookUser["email"] != "pw@example.com" || hookUser["last_password_reset"] != reset {
		t.Fatalf("hook user arg %v (reset %s)", hookUser, reset)
	}

	// A rejected password change writes neither log nor job.
	b.unchanged("weak password", func() {
		b.adminDo("PATCH", userPath(id), map[string]any{"password": "weak"})
	})
}

func TestUserListAndSearch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	b.h.Now = func() time.Time { now = now.Add(time.Second); return now }
	var ids []string
	for i := 0; i < 5; i++ {
		u := b.createUser(map[string]any{"email": fmt.Sprintf("user%d@example.com", i)})
		ids = append(ids, u["user_id"].(string))
	}
	all := b.must(200, "GET", "/api/v2/users", nil).array(t)
	if len(all) != 5 {
		t.Fatalf("%d users", len(all))
	}
	r := b.must(200, "GET", "/api/v2/users?page=1&per_page=2&include_totals=true&sort=created_at:1", nil).object(t)
	if strings.Join(keys(r), ",") != "length,limit,start,total,users" {
		t.Fatalf("keys %v", keys(r))
	}
	if r["start"] != float64(2) || r["limit"] != float64(2) || r["length"] != float64(2) || r["total"] != float64(5) {
		t.Fatalf("page %v", r)
	}
	page := r["users"].([]any)
	if page[0].(map[string]any)["user_id"] != ids[2] || page[1].(map[string]any)["user_id"] != ids[3] {
		t.Fatalf("sort created_at:1 page 1 = %v", page)
	}
	desc := b.must(200, "GET", "/api/v2/users?sort=created_at:-1&per_page=1", nil).array(t)
	if desc[0].(map[string]any)["user_id"] != ids[4] {
		t.Fatalf("sort created_at:-1 = %v", desc)
	}
	found := b.must(200, "GET", "/api/v2/users?q="+url.QueryEscape(`email:"user3@example.com"`)+"&search_engine=v3", nil).array(t)
	if len(found) != 1 || found[0].(map[string]any)["user_id"] != ids[3] {
		t.Fatalf("q email: %v", found)
	}
	byID := b.must(200, "GET", "/api/v2/users?include_totals=true&q="+url.QueryEscape(`user_id:"`+ids[1]+`"`), nil).object(t)
	if byID["total"] != float64(1) || len(byID["users"].([]any)) != 1 {
		t.Fatalf("q user_id: %v", byID)
	}
	jsonEqual(t, b.must(200, "GET", "/api/v2/users?fields=email&per_page=1&sort=email:1", nil).json(t), `[{"email":"user0@example.com"}]`)
	if got := b.must(200, "GET", "/api/v2/users?connection=other", nil).array(t); len(got) != 0 {
		t.Fatalf("connection filter: %v", got)
	}

	byEmail := b.must(200, "GET", "/api/v2/users-by-email?email=user2%40example.com", nil).array(t)
	if len(byEmail) != 1 || byEmail[0].(map[string]any)["user_id"] != ids[2] {
		t.Fatalf("users-by-email: %v", byEmail)
	}
	if got := b.must(200, "GET", "/api/v2/users-by-email?email=USER2%40example.com", nil).array(t); len(got) != 0 {
		t.Fatalf("users-by-email is case-sensitive: %v", got)
	}

	for _, tc := range []struct{ path, message string }{
		{"/api/v2/users?sort=password:1", "Query validation error: 'Sorting by password is not supported…"},
		{"/api/v2/users?sort=email", "Query validation error: 'String does not match pattern…"},
		{"/api/v2/users?q=name:jane*", "Query validation error: unsupported q…"},
		{"/api/v2/users?per_page=1000", "Query validation error: 'Too big: 1000 (max 100)' on property per_page."},
		{"/api/v2/users?search_engine=v9", "Query validation error: 'No enum match for: \"v9\"'…"},
		{"/api/v2/users-by-email", "Query validation error: 'Missing required property: email'."},
	} {
		wantError(t, b.adminDo("GET", tc.path, nil), 400, "invalid_query_string", tc.message)
	}

	b.must(204, "DELETE", userPath(ids[0]), nil)
	wantError(t, b.adminDo("GET", userPath(ids[0]), nil), 404, "inexistent_user", "The user does not exist.")
	b.must(204, "DELETE", userPath(ids[0]), nil)
}
