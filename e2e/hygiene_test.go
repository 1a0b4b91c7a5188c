//go:build unix

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInputHygiene drives the real `keyhook serve`, on SQLite and on PostgreSQL, with what an
// attacker's probes send: a NUL or invalid UTF-8 in the path, the query and the body (signup
// email, token audience, user names, hook scripts), unauthenticated where the route allows,
// and bodies far over the size caps. Every one answers 400 (or 413) in its API's error shape
// and the store holds nothing more afterwards. It also checks that every endpoint discovery
// advertises answers, and that --log-level debug logs one line per request without secrets.
func TestInputHygiene(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	e2eDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildServer(t, filepath.Dir(e2eDir))
	t.Run("sqlite", func(t *testing.T) { hygieneSuite(t, bin, "") })
	t.Run("postgres", func(t *testing.T) {
		admin := os.Getenv("KEYHOOK_TEST_POSTGRES_URL")
		if admin == "" {
			if os.Getenv("KEYHOOK_E2E") == "1" {
				t.Fatal("KEYHOOK_E2E=1 but KEYHOOK_TEST_POSTGRES_URL is not set")
			}
			t.Skip("KEYHOOK_TEST_POSTGRES_URL is not set")
		}
		hygieneSuite(t, bin, freshDatabase(t, admin))
	})
}

type hygieneClient struct {
	t     *testing.T
	base  string
	token string
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c *hygieneClient) send(method, target, contentType, body string, header ...string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+target, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (c *hygieneClient) admin(method, target, body string) answer {
	c.t.Helper()
	return c.send(method, target, "application/json", body, "Authorization", "Bearer "+c.token)
}

// count returns how many items a Management API list holds.
func (c *hygieneClient) count(path string) int {
	c.t.Helper()
	a := c.admin("GET", path, "")
	if a.status != 200 {
		c.t.Fatalf("GET %s: %d %s", path, a.status, a.raw)
	}
	var items []any
	if err := json.Unmarshal([]byte(a.raw), &items); err != nil {
		c.t.Fatalf("GET %s: %v: %s", path, err, a.raw)
	}
	return len(items)
}

func (c *hygieneClient) state() [4]int {
	return [4]int{c.count("/api/v2/users?per_page=100"), c.count("/api/v2/hooks?per_page=100"),
		c.count("/api/v2/clients?per_page=100"), c.count("/api/v2/logs?per_page=100")}
}

func hygieneSuite(t *testing.T, bin, databaseURL string) {
	srv := startServer(t, bin, databaseURL, "--log-level", "debug")
	issuer := "https://" + srv.domain + "/"
	c := &hygieneClient{t: t, base: srv.httpURL}
	tok := c.send("POST", "/oauth/token", "application/x-www-form-urlencoded", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {adminClientID}, "client_secret": {adminClientSecret},
		"audience": {issuer + "api/v2/"},
	}.Encode())
	if tok.status != 200 {
		t.Fatalf("admin token: %d %s", tok.status, tok.raw)
	}
	c.token, _ = tok.body["access_token"].(string)

	mgmt := func(status int, code string) func(answer) bool {
		return func(a answer) bool {
			return a.status == status && a.body["statusCode"] == float64(status) && a.body["error"] == http.StatusText(status) &&
				(code == "" || a.body["errorCode"] == code) && a.body["message"] != nil
		}
	}
	oauth := func(status int) func(answer) bool {
		return func(a answer) bool {
			return a.status == status && a.body["error"] == "invalid_request" && a.body["error_description"] != nil &&
				a.header.Get("Cache-Control") == "no-store" && a.header.Get("Pragma") == "no-cache"
		}
	}
	legacy := func(status int) func(answer) bool {
		return func(a answer) bool {
			return a.status == status && a.body["statusCode"] == float64(status) && a.body["name"] != nil && a.body["code"] != nil &&
				a.body["description"] != nil
		}
	}
	plain := func(a answer) bool {
		return a.status == 400 && a.body["statusCode"] == 400.0 && a.body["message"] != nil
	}
	form := "application/x-www-form-urlencoded"
	signup := func(email, connection string) string {
		b, _ := json.Marshal(map[string]string{"connection": connection, "email": email, "password": "Correct-Horse-7-battery"})
		return string(b)
	}
	const conn = "Username-Password-Authentication"
	huge := strings.Repeat("x", 10<<20)

	before := c.state()
	cases := []struct {
		name string
		do   func() answer
		ok   func(answer) bool
	}{
		{"mgmt path NUL", func() answer { return c.admin("GET", "/api/v2/users/auth0%7C%00", "") }, mgmt(400, "invalid_uri")},
		{"mgmt path NUL, no token", func() answer { return c.send("DELETE", "/api/v2/users/auth0%7C%00", "", "") }, mgmt(400, "invalid_uri")},
		{"mgmt path invalid UTF-8", func() answer { return c.admin("PATCH", "/api/v2/hooks/%ff", `{"enabled":true}`) }, mgmt(400, "invalid_uri")},
		{"mgmt query NUL", func() answer { return c.admin("GET", "/api/v2/users?q=email%3A%22a%00%40b.test%22", "") }, mgmt(400, "invalid_query_string")},
		{"users-by-email NUL", func() answer { return c.admin("GET", "/api/v2/users-by-email?email=a%00%40b.test", "") }, mgmt(400, "invalid_query_string")},
		{"user email NUL", func() answer {
			return c.admin("POST", "/api/v2/users", `{"connection":"`+conn+`","email":"a\u0000@b.test","password":"Correct-Horse-7-battery"}`)
		}, mgmt(400, "invalid_body")},
		{"user name NUL in metadata key", func() answer {
			return c.admin("POST", "/api/v2/users", `{"connection":"`+conn+`","email":"a@b.test","password":"Correct-Horse-7-battery","app_metadata":{"\u0000":1}}`)
		}, mgmt(400, "invalid_body")},
		{"user name too long", func() answer {
			return c.admin("POST", "/api/v2/users", `{"connection":"`+conn+`","email":"a@b.test","password":"Correct-Horse-7-battery","name":"`+strings.Repeat("n", 200000)+`"}`)
		}, mgmt(400, "invalid_body")},
		{"hook script NUL", func() answer {
			return c.admin("POST", "/api/v2/hooks", `{"name":"h","script":"module.exports = function (u, c, cb) { cb(); }; //\u0000","triggerId":"post-user-registration"}`)
		}, mgmt(400, "invalid_body")},
		{"hook name surrogate", func() answer {
			return c.admin("POST", "/api/v2/hooks", `{"name":"\ud800","script":"x","triggerId":"post-user-registration"}`)
		}, mgmt(400, "invalid_body")},
		{"client name NUL", func() answer { return c.admin("POST", "/api/v2/clients", `{"name":"a\u0000"}`) }, mgmt(400, "invalid_body")},
		{"mgmt 10 MB body", func() answer { return c.admin("POST", "/api/v2/users", `{"name":"`+huge+`"}`) }, mgmt(413, "")},
		{"signup email NUL", func() answer {
			return c.send("POST", "/dbconnections/signup", "application/json", signup("x\u0000@b.test", conn))
		}, legacy(400)},
		{"signup connection NUL", func() answer {
			return c.send("POST", "/dbconnections/signup", "application/json", signup("x@b.test", conn+"\u0000"))
		}, legacy(400)},
		{"signup invalid UTF-8", func() answer {
			return c.send("POST", "/dbconnections/signup", "application/json", "{\"connection\":\""+conn+"\",\"email\":\"\xff@b.test\",\"password\":\"Correct-Horse-7-battery\"}")
		}, legacy(400)},
		{"signup query NUL", func() answer {
			return c.send("POST", "/dbconnections/signup?x=%00", "application/json", signup("x@b.test", conn))
		}, legacy(400)},
		{"signup 10 MB body", func() answer {
			return c.send("POST", "/dbconnections/signup", "application/json", `{"email":"`+huge+`"}`)
		}, legacy(413)},
		{"token audience NUL, form", func() answer {
			return c.send("POST", "/oauth/token", form, "grant_type=client_credentials&client_id="+adminClientID+"&client_secret="+adminClientSecret+"&audience=x%00")
		}, oauth(400)},
		{"token audience NUL, JSON", func() answer {
			return c.send("POST", "/oauth/token", "application/json", `{"grant_type":"client_credentials","client_id":"`+adminClientID+`","client_secret":"`+adminClientSecret+`","audience":"\u0000"}`)
		}, oauth(400)},
		{"token client_id NUL, unauthenticated", func() answer {
			return c.send("POST", "/oauth/token", form, "grant_type=password&client_id=a%00&username=a%40b.test&password=x")
		}, oauth(400)},
		{"token Basic NUL", func() answer {
			return c.send("POST", "/oauth/token", form, "grant_type=client_credentials", "Authorization", "Basic YQBiOmM=") // "a\x00b:c"
		}, oauth(400)},
		{"token User-Agent invalid UTF-8", func() answer {
			return c.send("POST", "/oauth/token", form, "grant_type=client_credentials&client_id="+adminClientID+"&client_secret="+adminClientSecret+
				"&audience="+url.QueryEscape(issuer+"api/v2/"), "User-Agent", "tool/\xff")
		}, oauth(400)},
		{"signup Accept-Language invalid UTF-8", func() answer {
			return c.send("POST", "/dbconnections/signup", "application/json", signup("x@b.test", conn), "Accept-Language", "\xc3")
		}, legacy(400)},
		{"token query NUL", func() answer {
			return c.send("POST", "/oauth/token?audience=%00", form, "grant_type=client_credentials")
		}, oauth(400)},
		{"token 10 MB body", func() answer { return c.send("POST", "/oauth/token", form, "scope="+huge) }, oauth(413)},
		{"discovery query NUL", func() answer { return c.send("GET", "/.well-known/openid-configuration?x=%00", "", "") }, plain},
		{"healthz path", func() answer { return c.send("GET", "/healthz%00", "", "") }, plain},
	}
	for _, tt := range cases {
		a := tt.do()
		if !tt.ok(a) {
			t.Errorf("%s: %d %v %.300s", tt.name, a.status, a.header, a.raw)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tt.name)
		}
	}
	if after := c.state(); after != before {
		t.Errorf("refused requests changed the store: users, hooks, clients, logs %v -> %v", before, after)
	}
	srv.checkAlive(t)

	// Every endpoint discovery advertises is served (here over --http, same routes).
	disc := c.send("GET", "/.well-known/openid-configuration", "", "")
	if disc.status != 200 {
		t.Fatalf("discovery: %d %s", disc.status, disc.raw)
	}
	for k, v := range disc.body {
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, issuer) || k == "issuer" {
			continue
		}
		path := "/" + strings.TrimPrefix(s, issuer)
		for _, method := range []string{"GET", "POST"} {
			if a := c.send(method, path, form, ""); a.status == http.StatusNotFound {
				t.Errorf("discovery's %s %s answers %s 404", k, s, method)
			}
		}
	}
	for _, k := range []string{"token_endpoint", "jwks_uri"} {
		if _, ok := disc.body[k]; !ok {
			t.Errorf("discovery lacks %s", k)
		}
	}

	// One debug line per request: the admin token request names its client, and no line
	// holds the secret, the token or a query string.
	time.Sleep(100 * time.Millisecond) // the server writes its log line after the response
	logText, err := os.ReadFile(srv.logPath)
	if err != nil {
		t.Fatal(err)
	}
	var tokenLine bool
	for _, line := range strings.Split(string(logText), "\n") {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "path=/oauth/token") &&
			strings.Contains(line, "status=200") && strings.Contains(line, "client_id="+adminClientID) {
			tokenLine = true
		}
	}
	if !tokenLine {
		t.Errorf("no debug line for the admin token request in:\n%s", tail(srv.logPath, 8<<10))
	}
	for _, secret := range []string{adminClientSecret, c.token, "audience=", "q=email"} {
		if strings.Contains(string(logText), secret) {
			t.Errorf("the server log holds %.40q", secret)
		}
	}
}
