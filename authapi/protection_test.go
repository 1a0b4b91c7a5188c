package authapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/trigger"
)

// TestSignupPasswordStrengthError compares the whole answer with the
// PasswordStrengthError Auth0 gave for the same password under the good
// policy (recorded in go-auth0's tests).
func TestSignupPasswordStrengthError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := http.Post(b.srv.URL+"/dbconnections/signup", "application/json",
		strings.NewReader(`{"connection":"Username-Password-Authentication","email":"a@b.test","password":"hello!@#$"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	const auth0 = `{"name":"PasswordStrengthError","message":"Password is too weak","code":"invalid_password","description":{"rules":[{"message":"At least %d characters in length","format":[8],"code":"lengthAtLeast","verified":true},{"message":"Contain at least %d of the following %d types of characters:","code":"containsAtLeast","format":[3,4],"items":[{"message":"lower case letters (a-z)","code":"lowerCase","verified":true},{"message":"upper case letters (A-Z)","code":"upperCase","verified":false},{"message":"numbers (i.e. 0-9)","code":"numbers","verified":false},{"message":"special characters (e.g. !@#$%^&*)","code":"specialCharacters","verified":true}],"verified":false}],"verified":false},"policy":"* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)","statusCode":400}`
	if resp.StatusCode != 400 || !sameJSON(t, raw, []byte(auth0)) {
		t.Fatalf("got %d %s\nwant 400 %s", resp.StatusCode, raw, auth0)
	}
	if n := len(b.users(t)); n != 0 {
		t.Fatalf("a weak password stored %d users", n)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %s", a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestSignupPolicyPerConnection: each connection's own policy and minimum
// length apply.
func TestSignupPolicyPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []*keyhook.Connection{
		{ID: "con_x", Name: "strict", Strategy: "auth0", PasswordPolicy: "excellent"},
		{ID: "con_f", Name: "fair", Strategy: "auth0", PasswordPolicy: "fair", PasswordMinLength: 10},
		{ID: "con_n", Name: "lax", Strategy: "auth0", PasswordPolicy: "none"},
	} {
		if err := b.store.ConnectionCreate(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		connection, password string
		ok                   bool
		policy               string // the start of the policy text when refused
	}{
		{"strict", "Abcdef1!x", false, "* At least 10 characters in length\n"},
		{"strict", "Abcdef1!!!xy", false, "* At least 10 characters"},
		{"strict", "Abcdef1!!xy", true, ""},
		{"fair", "Abcdefgh1", false, "* At least 10 characters in length\n* Should contain:\n * lower case letters (a-z)"},
		{"fair", "abcdefgh12", false, "* At least 10"},
		{"fair", "Abcdefgh12", true, ""},
		{"lax", "x", true, ""},
	}
	for i, tt := range tests {
		code, body := b.signup(t, fmt.Sprintf(`{"connection":%q,"email":"u%d@b.test","password":%q}`, tt.connection, i, tt.password))
		if tt.ok {
			if code != 200 {
				t.Errorf("%s %q: %d %v", tt.connection, tt.password, code, body)
			}
			continue
		}
		policy, _ := body["policy"].(string)
		if code != 400 || body["name"] != "PasswordStrengthError" || body["code"] != "invalid_password" || !strings.HasPrefix(policy, tt.policy) {
			t.Errorf("%s %q: %d %v", tt.connection, tt.password, code, body)
		}
	}
}

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSignupsPerIP: every signup attempt, good or bad, spends one of the
// IP's; past them the answer is 429 with Retry-After in the legacy shape,
// and one limit_mu entry records the episode however long the flood.
func TestSignupsPerIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := &manualClock{t: time.Unix(1_700_000_000, 0)}
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	h := &Handler{Store: b.store, Triggers: &trigger.Engine{Store: b.store, JS: js, Tenant: "test"},
		SignupsPerIP: ratelimit.New(ratelimit.Config{Capacity: 2, RefillPerSecond: 1.0 / 30, Now: clock.Now})}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b.srv = srv

	signup := func(email string) *http.Response {
		t.Helper()
		resp, err := http.Post(srv.URL+"/dbconnections/signup", "application/json",
			strings.NewReader(`{"connection":"Username-Password-Authentication","email":"`+email+`","password":"Correct horse 1"}`))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := signup("a@b.test"); r.StatusCode != 200 {
		t.Fatalf("first signup: %d", r.StatusCode)
	}
	if code, _ := b.signup(t, `{"connection":`); code != 400 {
		t.Fatalf("malformed signup: %d", code)
	}
	for range 5 {
		r := signup("c@b.test")
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 429 || r.Header.Get("Retry-After") != "30" || body["code"] != "too_many_attempts" ||
			body["statusCode"] != 429.0 || body["name"] != "TooManyRequestsError" || body["description"] == "" {
			t.Fatalf("past the limit: %d Retry-After %q %v", r.StatusCode, r.Header.Get("Retry-After"), body)
		}
	}
	if n := len(b.users(t)); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	logs := b.logs(t, keyhook.LogBlockedIP)
	if len(logs) != 1 || logs[0].IP != "127.0.0.1" {
		t.Fatalf("limit_mu logs = %+v, want one for 127.0.0.1", logs)
	}
	clock.Advance(30 * time.Second)
	if r := signup("c@b.test"); r.StatusCode != 200 {
		t.Fatalf("after the wait: %d", r.StatusCode)
	}
}
