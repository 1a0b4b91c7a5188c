package authapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/inputcheck"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/password"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/trigger"
)

type testBundle struct {
	store store.Store
	srv   *httptest.Server
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "keyhook.db"), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.ConnectionCreate(ctx, &keyhook.Connection{ID: "con_test", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	h := &Handler{Store: st, Triggers: &trigger.Engine{Store: st, JS: js, Tenant: "test"}}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testBundle{store: st, srv: srv}
}

func (b *testBundle) signup(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(b.srv.URL+"/dbconnections/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, out
}

func (b *testBundle) users(t *testing.T) []keyhook.User {
	t.Helper()
	users, _, err := b.store.UserList(context.Background(), store.UserListParams{})
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func (b *testBundle) logs(t *testing.T, typ string) []keyhook.LogEntry {
	t.Helper()
	logs, _, err := b.store.LogList(context.Background(), store.LogListParams{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return logs
}

func TestSignup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, body := b.signup(t, `{"connection":"Username-Password-Authentication","email":"Ann@Example.test","password":"Correct horse 1","username":"ann","user_metadata":{"color":"blue"}}`)
	if code != 200 {
		t.Fatalf("status %d: %v", code, body)
	}
	if body["email"] != "ann@example.test" || body["email_verified"] != false || body["username"] != "ann" {
		t.Errorf("body = %v", body)
	}
	id, _ := body["_id"].(string)
	if len(id) != 24 || strings.Contains(id, "|") {
		t.Errorf("_id = %q, want 24 hex without the auth0| prefix", id)
	}
	users := b.users(t)
	if len(users) != 1 || users[0].ID != "auth0|"+id {
		t.Fatalf("users = %+v", users)
	}
	if err := password.Verify("Correct horse 1", users[0].PasswordHash); err != nil {
		t.Errorf("stored hash does not verify: %v", err)
	}
	if users[0].UserMetadata["color"] != "blue" {
		t.Errorf("user_metadata = %v", users[0].UserMetadata)
	}
	if logs := b.logs(t, keyhook.LogSuccessSignup); len(logs) != 1 || logs[0].UserID != users[0].ID {
		t.Errorf("ss logs = %+v", logs)
	}
	jobs, err := b.store.JobList(context.Background(), store.JobListParams{Kind: trigger.HookJobArgs{}.Kind()})
	if err != nil || len(jobs) != 1 {
		t.Errorf("post-user-registration jobs = %d, %v", len(jobs), err)
	}

	code, body = b.signup(t, `{"connection":"Username-Password-Authentication","email":"ann@example.test","password":"Another one 2"}`)
	if code != 400 || body["code"] != "user_exists" || body["statusCode"] != 400.0 {
		t.Errorf("duplicate: %d %v", code, body)
	}
	if n := len(b.users(t)); n != 1 {
		t.Errorf("%d users after duplicate signup", n)
	}
	if logs := b.logs(t, keyhook.LogFailedSignup); len(logs) != 1 {
		t.Errorf("fs logs = %d", len(logs))
	}
}

func TestSignupHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name     string
		script   string
		wantCode int
		wantDesc string
		wantApp  map[string]any
	}{
		{"adds metadata", `module.exports = function (user, context, cb) {
  cb(null, { user: { app_metadata: { plan: context.webtask.secrets.PLAN, via: context.connection.name }, user_metadata: { hobby: 'surf' } } });
};`, 200, "", map[string]any{"plan": "pro", "via": keyhook.DefaultDatabaseConnection}},
		{"denies", `module.exports = function (user, context, cb) {
  if (user.email.endsWith('@example.test')) return cb(new PreUserRegistrationError('blocked domain', 'Please use your work email'));
  cb(null, {});
};`, 400, "blocked domain", nil},
		{"fails", `module.exports = function (user, context, cb) { undefinedFunction(); };`, 400, "The signup could not be completed (an extensibility hook failed).", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			h := &keyhook.Hook{ID: keyhook.NewHookID(), Name: "pur", Script: tt.script, TriggerID: keyhook.TriggerPreUserRegistration,
				Enabled: true, Dependencies: map[string]string{}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := b.store.HookCreate(ctx, h); err != nil {
				t.Fatal(err)
			}
			if err := b.store.HookSecretsPut(ctx, h.ID, map[string]string{"PLAN": "pro"}); err != nil {
				t.Fatal(err)
			}
			code, body := b.signup(t, `{"connection":"Username-Password-Authentication","email":"bob@example.test","password":"Correct horse 1"}`)
			if code != tt.wantCode {
				t.Fatalf("status %d: %v", code, body)
			}
			users := b.users(t)
			if tt.wantCode != 200 {
				if body["code"] != "extensibility_error" || len(users) != 0 {
					t.Errorf("body %v, %d users", body, len(users))
				}
				if tt.wantDesc != "" && body["description"] != tt.wantDesc {
					t.Errorf("description = %v, want %q", body["description"], tt.wantDesc)
				}
				logs := b.logs(t, keyhook.LogFailedSignup)
				if len(logs) != 1 || logs[0].Details["hooks"] == nil {
					t.Errorf("fs logs = %+v", logs)
				}
				return
			}
			if len(users) != 1 {
				t.Fatalf("%d users", len(users))
			}
			for k, v := range tt.wantApp {
				if users[0].AppMetadata[k] != v {
					t.Errorf("app_metadata = %v, want %v", users[0].AppMetadata, tt.wantApp)
				}
			}
			if users[0].UserMetadata["hobby"] != "surf" {
				t.Errorf("user_metadata = %v", users[0].UserMetadata)
			}
			logs := b.logs(t, keyhook.LogSuccessSignup)
			if len(logs) != 1 || logs[0].Details["hooks"] == nil {
				t.Errorf("ss logs = %+v", logs)
			}
		})
	}
}

func TestSignupBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, body, code string
	}{
		{"malformed", `{"connection":`, "invalid_signup"},
		{"not an object", `[]`, "invalid_signup"},
		{"unknown field", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","admin":true}`, "invalid_signup"},
		{"no connection", `{"email":"a@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"no email", `{"connection":"Username-Password-Authentication","password":"Correct horse 1"}`, "invalid_signup"},
		{"bad email", `{"connection":"Username-Password-Authentication","email":"nope","password":"Correct horse 1"}`, "invalid_signup"},
		{"no password", `{"connection":"Username-Password-Authentication","email":"a@b.test"}`, "invalid_signup"},
		{"weak password", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"short"}`, "invalid_password"},
		{"unknown connection", `{"connection":"Nope","email":"a@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"unknown client", `{"client_id":"nope","connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"metadata not string", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","user_metadata":{"a":1}}`, "invalid_signup"},
		{"NUL escape in email", `{"connection":"Username-Password-Authentication","email":"a\u0000@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"NUL escape in connection", `{"connection":"Username-Password-Authentication\u0000","email":"a@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"NUL escape in a metadata name", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","user_metadata":{"\u0000":"x"}}`, "invalid_signup"},
		{"raw invalid UTF-8", "{\"connection\":\"Username-Password-Authentication\",\"email\":\"a@b.test\",\"password\":\"Correct horse 1\",\"name\":\"\xff\"}", "invalid_signup"},
		{"unpaired surrogate", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","name":"\ud800"}`, "invalid_signup"},
		{"name too long", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","name":"` + strings.Repeat("n", 301) + `"}`, "invalid_signup"},
		{"given_name too long", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"Correct horse 1","given_name":"` + strings.Repeat("é", 151) + `"}`, "invalid_signup"},
		{"email too long", `{"connection":"Username-Password-Authentication","email":"` + strings.Repeat("a", 250) + `@b.test","password":"Correct horse 1"}`, "invalid_signup"},
		{"password too long", `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"` + strings.Repeat("p", 1025) + `"}`, "invalid_signup"},
	}
	for _, tt := range tests {
		code, body := b.signup(t, tt.body)
		if code != 400 || body["code"] != tt.code || body["description"] == "" || body["statusCode"] != 400.0 {
			t.Errorf("%s: %d %v, want 400 %s", tt.name, code, body, tt.code)
		}
	}
	code, body := b.signup(t, `{"connection":"Username-Password-Authentication","email":"a@b.test","password":"`+strings.Repeat("x", 10<<20)+`"}`)
	if code != 413 || body["code"] != "payload_too_large" || body["statusCode"] != 413.0 ||
		body["description"] != "Payload content length greater than maximum allowed: 65536" {
		t.Errorf("10 MB body: %d %v", code, body)
	}
	if n := len(b.users(t)); n != 0 {
		t.Errorf("bad input stored %d users", n)
	}
}

func FuzzParseSignup(f *testing.F) {
	for _, s := range []string{
		`{"connection":"c","email":"a@b.test","password":"Correct horse 1"}`,
		`{"connection":"c","email":"a@b.test","password":"x","user_metadata":{"a":"b"}}`,
		`{`, `null`, `[]`, `{"email":1}`, `{"connection":"c","email":"a@b.test","password":"x","name":"\u0000"}`,
		`{"connection":"c","email":"a@b.test","password":"x","user_metadata":{"\ud800":"b"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, msg := parseSignup([]byte(body))
		if (req == nil) == (msg == "") {
			t.Fatalf("parseSignup(%q) = %v, %q: exactly one must be set", body, req, msg)
		}
		if req == nil {
			return
		}
		if req.Connection == "" || req.Email == "" || req.Password == "" {
			t.Fatalf("accepted a body missing required fields: %q", body)
		}
		for _, s := range []string{req.ClientID, req.ClientSecret, req.Connection, req.Email, req.Password, req.Username,
			req.PhoneNumber, req.GivenName, req.FamilyName, req.Name, req.Nickname, req.Picture} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > keyhook.MaxPasswordLen {
				t.Fatalf("accepted %q from %q", s, body)
			}
		}
		for k, v := range req.UserMetadata {
			s, _ := v.(string)
			if strings.ContainsRune(k, 0) || strings.ContainsRune(s, 0) || !utf8.ValidString(k) || !utf8.ValidString(s) {
				t.Fatalf("accepted metadata %q: %q from %q", k, s, body)
			}
		}
	})
}

func TestWriteInputError(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	req := httptest.NewRequest("POST", "/dbconnections/signup?connection=%00", nil)
	rec := httptest.NewRecorder()
	if !h.WriteInputError(rec, req, inputcheck.URL(req.URL)) {
		t.Fatal("/dbconnections/signup not claimed")
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 400 || body["name"] != "BadRequestError" ||
		body["statusCode"] != 400.0 || body["description"] != `Invalid request: query parameter "connection" contains a NUL character` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("GET", "/oauth/token?x=%00", nil)
	if h.WriteInputError(httptest.NewRecorder(), req, inputcheck.URL(req.URL)) {
		t.Fatal("claimed a path outside /dbconnections/")
	}
}
