package mgmtapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/inputcheck"
	"github.com/keyhook/keyhook/reqlog"
)

// TestBodyRulesNameRoutes keeps the table of body rules in step with the
// routes: a rule for a pattern no route has would never apply.
func TestBodyRulesNameRoutes(t *testing.T) {
	t.Parallel()
	var patterns []string
	for _, rt := range (&Handler{}).routes() {
		patterns = append(patterns, rt.pattern)
	}
	for p, rule := range bodyRules {
		if !slices.Contains(patterns, p) {
			t.Errorf("bodyRules names %q, which is not a route", p)
		}
		if rule.maxBytes <= 0 {
			t.Errorf("%s: no size cap", p)
		}
	}
}

// inputFixture creates one of each resource and returns the paths a test
// may send bodies to, by route family.
func inputFixture(t *testing.T, b *bundle) map[string][2]string {
	t.Helper()
	user := b.createUser(map[string]any{"email": "fixture@example.com"})["user_id"].(string)
	hook := b.createHook("fixture", keyhook.TriggerPostUserRegistration, nil)["id"].(string)
	b.must(http.StatusCreated, "POST", "/api/v2/hooks/"+hook+"/secrets", map[string]string{"A": "1"})
	client := b.must(http.StatusCreated, "POST", "/api/v2/clients", map[string]any{"name": "fixture"}).object(t)["client_id"].(string)
	rs := b.must(http.StatusCreated, "POST", "/api/v2/resource-servers", map[string]any{
		"identifier": "https://fixture.example/", "scopes": []map[string]string{{"value": "read:x"}},
	}).object(t)["id"].(string)
	grant := b.must(http.StatusCreated, "POST", "/api/v2/client-grants", map[string]any{
		"client_id": client, "audience": "https://fixture.example/", "scope": []string{"read:x"},
	}).object(t)["id"].(string)
	action := b.deployedAction("fixture", keyhook.TriggerPostLogin)
	version := b.must(http.StatusOK, "GET", "/api/v2/actions/actions/"+action, nil).object(t)["deployed_version"].(map[string]any)["id"].(string)
	return map[string][2]string{
		"user create":          {"POST", "/api/v2/users"},
		"user update":          {"PATCH", userPath(user)},
		"hook create":          {"POST", "/api/v2/hooks"},
		"hook update":          {"PATCH", "/api/v2/hooks/" + hook},
		"hook secrets add":     {"POST", "/api/v2/hooks/" + hook + "/secrets"},
		"hook secrets update":  {"PATCH", "/api/v2/hooks/" + hook + "/secrets"},
		"hook secrets delete":  {"DELETE", "/api/v2/hooks/" + hook + "/secrets"},
		"hook test":            {"POST", "/api/v2/hooks/" + hook + "/test"},
		"client create":        {"POST", "/api/v2/clients"},
		"client update":        {"PATCH", "/api/v2/clients/" + client},
		"resource server new":  {"POST", "/api/v2/resource-servers"},
		"resource server edit": {"PATCH", "/api/v2/resource-servers/" + rs},
		"grant create":         {"POST", "/api/v2/client-grants"},
		"grant update":         {"PATCH", "/api/v2/client-grants/" + grant},

		"action create":         {"POST", "/api/v2/actions/actions"},
		"action update":         {"PATCH", "/api/v2/actions/actions/" + action},
		"action deploy":         {"POST", "/api/v2/actions/actions/" + action + "/deploy"},
		"action version deploy": {"POST", "/api/v2/actions/actions/" + action + "/versions/" + version + "/deploy"},
		"bindings update":       {"PATCH", "/api/v2/actions/triggers/post-login/bindings"},
	}
}

// TestBodyText sends every route family that reads a body a NUL (raw, and as
// the escape \u0000 in a value, a property name and nested metadata), invalid
// UTF-8 and an unpaired surrogate escape: each answers 400 in the error shape
// and stores nothing.
func TestBodyText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	routes := inputFixture(t, b)
	nulMsg := "Payload validation error: 'String contains a NUL character'."
	utf8Msg := "Payload validation error: 'String is not valid UTF-8'."
	bodies := []struct {
		name, body, message string
	}{
		{"NUL escape in a value", `{"name":"a\u0000b","email":"x\u0000@example.com","script":"//\u0000","A":"\u0000","identifier":"urn:\u0000","audience":"\u0000"}`, nulMsg},
		{"NUL escape in a property name", `{"a\u0000":"x"}`, nulMsg},
		{"NUL escape nested", `{"user_metadata":{"a":[{"b":"\u0000"}]},"payload":{"x":"\u0000"}}`, nulMsg},
		{"NUL escape in an array", `["A\u0000"]`, nulMsg},
		{"raw NUL", "{\"name\":\"a\x00b\"}", nulMsg},
		{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}", utf8Msg},
		{"unpaired surrogate escape", `{"name":"\ud800"}`, utf8Msg},
	}
	for family, rt := range routes {
		for _, tt := range bodies {
			b.unchanged(family+": "+tt.name, func() {
				wantError(t, b.adminDo(rt[0], rt[1], tt.body), http.StatusBadRequest, "invalid_body", tt.message)
			})
		}
	}
}

// TestBodyLimits checks one limit per string field family: Auth0's where it
// has one, keyhook's table otherwise. Each refusal names the property and
// stores nothing.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	routes := inputFixture(t, b)
	long := func(n int) string { return strings.Repeat("a", n) }
	tooLong := func(n, max int) string {
		return "'String is too long (" + itoa(n) + " chars), maximum " + itoa(max) + "'"
	}
	tests := []struct {
		route   string
		body    any
		message string
	}{
		{"user create", map[string]any{"connection": keyhook.DefaultDatabaseConnection, "email": "a@example.com", "password": "correct horse", "name": long(301)}, tooLong(301, 300) + " on property name"},
		{"user create", map[string]any{"connection": keyhook.DefaultDatabaseConnection, "email": "a@example.com", "password": "correct horse", "given_name": strings.Repeat("é", 151)}, tooLong(151, 150) + " on property given_name"},
		{"user update", map[string]any{"family_name": long(151)}, tooLong(151, 150) + " on property family_name"},
		{"user update", map[string]any{"nickname": long(301)}, tooLong(301, 300) + " on property nickname"},
		{"user update", map[string]any{"email": long(250) + "@x.io"}, tooLong(255, 254) + " on property email"},
		{"user update", map[string]any{"username": long(129)}, tooLong(129, 128) + " on property username"},
		{"user update", map[string]any{"password": long(1025)}, tooLong(1025, 1024) + " on property password"},
		{"user update", map[string]any{"picture": "https://x.example/" + long(2048)}, tooLong(2066, 2048) + " on property picture"},
		{"user update", map[string]any{"user_metadata": map[string]string{"big": long(64 << 10)}}, "'Object is too large (65546 bytes), maximum 65536' on property user_metadata"},
		{"hook create", map[string]any{"name": long(129), "script": "x", "triggerId": "post-user-registration"}, tooLong(129, 128) + " on property name"},
		{"hook update", map[string]any{"dependencies": map[string]string{"lodash": long(257)}}, tooLong(257, 256) + " on property dependencies.lodash"},
		{"hook secrets add", map[string]string{"B": long(8193)}, tooLong(8193, 8192) + " on property B"},
		{"hook secrets update", map[string]string{long(256): "x"}, "'Property name is too long (256 chars), maximum 255'"},
		{"hook secrets add", func() map[string]string {
			m := map[string]string{}
			for i := range 21 {
				m["S"+itoa(i)] = "x"
			}
			return m
		}(), "'Too many properties defined (21), maximum 20'"},
		{"hook secrets delete", []string{long(256)}, tooLong(256, 255) + " on property [0]"},
		{"client create", map[string]any{"name": long(256)}, tooLong(256, 255) + " on property name"},
		{"client update", map[string]any{"description": long(141)}, tooLong(141, 140) + " on property description"},
		{"client update", map[string]any{"callbacks": []string{"https://ok.example/", "https://x.example/" + long(2040)}}, tooLong(2058, 2048) + " on property callbacks[1]"},
		{"client update", map[string]any{"client_metadata": map[string]string{"k": long(256)}}, tooLong(256, 255) + " on property client_metadata.k"},
		{"client update", map[string]any{"logo_uri": long(2049)}, tooLong(2049, 2048) + " on property logo_uri"},
		{"client update", map[string]any{"jwt_configuration": map[string]string{"x": long(64 << 10)}}, "'Object is too large (65544 bytes), maximum 65536' on property jwt_configuration"},
		{"resource server new", map[string]any{"identifier": long(601)}, tooLong(601, 600) + " on property identifier"},
		{"resource server edit", map[string]any{"name": long(201)}, tooLong(201, 200) + " on property name"},
		{"resource server edit", map[string]any{"scopes": []map[string]string{{"value": "a", "description": long(501)}}}, tooLong(501, 500) + " on property scopes[0].description"},
		{"grant update", map[string]any{"scope": []string{long(281)}}, tooLong(281, 280) + " on property scope[0]"},
		{"action update", map[string]any{"dependencies": []map[string]string{{"name": "lodash", "version": long(257)}}}, tooLong(257, 256) + " on property dependencies[0].version"},
		{"action update", map[string]any{"secrets": []map[string]string{{"name": "a", "value": long(4097)}}}, tooLong(4097, 4096) + " on property secrets[0].value"},
		{"action update", map[string]any{"runtime": long(65)}, tooLong(65, 64) + " on property runtime"},
		{"action create", map[string]any{"supported_triggers": []map[string]string{{"id": long(65)}}}, tooLong(65, 64) + " on property supported_triggers[0].id"},
		{"bindings update", map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"value": long(129)}}}}, tooLong(129, 128) + " on property bindings[0].ref.value"},
	}
	for _, tt := range tests {
		rt := routes[tt.route]
		b.unchanged(tt.route+": "+tt.message, func() {
			wantError(t, b.adminDo(rt[0], rt[1], tt.body), http.StatusBadRequest, "invalid_body", "Payload validation error: "+tt.message+".")
		})
	}
}

// TestMergedMetadataLimit grows user_metadata one key per PATCH, each within
// the body rule, until the merged object would pass the limit.
func TestMergedMetadataLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createUser(map[string]any{"email": "grow@example.com"})["user_id"].(string)
	chunk := strings.Repeat("m", 30<<10)
	b.must(http.StatusOK, "PATCH", userPath(id), map[string]any{"user_metadata": map[string]string{"a": chunk}})
	b.must(http.StatusOK, "PATCH", userPath(id), map[string]any{"user_metadata": map[string]string{"b": chunk}})
	b.unchanged("third chunk", func() {
		wantError(t, b.adminDo("PATCH", userPath(id), map[string]any{"user_metadata": map[string]string{"c": chunk}}),
			http.StatusBadRequest, "invalid_body", "Payload validation error: 'Object is too large (92182 bytes once merged), maximum 65536' on property user_metadata.")
	})
}

// TestBodySizePerRoute shows each family's cap: a hook script body larger
// than the users' cap is accepted, a users body of that size is a 413 in
// the error shape.
func TestBodySizePerRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	routes := inputFixture(t, b)
	// 90 kB of newlines: within the script limit, 180 kB once escaped.
	script := "module.exports = function (user, context, cb) { cb(); };" + strings.Repeat("\n", 90<<10)
	b.must(http.StatusOK, "PATCH", routes["hook update"][1], map[string]any{"script": script})

	tests := []struct {
		route string
		size  int
		limit int
	}{
		{"user update", 300 << 10, 256 << 10},
		{"hook update", 600 << 10, 512 << 10},
		{"action update", 600 << 10, 512 << 10},
		{"bindings update", 100 << 10, 64 << 10},
		{"hook secrets add", 300 << 10, 256 << 10},
		{"grant update", 300 << 10, 256 << 10},
		{"client update", 1100 << 10, 1 << 20},
	}
	for _, tt := range tests {
		rt := routes[tt.route]
		body := `{"name":"` + strings.Repeat("a", tt.size) + `"}`
		b.unchanged(tt.route+" too large", func() {
			wantError(t, b.adminDo(rt[0], rt[1], body), http.StatusRequestEntityTooLarge, "",
				"Payload content length greater than maximum allowed: "+itoa(tt.limit))
		})
	}
}

// TestAuth0PropertiesAccepted: properties Auth0 takes (and its SDKs and the
// Deploy CLI send) are accepted even where keyhook does not use them; the
// ones that would change what keyhook issues are refused when set.
func TestAuth0PropertiesAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	routes := inputFixture(t, b)
	b.must(http.StatusOK, "PATCH", routes["resource server edit"][1], map[string]any{
		"allow_online_access": true, "consent_policy": nil, "authorization_details": []any{},
		"token_encryption": nil, "proof_of_possession": nil, "subject_type_authorization": map[string]any{},
		"authorization_policy": nil,
	})
	b.must(http.StatusOK, "PATCH", routes["grant update"][1], map[string]any{"allow_all_scopes": false, "authorization_details_types": []string{}})
	b.unchanged("token_encryption set", func() {
		wantError(t, b.adminDo("PATCH", routes["resource server edit"][1], map[string]any{"token_encryption": map[string]any{"format": "compact-nested-jwe"}}),
			http.StatusBadRequest, "invalid_body", "token_encryption is not supported by keyhook")
	})
	b.unchanged("wrong type", func() {
		wantError(t, b.adminDo("PATCH", routes["resource server edit"][1], map[string]any{"allow_online_access": "yes"}),
			http.StatusBadRequest, "invalid_body", "Payload validation error: 'Expected type boolean but found type string' on property allow_online_access.")
	})
	b.unchanged("unknown everywhere", func() {
		for family, rt := range routes {
			if rt[0] == "DELETE" || strings.HasPrefix(family, "hook secrets") {
				continue // arrays of names, and objects whose properties are names
			}
			r := b.adminDo(rt[0], rt[1], map[string]any{"not_an_auth0_property": 1})
			if family == "hook test" {
				wantError(t, r, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Additional properties not allowed: not_an_auth0_property'.")
				continue
			}
			wantError(t, r, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Additional properties not allowed: not_an_auth0_property…")
		}
	})
}

// TestWriteInputError checks the Management API's answer to a path or query
// the server refused: Auth0's shape and wording, and no claim on other paths.
func TestWriteInputError(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	tests := []struct {
		target  string
		code    string
		message string
	}{
		{"/api/v2/users/a%00b", "invalid_uri", "Path validation error: 'String contains a NUL character'."},
		{"/api/v2/users?q=%ff", "invalid_query_string", "Query validation error: 'String is not valid UTF-8' on property q."},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.target, nil)
		err := inputcheck.URL(req.URL)
		if err == nil {
			t.Fatalf("%s passed the check", tt.target)
		}
		rec := httptest.NewRecorder()
		if !h.WriteInputError(rec, req, err) {
			t.Fatalf("%s not claimed", tt.target)
		}
		wantError(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, http.StatusBadRequest, tt.code, tt.message)
	}
	req := httptest.NewRequest("GET", "/oauth/token?x=%00", nil)
	if h.WriteInputError(httptest.NewRecorder(), req, inputcheck.URL(req.URL)) {
		t.Fatal("claimed a path outside /api/v2/")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// FuzzBodyRule feeds arbitrary bodies to every rule's check: it never
// panics, and refuses only with a 400 invalid_body.
func FuzzBodyRule(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","user_metadata":{"a":[1,{"b":"c"}]}}`, `{"scopes":[{"value":"a","description":"b"}]}`,
		`{"client_metadata":{"k":"v"}}`, `{"A":"1","B":"2"}`, `["a","b"]`, `{"a":"\u0000"}`, `{"a":"\ud800"}`,
		`{"callbacks":["https://a"],"dependencies":{"x":1}}`, `null`, `{`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	var rules []bodyRule
	for _, p := range sortedKeys(bodyRules) {
		rules = append(rules, bodyRules[p])
	}
	rules = append(rules, defaultBodyRule)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rule := range rules {
			err := rule.checkBody(body)
			if err == nil {
				continue
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.ErrorCode != "invalid_body" {
				t.Fatalf("checkBody(%q) = %v, want a 400 invalid_body", body, err)
			}
		}
	})
}

// FuzzUserBody feeds arbitrary bodies to user create and patch: every answer
// is a success or a 4xx in the error shape, never a 5xx, and a user that was
// stored holds no NUL.
func FuzzUserBody(f *testing.F) {
	for _, s := range []string{
		`{"connection":"Username-Password-Authentication","email":"a@b.example","password":"correct horse battery"}`,
		`{"email":"x\u0000@b.example"}`, `{"name":"\ud800"}`, `{"user_metadata":{"\u0000":1}}`, `{"given_name":null}`,
		`{"app_metadata":{"a":{"b":[1,2,"\u00e9"]}}}`, `{"logins_count":1}`, `{`, `[]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	b := setup(f)
	target := b.createUser(map[string]any{"email": "fuzz-target@example.com"})["user_id"].(string)
	f.Fuzz(func(t *testing.T, body []byte, patch bool) {
		method, path := "POST", "/api/v2/users"
		if patch {
			method, path = "PATCH", userPath(target)
		}
		req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+b.admin)
		rec := httptest.NewRecorder()
		b.mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"statusCode":`) {
			t.Fatalf("error not in the error shape: %s", rec.Body)
		}
		if rec.Code < 300 && strings.Contains(rec.Body.String(), `\u0000`) {
			t.Fatalf("%s %q stored a NUL: %s", method, body, rec.Body)
		}
	})
}

// TestClientIDRecorded: the Management API tells the server's request log
// which client's token called.
func TestClientIDRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, note := reqlog.With(t.Context())
	req := httptest.NewRequest("GET", "/api/v2/hooks", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+b.admin)
	rec := httptest.NewRecorder()
	b.mux.ServeHTTP(rec, req)
	if rec.Code != 200 || note.ClientID() != "admin-client" {
		t.Fatalf("%d, client id %q", rec.Code, note.ClientID())
	}
}
