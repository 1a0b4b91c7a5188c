package mgmtapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/trigger"
)

const starterPostReg = `module.exports = function (user, context, cb) { cb(); };`

var ulidPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

func (b *bundle) createHook(name string, trig keyhook.TriggerID, extra map[string]any) map[string]any {
	b.t.Helper()
	body := map[string]any{"name": name, "script": starterPostReg, "triggerId": trig}
	for k, v := range extra {
		body[k] = v
	}
	return b.must(http.StatusCreated, "POST", "/api/v2/hooks", body).object(b.t)
}

func TestHookCreateGetListDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.must(http.StatusCreated, "POST", "/api/v2/hooks", map[string]any{
		"name": "my hook-1", "script": starterPostReg, "triggerId": "post-user-registration",
		"dependencies": map[string]string{"lodash": "4.17.21", "@slack/webhook": "^7.0.0"},
	})
	created := r.object(t)
	id, _ := created["id"].(string)
	if !ulidPattern.MatchString(id) {
		t.Fatalf("id %q is not ULID-like", id)
	}
	want := fmt.Sprintf(`{"id":%q,"triggerId":"post-user-registration","name":"my hook-1","enabled":true,
		"script":%q,"dependencies":{"@slack/webhook":"^7.0.0","lodash":"4.17.21"}}`, id, starterPostReg)
	jsonEqual(t, created, want)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}

	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks/"+id, nil).json(t), want)
	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks/"+id+"?fields=id,name", nil).json(t),
		fmt.Sprintf(`{"id":%q,"name":"my hook-1"}`, id))
	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks/"+id+"?fields=script,dependencies,triggerId,enabled&include_fields=false", nil).json(t),
		fmt.Sprintf(`{"id":%q,"name":"my hook-1"}`, id))
	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks", nil).json(t), "["+want+"]")

	r = b.must(http.StatusNoContent, "DELETE", "/api/v2/hooks/"+id, nil)
	if len(r.body) != 0 {
		t.Fatalf("204 with body %q", r.body)
	}
	r = b.adminDo("GET", "/api/v2/hooks/"+id, nil)
	if r.status != 404 || string(r.body) != `{"statusCode":404,"error":"Not Found","message":"Error: Hook does not exist","errorCode":"HookDoesNotExist"}` {
		t.Fatalf("missing hook: %d %s", r.status, r.body)
	}
	wantError(t, b.adminDo("DELETE", "/api/v2/hooks/"+id, nil), 404, "HookDoesNotExist", "Error: Hook does not exist")
	wantError(t, b.adminDo("PATCH", "/api/v2/hooks/"+id, map[string]any{"name": "x"}), 404, "HookDoesNotExist", "Error: Hook does not exist")
	wantError(t, b.adminDo("GET", "/api/v2/hooks/"+id+"/secrets", nil), 404, "HookDoesNotExist", "Error: Hook does not exist")
	wantError(t, b.adminDo("POST", "/api/v2/hooks/"+id+"/test", nil), 404, "HookDoesNotExist", "Error: Hook does not exist")
}

func TestHookListPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, trig := range keyhook.HookTriggers {
		b.createHook(fmt.Sprintf("hook-%d", i), trig, nil)
	}
	b.createHook("second-cce", keyhook.TriggerCredentialsExchange, nil)

	all := b.must(200, "GET", "/api/v2/hooks", nil).array(t)
	if len(all) != 6 {
		t.Fatalf("got %d hooks, want 6", len(all))
	}
	r := b.must(200, "GET", "/api/v2/hooks?page=1&per_page=2&include_totals=true", nil).object(t)
	if got := keys(r); strings.Join(got, ",") != "hooks,limit,start,total" {
		t.Fatalf("totals keys %v", got)
	}
	if r["start"] != float64(2) || r["limit"] != float64(2) || r["total"] != float64(6) || len(r["hooks"].([]any)) != 2 {
		t.Fatalf("page 1: %v", r)
	}
	r = b.must(200, "GET", "/api/v2/hooks?page=0&per_page=50&include_totals=true", nil).object(t)
	if len(r["hooks"].([]any)) != 6 {
		t.Fatalf("SDK default page: %v", r)
	}
	r = b.must(200, "GET", "/api/v2/hooks?per_page=0&include_totals=true", nil).object(t)
	if r["total"] != float64(6) || len(r["hooks"].([]any)) != 0 {
		t.Fatalf("per_page=0: %v", r)
	}
	if got := b.must(200, "GET", "/api/v2/hooks?page=9", nil).array(t); len(got) != 0 {
		t.Fatalf("past the end: %v", got)
	}
	cce := b.must(200, "GET", "/api/v2/hooks?triggerId=credentials-exchange", nil).array(t)
	if len(cce) != 2 {
		t.Fatalf("triggerId filter: %v", cce)
	}
	disabled := b.must(200, "GET", "/api/v2/hooks?enabled=false", nil).array(t)
	if len(disabled) != 1 || disabled[0].(map[string]any)["name"] != "second-cce" {
		t.Fatalf("enabled=false: %v", disabled)
	}
	names := b.must(200, "GET", "/api/v2/hooks?fields=name&per_page=1", nil).array(t)
	jsonEqual(t, names, `[{"name":"hook-0"}]`)

	for _, tc := range []struct {
		query, message string
	}{
		{"per_page=101", "Query validation error: 'Too big: 101 (max 100)' on property per_page."},
		{"per_page=-1", "Query validation error: 'Too small: -1 (min 0)' on property per_page."},
		{"page=x", "Query validation error: 'Expected type integer but found type string' on property page."},
		{"include_totals=yes", "Query validation error: 'Expected type boolean but found type string' on property include_totals."},
		{"enabled=1", "Query validation error: 'Expected type boolean but found type string' on property enabled."},
		{"triggerId=post-login", "Query validation error: 'No enum match for: \"post-login\"' on property triggerId (Allowed values: credentials-exchange, pre-user-registration, post-user-registration, post-change-password, send-phone-message)."},
	} {
		wantError(t, b.adminDo("GET", "/api/v2/hooks?"+tc.query, nil), 400, "invalid_query_string", tc.message)
	}
}

func TestHookCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createHook("existing", keyhook.TriggerPostUserRegistration, nil)
	valid := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "new-hook", "script": starterPostReg, "triggerId": "pre-user-registration"}
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
		{"unknown property", valid(func(m map[string]any) { m["foo"] = 1 }), 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: foo'."},
		{"id is read-only", valid(func(m map[string]any) { m["id"] = "x" }), 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: id'."},
		{"name wrong type", valid(func(m map[string]any) { m["name"] = 5 }), 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property name."},
		{"name null", valid(func(m map[string]any) { m["name"] = nil }), 400, "invalid_body", "Payload validation error: 'Expected type string but found type null' on property name."},
		{"enabled wrong type", valid(func(m map[string]any) { m["enabled"] = "true" }), 400, "invalid_body", "Payload validation error: 'Expected type boolean but found type string' on property enabled."},
		{"dependencies wrong type", valid(func(m map[string]any) { m["dependencies"] = []string{"lodash"} }), 400, "invalid_body", "Payload validation error: 'Expected type object but found type array' on property dependencies."},
		{"dependency version wrong type", valid(func(m map[string]any) { m["dependencies"] = map[string]any{"lodash": 4} }), 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property dependencies.lodash."},
		{"missing name", valid(func(m map[string]any) { delete(m, "name") }), 400, "invalid_body", "Payload validation error: 'Missing required property: name'."},
		{"missing script", valid(func(m map[string]any) { delete(m, "script") }), 400, "invalid_body", "Payload validation error: 'Missing required property: script'."},
		{"missing triggerId", valid(func(m map[string]any) { delete(m, "triggerId") }), 400, "invalid_body", "Payload validation error: 'Missing required property: triggerId'."},
		{"name pattern", valid(func(m map[string]any) { m["name"] = "-bad" }), 400, "invalid_body", "Payload validation error: 'String does not match pattern ^[a-zA-Z0-9]([ \\-a-zA-Z0-9]*[a-zA-Z0-9])?$: -bad' on property name (Name of this hook)."},
		{"name underscore", valid(func(m map[string]any) { m["name"] = "my_hook" }), 400, "invalid_body", "Payload validation error: 'String does not match pattern…"},
		{"name trailing space", valid(func(m map[string]any) { m["name"] = "hook " }), 400, "invalid_body", "Payload validation error: 'String does not match pattern…"},
		{"empty script", valid(func(m map[string]any) { m["script"] = "" }), 400, "invalid_body", "Payload validation error: 'String is too short (0 chars), minimum 1' on property script (Code to be executed when this hook runs)."},
		{"script too long", valid(func(m map[string]any) { m["script"] = "//" + strings.Repeat("x", keyhook.MaxScriptBytes) }), 400, "invalid_body", "Payload validation error: 'String is too long (102402 bytes), maximum 102400' on property script…"},
		{"bad trigger", valid(func(m map[string]any) { m["triggerId"] = "post-login" }), 400, "invalid_body", "Payload validation error: 'No enum match for: \"post-login\"' on property triggerId (Allowed values: credentials-exchange, pre-user-registration, post-user-registration, post-change-password, send-phone-message)."},
		{"syntax error", valid(func(m map[string]any) { m["script"] = "module.exports = function (user, context, cb) {\n  cb(;\n};" }), 400, "invalid_body", "Script syntax error at line 2, column…"},
		{"bad dependency name", valid(func(m map[string]any) { m["dependencies"] = map[string]string{"Bad Name": "1.0.0"} }), 400, "invalid_body", "Payload validation error: 'Invalid npm package name: \"Bad Name\"' on property dependencies."},
		{"bad dependency version", valid(func(m map[string]any) { m["dependencies"] = map[string]string{"lodash": "latest-ish"} }), 400, "invalid_body", "Payload validation error: 'Invalid version \"latest-ish\" for dependency \"lodash\": expected a version, a semver range, \"latest\" or nothing' on property dependencies."},
		{"malformed JSON", `{"name":`, 400, "invalid_body", "Invalid request payload JSON format"},
		{"array body", `[]`, 400, "invalid_body", "Payload validation error: 'Expected type object but found type array'."},
		{"empty body", ``, 400, "invalid_body", "Payload validation error: 'Expected type object but found type null'."},
		{"duplicate name", valid(func(m map[string]any) { m["name"] = "existing" }), 409, "", "A hook with the same name already exists: \"existing\""},
		{"second enabled hook", valid(func(m map[string]any) { m["triggerId"] = "post-user-registration"; m["enabled"] = true }), 409, "", "Only one hook can be enabled per extensibility point: another hook is already enabled for \"post-user-registration\""},
		{"too large", `{"name":"x","script":"` + strings.Repeat("a", 512<<10) + `"}`, 413, "", "Payload content length greater than maximum allowed: 524288"},
	}
	for _, tc := range tests {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("POST", "/api/v2/hooks", tc.body), tc.status, tc.code, tc.message)
		})
	}
}

func TestHookEnabledRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.createHook("first", keyhook.TriggerCredentialsExchange, nil)
	if first["enabled"] != true {
		t.Fatalf("first hook of a trigger not auto-enabled: %v", first)
	}
	second := b.createHook("second", keyhook.TriggerCredentialsExchange, nil)
	if second["enabled"] != false {
		t.Fatalf("second hook of a trigger enabled: %v", second)
	}
	// An explicit enabled:false is honoured even for a first hook.
	other := b.createHook("other", keyhook.TriggerSendPhoneMessage, map[string]any{"enabled": false})
	if other["enabled"] != false {
		t.Fatalf("explicit enabled=false ignored: %v", other)
	}
	// Another trigger's enabled hook does not count.
	b.createHook("third", keyhook.TriggerPostChangePassword, map[string]any{"enabled": true})

	id1, id2 := first["id"].(string), second["id"].(string)
	b.unchanged("enable second", func() {
		wantError(t, b.adminDo("PATCH", "/api/v2/hooks/"+id2, map[string]any{"enabled": true, "name": "renamed"}), 409, "",
			"Only one hook can be enabled per extensibility point: another hook is already enabled for \"credentials-exchange\"")
	})
	// Re-enabling the enabled one is fine.
	b.must(200, "PATCH", "/api/v2/hooks/"+id1, map[string]any{"enabled": true})
	got := b.must(200, "PATCH", "/api/v2/hooks/"+id1, map[string]any{"enabled": false}).object(t)
	if got["enabled"] != false {
		t.Fatalf("disable: %v", got)
	}
	got = b.must(200, "PATCH", "/api/v2/hooks/"+id2, map[string]any{"enabled": true}).object(t)
	if got["enabled"] != true {
		t.Fatalf("enable second after disabling first: %v", got)
	}
	h, err := b.db.HookGetEnabled(t.Context(), keyhook.TriggerCredentialsExchange)
	if err != nil || h.ID != id2 {
		t.Fatalf("enabled hook in store: %v %v", h, err)
	}
}

func TestHookUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.createHook("orig", keyhook.TriggerPreUserRegistration, map[string]any{"dependencies": map[string]string{"uuid": "9"}})
	b.createHook("taken", keyhook.TriggerPostUserRegistration, nil)
	id := h["id"].(string)
	newScript := "module.exports = function (user, context, cb) { cb(null, { user: user }); };"
	got := b.must(200, "PATCH", "/api/v2/hooks/"+id, map[string]any{"name": "renamed", "script": newScript}).object(t)
	want := fmt.Sprintf(`{"id":%q,"triggerId":"pre-user-registration","name":"renamed","enabled":true,"script":%q,"dependencies":{"uuid":"9"}}`, id, newScript)
	jsonEqual(t, got, want)
	jsonEqual(t, b.must(200, "GET", "/api/v2/hooks/"+id, nil).json(t), want)
	// An empty patch changes nothing.
	jsonEqual(t, b.must(200, "PATCH", "/api/v2/hooks/"+id, map[string]any{}).json(t), want)
	got = b.must(200, "PATCH", "/api/v2/hooks/"+id, map[string]any{"dependencies": map[string]string{}}).object(t)
	jsonEqual(t, got["dependencies"], `{}`)

	for _, tc := range []struct {
		name    string
		body    any
		status  int
		code    string
		message string
	}{
		{"triggerId not patchable", map[string]any{"triggerId": "post-user-registration"}, 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: triggerId'."},
		{"name taken", map[string]any{"name": "taken"}, 409, "", "A hook with the same name already exists: \"taken\""},
		{"bad name", map[string]any{"name": "a_b"}, 400, "invalid_body", "Payload validation error: 'String does not match pattern…"},
		{"empty script", map[string]any{"script": ""}, 400, "invalid_body", "Payload validation error: 'String is too short (0 chars), minimum 1'…"},
		{"syntax error", map[string]any{"script": "module.exports = function ("}, 400, "invalid_body", "Script syntax error at line 1, column…"},
		{"bad dependency", map[string]any{"dependencies": map[string]string{"lodash": ">>1"}}, 400, "invalid_body", "Payload validation error: 'Invalid version \">>1\"…"},
		{"malformed", `{"name":"x",}`, 400, "invalid_body", "Invalid request payload JSON format"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("PATCH", "/api/v2/hooks/"+id, tc.body), tc.status, tc.code, tc.message)
		})
	}
}

func TestHookSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.createHook("with-secrets", keyhook.TriggerCredentialsExchange, nil)
	base := "/api/v2/hooks/" + h["id"].(string) + "/secrets"
	const v1, v2, v3 = "s3cr3t-value-one", "s3cr3t-value-two", "s3cr3t-value-three"
	var bodies []string
	record := func(r response) response { bodies = append(bodies, string(r.body)); return r }

	jsonEqual(t, record(b.must(200, "GET", base, nil)).json(t), `{}`)
	r := record(b.must(201, "POST", base, map[string]string{"API_KEY": v1, "OTHER": v2}))
	jsonEqual(t, r.json(t), `{}`)
	jsonEqual(t, record(b.must(200, "GET", base, nil)).json(t), `{"API_KEY":"_VALUE_NOT_SHOWN_","OTHER":"_VALUE_NOT_SHOWN_"}`)

	b.unchanged("add existing", func() {
		wantError(t, record(b.adminDo("POST", base, map[string]string{"NEW": "x", "API_KEY": v3})), 409, "", `Secret "API_KEY" already exists`)
	})
	b.unchanged("update unknown", func() {
		wantError(t, record(b.adminDo("PATCH", base, map[string]string{"API_KEY": v3, "MISSING": v3})), 404, "", `Secret "MISSING" does not exist`)
	})
	b.unchanged("non-string value", func() {
		wantError(t, record(b.adminDo("POST", base, map[string]any{"N": 1})), 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property N.")
	})
	b.unchanged("malformed", func() {
		wantError(t, record(b.adminDo("POST", base, `{"A":`)), 400, "invalid_body", "Invalid request payload JSON format")
	})
	b.unchanged("delete not an array", func() {
		wantError(t, record(b.adminDo("DELETE", base, map[string]string{"A": "b"})), 400, "invalid_body", "Payload validation error: 'Expected type array but found type object'.")
	})
	b.unchanged("delete non-string name", func() {
		wantError(t, record(b.adminDo("DELETE", base, `["OTHER", 3]`)), 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property [1].")
	})
	many := map[string]string{}
	for i := 0; i < keyhook.MaxHookSecrets-1; i++ {
		many[fmt.Sprintf("K%02d", i)] = "v"
	}
	b.unchanged("too many", func() {
		wantError(t, record(b.adminDo("POST", base, many)), 400, "invalid_body", "A hook can have at most 20 secrets (this change would make 21)")
	})

	jsonEqual(t, record(b.must(201, "PATCH", base, map[string]string{"API_KEY": v3})).json(t), `{}`)
	got, err := b.db.HookSecretsGet(t.Context(), h["id"].(string))
	if err != nil || got["API_KEY"] != v3 || got["OTHER"] != v2 {
		t.Fatalf("stored secrets after PATCH: %v %v", got, err)
	}
	r = record(b.must(204, "DELETE", base, []string{"OTHER", "NEVER_EXISTED"}))
	if len(r.body) != 0 {
		t.Fatalf("DELETE body %q", r.body)
	}
	jsonEqual(t, record(b.must(200, "GET", base, nil)).json(t), `{"API_KEY":"_VALUE_NOT_SHOWN_"}`)
	delete(many, "K00")
	record(b.must(201, "POST", base, many)) // 1 + 18 = 19 secrets
	record(b.must(201, "POST", base, map[string]string{"LAST": "v"}))
	record(b.must(200, "GET", "/api/v2/hooks/"+h["id"].(string), nil))
	record(b.must(200, "GET", "/api/v2/hooks?include_totals=true", nil))

	for _, body := range bodies {
		for _, v := range []string{v1, v2, v3} {
			if strings.Contains(body, v) {
				t.Fatalf("a response carries a secret value: %s", body)
			}
		}
	}
}

func TestHookTestRunner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := func(name string, trig keyhook.TriggerID, script string, body any) response {
		t.Helper()
		h := b.must(201, "POST", "/api/v2/hooks", map[string]any{"name": name, "script": script, "triggerId": trig}).object(t)
		var r response
		b.unchanged("test "+name, func() { r = b.adminDo("POST", "/api/v2/hooks/"+h["id"].(string)+"/test", body) })
		return r
	}
	payloadOf := func(r response) map[string]any {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("test status %d: %s", r.status, r.body)
		}
		o := r.object(t)
		if len(o) != 1 {
			t.Fatalf("test response keys %v", keys(o))
		}
		p := o["payload"].(map[string]any)
		if got := strings.Join(keys(p), ","); got != "error,logs,response,stats" {
			t.Fatalf("payload keys %s", got)
		}
		if _, ok := p["stats"].(map[string]any)["duration_ms"].(float64); !ok {
			t.Fatalf("stats %v", p["stats"])
		}
		return p
	}

	// Starter code, no payload: the response is the Runner's sample.
	p := payloadOf(run("starter", keyhook.TriggerPostUserRegistration, starterPostReg, nil))
	sample, _ := json.Marshal(trigger.SamplePayload(keyhook.TriggerPostUserRegistration))
	jsonEqual(t, p["response"], string(sample))
	if p["error"] != nil {
		t.Fatalf("starter error %v", p["error"])
	}

	cce := `module.exports = function (client, scope, audience, context, cb) {
  console.log("client", client.id);
  var access_token = {};
  access_token['https://example.com/plan'] = client.metadata.plan;
  access_token.scope = scope.concat(['extra']);
  cb(null, access_token);
};`
	p = payloadOf(run("cce", keyhook.TriggerCredentialsExchange, cce, map[string]any{"payload": map[string]any{
		"audience": "https://api.example.com/", "scope": []string{"read:x"},
		"client": map[string]any{"id": "cid", "name": "c", "tenant": "my-tenant", "metadata": map[string]any{"plan": "gold"}},
	}}))
	jsonEqual(t, p["response"], `{"https://example.com/plan":"gold","scope":["read:x","extra"]}`)
	if !strings.Contains(p["logs"].(string), "client cid") || p["error"] != nil {
		t.Fatalf("cce logs/error: %v", p)
	}

	p = payloadOf(run("thrower", keyhook.TriggerPreUserRegistration,
		`module.exports = function (user, context, cb) { throw new Error("boom"); };`, map[string]any{}))
	e, ok := p["error"].(map[string]any)
	if !ok || e["name"] != "Error" || e["message"] != "boom" {
		t.Fatalf("throwing hook error %v", p["error"])
	}
	if _, ok := e["friendlyMessage"]; !ok || p["response"] != nil {
		t.Fatalf("error shape %v / response %v", e, p["response"])
	}

	p = payloadOf(run("denier", keyhook.TriggerPreUserRegistration,
		`module.exports = function (user, context, cb) { cb(new PreUserRegistrationError("log msg", "user msg")); };`, nil))
	jsonEqual(t, p["error"], `{"name":"PreUserRegistrationError","message":"log msg","friendlyMessage":"user msg"}`)

	wantError(t, run("bad-payload", keyhook.TriggerCredentialsExchange, cce, map[string]any{"payload": map[string]any{"client": "nope"}}),
		400, "invalid_body", "invalid test payload: payload.client must be an object")
	wantError(t, run("bad-body", keyhook.TriggerCredentialsExchange, cce, map[string]any{"payload": map[string]any{}, "x": 1}),
		400, "invalid_body", "Payload validation error: 'Additional properties not allowed: x'.")
	wantError(t, run("payload-array", keyhook.TriggerCredentialsExchange, cce, map[string]any{"payload": []int{1}}),
		400, "invalid_body", "Payload validation error: 'Expected type object but found type array' on property payload.")
}

func TestHookTestRunnerSeesSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.must(201, "POST", "/api/v2/hooks", map[string]any{"name": "s", "triggerId": "credentials-exchange",
		"script": `module.exports = function (client, scope, audience, context, cb) { cb(null, { scope: [context.webtask.secrets.TOKEN] }); };`}).object(t)
	id := h["id"].(string)
	b.must(201, "POST", "/api/v2/hooks/"+id+"/secrets", map[string]string{"TOKEN": "from-secret"})
	p := b.must(200, "POST", "/api/v2/hooks/"+id+"/test", `{}`).object(t)["payload"].(map[string]any)
	jsonEqual(t, p["response"], `{"scope":["from-secret"]}`)
}
