package mgmtapi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/actionbuild"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/npmdeps"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/webhook"
)

// variant serves the same tenant through a copy of the handler changed by
// mod, on a server of its own (the handler is never changed while a server
// reads it).
func (b *bundle) variant(mod func(h *Handler)) *bundle {
	b.t.Helper()
	h := *b.h
	mod(&h)
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	b.t.Cleanup(srv.Close)
	nb := *b
	nb.h, nb.mux, nb.srv = &h, mux, srv
	return &nb
}

// runBuilds works every queued build job with builder, as the server's
// queue would. It reports errors instead of failing the test, so that a
// goroutine may call it.
func runBuilds(ctx context.Context, db store.Store, builder actionbuild.Builder) error {
	jobs, err := db.JobList(ctx, store.JobListParams{Kind: actionbuild.JobArgs{}.Kind(), Limit: 1000})
	if err != nil {
		return err
	}
	r := &actionbuild.Runner{Store: db, Builder: builder, Logger: slog.New(slog.DiscardHandler)}
	for _, j := range jobs {
		var args actionbuild.JobArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return err
		}
		if err := r.Run(ctx, args); err != nil {
			return err
		}
	}
	return nil
}

// draftAction creates an action with code for trigger and builds its draft
// (not deployed).
func (b *bundle) draftAction(name string, trigger keyhook.TriggerID, code string, extra map[string]any) string {
	b.t.Helper()
	body := map[string]any{"code": code}
	for k, v := range extra {
		body[k] = v
	}
	id := b.createAction(name, trigger, body)["id"].(string)
	b.buildActions()
	if st := b.must(200, "GET", "/api/v2/actions/actions/"+id, nil).object(b.t)["status"]; st != "built" {
		b.t.Fatalf("draft %s: status %v", name, st)
	}
	return id
}

// runTest runs POST …/test with body and returns the answer's payload.
func (b *bundle) runTest(id string, body any) map[string]any {
	b.t.Helper()
	r := b.must(200, "POST", "/api/v2/actions/actions/"+id+"/test", body)
	top := r.object(b.t)
	if got := strings.Join(keys(top), ","); got != "payload" {
		b.t.Fatalf("answer keys %s: %s", got, r.body)
	}
	p := top["payload"].(map[string]any)
	if got := strings.Join(keys(p), ","); got != "commands,error,logs,stats" {
		b.t.Fatalf("payload keys %s: %s", got, r.body)
	}
	return p
}

// commandsOf renders the commands as "method(args as JSON)", one a line.
func commandsOf(t *testing.T, p map[string]any) string {
	t.Helper()
	var out []string
	for _, c := range p["commands"].([]any) {
		m := c.(map[string]any)
		if got := strings.Join(keys(m), ","); got != "args,method" {
			t.Fatalf("command keys %s", got)
		}
		args, _ := json.Marshal(m["args"])
		out = append(out, fmt.Sprintf("%s%s", m["method"], args))
	}
	return strings.Join(out, "\n")
}

// seenEvent is the event the action recorded with
// api.idToken.setCustomClaim("event", event).
func seenEvent(t *testing.T, p map[string]any) map[string]any {
	t.Helper()
	if p["error"] != nil {
		t.Fatalf("run failed: %v", p["error"])
	}
	cmds := p["commands"].([]any)
	if len(cmds) != 1 {
		t.Fatalf("commands %v", cmds)
	}
	return cmds[0].(map[string]any)["args"].([]any)[1].(map[string]any)
}

const echoEventAction = `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("event", event); };`

// TestActionTestPostLogin: a post-login draft's api calls come back in
// order as commands, with its console output and Auth0's stats, and
// nothing is stored: not the metadata it sets on a real user, not the
// draft, no log entry, no job.
func TestActionTestPostLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	user := b.createUser(map[string]any{"email": "jane@example.test", "app_metadata": map[string]any{"plan": "free"}})
	id := b.draftAction("claims", keyhook.TriggerPostLogin, `
exports.onExecutePostLogin = async (event, api) => {
  console.log("login of", event.user.email, event.stats.logins_count);
  api.idToken.setCustomClaim("https://example.com/roles", ["admin", "dev"]);
  api.accessToken.addScope("read:reports");
  api.accessToken.setCustomClaim("https://example.com/tier", { level: 2 });
  api.user.setAppMetadata("plan", "gold");
  api.user.setUserMetadata("theme", null);
  console.error("denying", event.user.user_id);
  api.access.deny("Not today");
};`, nil)

	var p map[string]any
	b.unchanged("a test run", func() {
		p = b.runTest(id, map[string]any{"payload": map[string]any{"event": map[string]any{
			"user": map[string]any{"user_id": user["user_id"], "email": "jane@example.test"},
		}}})
	})
	if got, want := commandsOf(t, p), strings.Join([]string{
		`api.idToken.setCustomClaim["https://example.com/roles",["admin","dev"]]`,
		`api.accessToken.addScope["read:reports"]`,
		`api.accessToken.setCustomClaim["https://example.com/tier",{"level":2}]`,
		`api.user.setAppMetadata["plan","gold"]`,
		`api.user.setUserMetadata["theme",null]`,
		`api.access.deny["Not today"]`,
	}, "\n"); got != want {
		t.Fatalf("commands\n%s\nwant\n%s", got, want)
	}
	logs, _ := p["logs"].(string)
	if !strings.Contains(logs, "login of jane@example.test 7") || !strings.Contains(logs, "denying "+user["user_id"].(string)) {
		t.Fatalf("logs %q", logs)
	}
	if p["error"] != nil {
		t.Fatalf("error %v", p["error"])
	}
	stats := p["stats"].(map[string]any)
	if got := strings.Join(keys(stats), ","); got != "action_duration_ms,boot_duration_ms,total_request_duration_ms,total_runtime_execution_duration_ms" {
		t.Fatalf("stats keys %s", got)
	}
	action, boot := stats["action_duration_ms"].(float64), stats["boot_duration_ms"].(float64)
	total, request := stats["total_runtime_execution_duration_ms"].(float64), stats["total_request_duration_ms"].(float64)
	if action < 0 || boot <= 0 || total < boot || request < total {
		t.Fatalf("stats %v: the first run builds a runtime, and the parts add up", stats)
	}
	u, err := b.db.UserGetByID(t.Context(), user["user_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if u.AppMetadata["plan"] != "free" {
		t.Fatalf("the test run wrote app_metadata: %v", u.AppMetadata)
	}

	// api.cache is the run's own: what one run sets, the next does not see.
	cacheID := b.draftAction("cache", keyhook.TriggerPostLogin, `
exports.onExecutePostLogin = async (event, api) => {
  const had = api.cache.get("k");
  api.idToken.setCustomClaim("had", had ? had.value : "nothing");
  api.cache.set("k", "v");
};`, nil)
	for range 2 {
		p := b.runTest(cacheID, map[string]any{"payload": map[string]any{}})
		if got := commandsOf(t, p); !strings.Contains(got, `api.idToken.setCustomClaim["had","nothing"]`) {
			t.Fatalf("commands %s", got)
		}
	}
}

// TestActionTestPayloadForms: {event: {…}} alone is the event; any other
// payload is the event itself; either is merged over the trigger's sample,
// and the draft's secrets sit under the payload's.
func TestActionTestPayloadForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.draftAction("echo", keyhook.TriggerPostLogin, echoEventAction, map[string]any{
		"secrets": []any{map[string]any{"name": "A", "value": "draft-a"}, map[string]any{"name": "B", "value": "draft-b"}},
	})
	get := func(ev map[string]any, path string) any {
		var cur any = ev
		for _, k := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return "<absent>"
			}
			if cur, ok = m[k]; !ok {
				return "<absent>"
			}
		}
		return cur
	}
	for _, tc := range []struct {
		name    string
		payload any
		want    map[string]any // path -> value
	}{
		{"event form", map[string]any{"event": map[string]any{"user": map[string]any{"email": "a@example.test"}}}, map[string]any{
			"user.email": "a@example.test", "user.user_id": "auth0|6650b1c2d3e4f5a6b7c8d9e0", "event": "<absent>",
		}},
		{"dashboard form", map[string]any{"user": map[string]any{"email": "b@example.test"}, "stats": map[string]any{"logins_count": 1}}, map[string]any{
			"user.email": "b@example.test", "stats.logins_count": float64(1), "user.nickname": "jane.doe",
		}},
		{"event beside other fields is a field", map[string]any{"event": map[string]any{"x": 1}, "request": map[string]any{"ip": "198.51.100.7"}}, map[string]any{
			"event.x": float64(1), "request.ip": "198.51.100.7", "request.method": "POST", "user.email": "jane.doe@example.com",
		}},
		{"empty payload", map[string]any{}, map[string]any{
			"user.email": "jane.doe@example.com", "transaction.protocol": "oidc-basic-profile", "connection.name": keyhook.DefaultDatabaseConnection,
		}},
		{"null and arrays replace", map[string]any{"user": map[string]any{"email": nil}, "transaction": map[string]any{"requested_scopes": []any{"openid"}}}, map[string]any{
			"user.email": nil, "transaction.requested_scopes": []any{"openid"}, "transaction.locale": "en",
		}},
		{"secrets of the event form", map[string]any{"event": map[string]any{"secrets": map[string]any{"B": "payload-b", "C": "payload-c"}}}, map[string]any{
			"secrets": map[string]any{"A": "draft-a", "B": "payload-b", "C": "payload-c"},
		}},
		{"secrets of the dashboard form", map[string]any{"secrets": map[string]any{"A": "payload-a"}, "user": map[string]any{}}, map[string]any{
			"secrets": map[string]any{"A": "payload-a", "B": "draft-b"},
		}},
	} {
		ev := seenEvent(t, b.runTest(id, map[string]any{"payload": tc.payload}))
		for path, want := range tc.want {
			g, _ := json.Marshal(get(ev, path))
			w, _ := json.Marshal(want)
			if !bytes.Equal(g, w) {
				t.Errorf("%s: event.%s = %s, want %s", tc.name, path, g, w)
			}
		}
		// Filled from this server: its tenant, its host.
		if get(ev, "tenant.id") != "my-tenant" || get(ev, "request.hostname") != "keyhook.test" {
			t.Errorf("%s: tenant %v, hostname %v", tc.name, get(ev, "tenant"), get(ev, "request.hostname"))
		}
	}

	// Each trigger's own sample: a send-phone-message draft sees
	// message_options.
	sms := b.draftAction("sms", keyhook.TriggerSendPhoneMessage,
		`exports.onExecuteSendPhoneMessage = async (event, api) => { console.log(event.message_options.recipient, event.message_options.code, event.secrets.TWILIO); };`,
		map[string]any{"secrets": []any{map[string]any{"name": "TWILIO", "value": "tw-key"}}})
	p := b.runTest(sms, map[string]any{"payload": map[string]any{"message_options": map[string]any{"code": "000111"}}})
	if p["error"] != nil || !strings.Contains(p["logs"].(string), "+15555550123 000111 tw-key") || commandsOf(t, p) != "" {
		t.Fatalf("send-phone-message run %v", p)
	}
}

// TestActionTestFailures: a throw answers 200 with the error's name,
// message and stack (and the commands made before it); so do a timeout, a
// promise that can never settle and a missing export.
func TestActionTestFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fast := b.variant(func(h *Handler) {
		h.JS = jsrt.New(jsrt.Options{DefaultTimeout: 300 * time.Millisecond})
		t.Cleanup(h.JS.Close)
	})
	for _, tc := range []struct {
		name, code            string
		errName, msg, inStack string
		commands              string
	}{
		{"throw", `
function checkUser(u) {
  throw new TypeError("no tenant for " + u.email);
}
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("before", 1);
  checkUser(event.user);
};`, "TypeError", "no tenant for jane.doe@example.com", "checkUser", `api.idToken.setCustomClaim["before",1]`},
		{"undefined property", `exports.onExecutePostLogin = async (event, api) => { return event.organization.id; };`,
			"TypeError", "Cannot read property 'id' of undefined", "action.js:", ""},
		{"timeout", `exports.onExecutePostLogin = async (event, api) => { api.access.deny("x"); while (true) {} };`,
			jsrt.ErrNameTimeout, "…", "", `api.access.deny["x"]`},
		{"never settles", `exports.onExecutePostLogin = (event, api) => new Promise(() => {});`,
			jsrt.ErrNameTimeout, "…never settled…", "", ""},
		{"wrong export", `exports.onExecuteCredentialsExchange = async (event, api) => {};`,
			"TypeError", "The action does not export a function onExecutePostLogin", "", ""},
	} {
		id := fast.draftAction(tc.name, keyhook.TriggerPostLogin, tc.code, nil)
		var p map[string]any
		fast.unchanged(tc.name, func() { p = fast.runTest(id, map[string]any{"payload": map[string]any{}}) })
		e, ok := p["error"].(map[string]any)
		if !ok {
			t.Fatalf("%s: error %v", tc.name, p["error"])
		}
		if got := strings.Join(keys(e), ","); got != "message,name,stack" {
			t.Fatalf("%s: error keys %s", tc.name, got)
		}
		msg := e["message"].(string)
		if e["name"] != tc.errName || !matches(msg, tc.msg) {
			t.Errorf("%s: error %s: %q, want %s: %q", tc.name, e["name"], msg, tc.errName, tc.msg)
		}
		if stack := e["stack"].(string); !strings.Contains(stack, tc.inStack) {
			t.Errorf("%s: stack %q lacks %q", tc.name, stack, tc.inStack)
		}
		if got := commandsOf(t, p); got != tc.commands {
			t.Errorf("%s: commands %q, want %q", tc.name, got, tc.commands)
		}
	}
}

// matches compares a message with a pattern: exact, or "…x" (ends with
// x), "x…" (starts), "…x…" (contains); "…" alone matches anything.
func matches(got, pattern string) bool {
	pre, post := strings.HasPrefix(pattern, "…"), strings.HasSuffix(pattern, "…")
	core := strings.TrimSuffix(strings.TrimPrefix(pattern, "…"), "…")
	switch {
	case pre && post:
		return strings.Contains(got, core)
	case pre:
		return strings.HasSuffix(got, core)
	case post:
		return strings.HasPrefix(got, core)
	}
	return got == pattern
}

// TestActionTestContinuePhase: phase "continue" runs onContinuePostLogin;
// only post-login actions have it.
func TestActionTestContinuePhase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.draftAction("redirect", keyhook.TriggerPostLogin, `
exports.onExecutePostLogin = async (event, api) => {
  api.redirect.sendUserTo("https://consent.example.com/", { query: { user: event.user.user_id } });
};
exports.onContinuePostLogin = async (event, api) => {
  api.user.setUserMetadata("consented", event.request.query.answer === "yes");
};`, nil)
	p := b.runTest(id, map[string]any{"payload": map[string]any{}})
	if got := commandsOf(t, p); got != `api.redirect.sendUserTo["https://consent.example.com/",{"query":{"user":"auth0|6650b1c2d3e4f5a6b7c8d9e0"}}]` {
		t.Fatalf("execute phase: %s", got)
	}
	p = b.runTest(id, map[string]any{"phase": "continue", "payload": map[string]any{"request": map[string]any{"query": map[string]any{"answer": "yes"}}}})
	if got := commandsOf(t, p); got != `api.user.setUserMetadata["consented",true]` {
		t.Fatalf("continue phase: %s (%v)", got, p["error"])
	}
	p = b.runTest(id, map[string]any{"phase": "execute", "payload": map[string]any{}})
	if got := commandsOf(t, p); !strings.HasPrefix(got, "api.redirect.sendUserTo") {
		t.Fatalf("phase execute: %s", got)
	}

	cx := b.draftAction("cx", keyhook.TriggerCredentialsExchange, `exports.onExecuteCredentialsExchange = async (event, api) => {};`, nil)
	b.unchanged("continue of a credentials-exchange action", func() {
		wantError(t, b.adminDo("POST", "/api/v2/actions/actions/"+cx+"/test", map[string]any{"phase": "continue", "payload": map[string]any{}}),
			400, "invalid_body", "Payload validation error: 'phase \"continue\" runs onContinuePostLogin, which only post-login actions have' on property phase.")
	})
}

// TestActionTestOutboundCall: the seed tutorial's test posts to Slack: the
// request really leaves, through the engine's guarded client (here allowed
// to reach this loopback server), with the secret the draft holds.
func TestActionTestOutboundCall(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(body))
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(slack.Close)
	guard, err := webhook.NewGuard([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t).variant(func(h *Handler) {
		h.JS = jsrt.New(jsrt.Options{HTTPClient: guard.Client(webhook.ClientOptions{
			Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		})})
		t.Cleanup(h.JS.Close)
	})
	id := b.draftAction("slack", keyhook.TriggerPostLogin, `
exports.onExecutePostLogin = async (event, api) => {
  const res = await fetch(event.secrets.SLACK_WEBHOOK_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "New User: " + event.user.email, channel: "#general" }),
  });
  console.log("slack answered", res.status, await res.text());
};`, map[string]any{"secrets": []any{map[string]any{"name": "SLACK_WEBHOOK_URL", "value": slack.URL + "/services/T0/B0/x"}}})
	var p map[string]any
	b.unchanged("a run that calls out", func() {
		p = b.runTest(id, map[string]any{"payload": map[string]any{"event": map[string]any{"user": map[string]any{"email": "new@example.test"}}}})
	})
	if p["error"] != nil || !strings.Contains(p["logs"].(string), "slack answered 200 ok") {
		t.Fatalf("run %v", p)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `POST /services/T0/B0/x {"text":"New User: new@example.test","channel":"#general"}` {
		t.Fatalf("slack saw %q", got)
	}
}

// failingBuilder fails every build, as a dependency that does not exist
// does.
type failingBuilder struct{}

func (failingBuilder) Build(context.Context, string, string, []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	return "", "", nil, errors.New(`npm package "kh-nothing" does not exist`)
}

// TestActionTestWaitsForBuild: a draft still pending is waited for and run
// once built; a failed build answers 400 with its reason; a build not
// done within the bound answers 400.
func TestActionTestWaitsForBuild(t *testing.T) {
	t.Parallel()
	b := setup(t)

	id := b.createAction("pending", keyhook.TriggerPostLogin, map[string]any{
		"code": `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("built", true); };`,
	})["id"].(string)
	built := make(chan error, 1)
	go func() {
		// Late enough that the test request is waiting, most of the time;
		// either way the answer must be the built draft's run.
		time.Sleep(200 * time.Millisecond)
		built <- runBuilds(context.Background(), b.db, pinningBuilder{b})
	}()
	p := b.runTest(id, map[string]any{"payload": map[string]any{}})
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if got := commandsOf(t, p); got != `api.idToken.setCustomClaim["built",true]` {
		t.Fatalf("commands %s (%v)", got, p["error"])
	}

	failed := b.createAction("failed", keyhook.TriggerPostLogin, nil)["id"].(string)
	if err := runBuilds(t.Context(), b.db, failingBuilder{}); err != nil {
		t.Fatal(err)
	}
	b.unchanged("a test of a failed draft", func() {
		wantError(t, b.adminDo("POST", "/api/v2/actions/actions/"+failed+"/test", map[string]any{"payload": map[string]any{}}), 400, "",
			`A draft must be in the 'built' state before it can be tested; its build failed: npm package "kh-nothing" does not exist`)
	})

	impatient := b.variant(func(h *Handler) { h.ActionTestBuildWait = 150 * time.Millisecond })
	stuck := impatient.createAction("stuck", keyhook.TriggerPostLogin, nil)["id"].(string)
	impatient.unchanged("a test of a draft never built", func() {
		wantError(t, impatient.adminDo("POST", "/api/v2/actions/actions/"+stuck+"/test", map[string]any{"payload": map[string]any{}}), 400, "",
			"A draft must be in the 'built' state before it can be tested; it is still pending after 150ms.")
	})
}

// npmBuilder builds drafts with npmdeps, as the server does
// (cmd/keyhook's builder, which tests cannot import).
type npmBuilder struct{ b *npmdeps.Builder }

func (nb npmBuilder) Build(ctx context.Context, code, _ string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	in := npmdeps.Input{Code: code, Language: npmdeps.LanguageAuto}
	for _, d := range deps {
		in.Dependencies = append(in.Dependencies, npmdeps.Dependency{Name: d.Name, Version: d.Version})
	}
	out, err := nb.b.Build(ctx, in)
	if err != nil {
		return "", "", nil, err
	}
	pinned := make([]keyhook.Dependency, 0, len(out.Dependencies))
	for _, d := range out.Dependencies {
		pinned = append(pinned, keyhook.Dependency{Name: d.Name, Version: d.Version})
	}
	return out.Code, "sha256-" + out.SHA256, pinned, nil
}

// greetRegistry is an npm registry with one small package, kh-greet, at
// 1.0.0 and 1.2.0 (latest), each version's greeting naming it.
func greetRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	tarballs := map[string][]byte{}
	for _, v := range []string{"1.0.0", "1.2.0"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for name, body := range map[string]string{
			"package/package.json": `{"name":"kh-greet","version":"` + v + `","main":"lib/greet.js","license":"MIT"}`,
			"package/lib/greet.js": "'use strict';\nmodule.exports = (name) => 'Hello, ' + name + ' (kh-greet " + v + ")';\n",
		} {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(tw, body); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		tarballs[v] = buf.Bytes()
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/kh-greet":
			versions := map[string]any{}
			for v, tgz := range tarballs {
				sum := sha512.Sum512(tgz)
				versions[v] = map[string]any{"name": "kh-greet", "version": v, "dist": map[string]any{
					"tarball":   srv.URL + "/kh-greet/-/kh-greet-" + v + ".tgz",
					"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
				}}
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"name": "kh-greet", "dist-tags": map[string]any{"latest": "1.2.0"}, "versions": versions})
		case strings.HasPrefix(r.URL.Path, "/kh-greet/-/kh-greet-"):
			tgz, ok := tarballs[strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/kh-greet/-/kh-greet-"), ".tgz")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(tgz)
		default:
			http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestActionTestBuiltDependency: a draft with an npm dependency, built by
// npmdeps against an httptest registry, runs its bundle; the dependency
// shows pinned to the version latest named.
func TestActionTestBuiltDependency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reg := greetRegistry(t)
	home := t.TempDir()
	registry, err := npmdeps.LoadRegistry(npmdeps.ConfigSource{Registry: reg.URL, Environ: []string{"HOME=" + home},
		Dir: home, NodePath: "/nonexistent/bin/node", NPMDir: "/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := npmdeps.New(npmdeps.Options{Registry: registry, CacheDir: t.TempDir(), Builtins: jsrt.BuiltinModules(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	id := b.createAction("greet", keyhook.TriggerPostLogin, map[string]any{
		"code": `const greet = require("kh-greet");
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://example.com/greeting", greet(event.user.name));
};`,
		"dependencies": []any{map[string]any{"name": "kh-greet"}},
	})["id"].(string)
	if err := runBuilds(t.Context(), b.db, npmBuilder{nb}); err != nil {
		t.Fatal(err)
	}
	a := b.must(200, "GET", "/api/v2/actions/actions/"+id, nil).object(t)
	if a["status"] != "built" {
		t.Fatalf("draft %v", a)
	}
	jsonEqual(t, a["dependencies"], `[{"name":"kh-greet","version":"1.2.0"}]`)
	p := b.runTest(id, map[string]any{"payload": map[string]any{"event": map[string]any{"user": map[string]any{"name": "Ada"}}}})
	if got := commandsOf(t, p); got != `api.idToken.setCustomClaim["https://example.com/greeting","Hello, Ada (kh-greet 1.2.0)"]` {
		t.Fatalf("commands %s (%v)", got, p["error"])
	}
}

// TestActionTestRefusals: who may not test, what cannot be tested, and
// bodies that are not a test request; none of them changes anything.
func TestActionTestRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.draftAction("a", keyhook.TriggerPostLogin, starterPostLogin, nil)
	path := "/api/v2/actions/actions/" + id + "/test"
	ok := map[string]any{"payload": map[string]any{}}
	b.unchanged("refused tests", func() {
		r := b.do("POST", path, "", ok)
		if r.status != 401 || string(r.body) != `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}` {
			t.Fatalf("no token: %d %s", r.status, r.body)
		}
		for _, tok := range []string{
			b.token("read:actions", "update:actions", "delete:actions", "create:hooks"),
			b.tokenWith(map[string]any{"sub": "auth0|6650b1c2d3e4f5a6b7c8d9e0", "gty": "password", "scope": "create:actions"}),
		} {
			wantError(t, b.do("POST", path, tok, ok), 403, "insufficient_scope", "Insufficient scope, expected any of: create:actions")
		}
		r = b.adminDo("POST", "/api/v2/actions/actions/00000000-0000-4000-8000-000000000000/test", ok)
		if r.status != 404 || string(r.body) != `{"statusCode":404,"error":"Not Found","message":"That action does not exist."}` {
			t.Fatalf("unknown action: %d %s", r.status, r.body)
		}
		for _, tc := range []struct {
			body    any
			message string
		}{
			{`{"payload":`, "Invalid request payload JSON format"},
			{`[]`, "Payload validation error: 'Expected type object but found type array'."},
			{`{}`, "Payload validation error: 'Missing required property: payload'."},
			{`{"payload":null}`, "Payload validation error: 'Expected type object but found type null' on property payload."},
			{`{"payload":"event"}`, "Payload validation error: 'Expected type object but found type string' on property payload."},
			{`{"payload":{"event":5}}`, "Payload validation error: 'Expected type object but found type number' on property payload.event."},
			{`{"payload":{"event":{"secrets":["A"]}}}`, "Payload validation error: 'Expected type object but found type array' on property payload.event.secrets."},
			{`{"payload":{"secrets":"A=1"}}`, "Payload validation error: 'Expected type object but found type string' on property payload.secrets."},
			{`{"payload":{},"phase":"later"}`, "Payload validation error: 'No enum match for: \"later\"' on property phase (Allowed values: execute, continue)."},
			{`{"payload":{},"phase":1}`, "Payload validation error: 'Expected type string but found type number' on property phase."},
			{`{"payload":{},"event":{}}`, "Payload validation error: 'Additional properties not allowed: event'."},
			{`{"payload":{"user":{"name":"` + strings.Repeat("x", 130<<10) + `"}}}`, "Payload validation error: 'Object is too large…"},
		} {
			wantError(t, b.adminDo("POST", path, tc.body), 400, "invalid_body", tc.message)
		}
	})
}

// FuzzParseActionTestBody: the test body's parser answers a 400
// invalid_body or an event object whose secrets, if any, are an object;
// and merging that event over a sample never panics.
func FuzzParseActionTestBody(f *testing.F) {
	for _, s := range []string{
		`{"payload":{}}`, `{"payload":{"event":{"user":{"email":"a@b"}}}}`, `{"payload":{"event":{},"x":1}}`,
		`{"payload":{"secrets":{"A":"1"}},"phase":"continue"}`, `{"payload":{"event":{"secrets":null}}}`,
		`{"payload":{"event":[]}}`, `{"payload":null}`, `{"phase":"execute"}`, `{"payload":{},"phase":null}`,
		`{"payload":{"user":{"app_metadata":{"a":[1,{"b":null}]}}}}`, `[]`, `{`, ``, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, _, err := parseActionTestBody(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.ErrorCode != "invalid_body" {
				t.Fatalf("parseActionTestBody(%q) = %v, want a 400 invalid_body", body, err)
			}
			return
		}
		if ev == nil {
			t.Fatalf("%q: no event and no error", body)
		}
		if s, ok := ev["secrets"]; ok {
			if _, ok := s.(map[string]any); !ok {
				t.Fatalf("%q: secrets %T accepted", body, s)
			}
		}
		h := &Handler{Tenant: "t", Issuer: testIssuer}
		merged := h.testEvent(&keyhook.Action{}, keyhook.TriggerPostLogin, ev)
		if _, err := json.Marshal(merged); err != nil {
			t.Fatalf("%q: merged event not JSON: %v", body, err)
		}
	})
}
