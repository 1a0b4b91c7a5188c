package mgmtapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/actionbuild"
	"github.com/keyhook/keyhook/store"
)

const starterPostLogin = "exports.onExecutePostLogin = async (event, api) => {};"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// pinningBuilder builds a draft as the real builder does as far as the
// Management API can see: it parses the code with the JS engine (a syntax
// error fails the build) and pins every dependency to 1.0.0 (npm
// resolution itself is npmdeps' and tested there).
type pinningBuilder struct{ b *bundle }

func (p pinningBuilder) Build(_ context.Context, code, _ string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	if err := p.b.h.JS.CheckScript(code); err != nil {
		return "", "", nil, err
	}
	pinned := make([]keyhook.Dependency, len(deps))
	for i, d := range deps {
		pinned[i] = keyhook.Dependency{Name: d.Name, Version: "1.0.0"}
	}
	return "/*bundle*/" + code, fmt.Sprintf("sha256-%d", len(code)), pinned, nil
}

// buildActions works every queued build job, as the server's queue would:
// the test store has no workers, so jobs wait until a test calls this.
// Jobs of earlier revisions are stale by then and change nothing.
func (b *bundle) buildActions() {
	b.t.Helper()
	jobs, err := b.db.JobList(context.Background(), store.JobListParams{Kind: actionbuild.JobArgs{}.Kind(), Limit: 1000})
	if err != nil {
		b.t.Fatal(err)
	}
	r := &actionbuild.Runner{Store: b.db, Builder: pinningBuilder{b}, Logger: slog.New(slog.DiscardHandler)}
	for _, j := range jobs {
		var args actionbuild.JobArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			b.t.Fatal(err)
		}
		if err := r.Run(context.Background(), args); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *bundle) createAction(name string, trigger keyhook.TriggerID, extra map[string]any) map[string]any {
	b.t.Helper()
	body := map[string]any{"name": name, "supported_triggers": []any{map[string]any{"id": trigger, "version": "v2"}}, "code": starterPostLogin}
	if trigger == keyhook.TriggerPostLogin {
		body["supported_triggers"] = []any{map[string]any{"id": trigger, "version": "v3"}}
	}
	for k, v := range extra {
		body[k] = v
	}
	return b.must(http.StatusCreated, "POST", "/api/v2/actions/actions", body).object(b.t)
}

// deployedAction creates, builds and deploys an action.
func (b *bundle) deployedAction(name string, trigger keyhook.TriggerID) string {
	b.t.Helper()
	id := b.createAction(name, trigger, nil)["id"].(string)
	b.buildActions()
	b.must(200, "POST", "/api/v2/actions/actions/"+id+"/deploy", nil)
	return id
}

func (b *bundle) bindings(trigger keyhook.TriggerID, refs ...map[string]any) response {
	b.t.Helper()
	list := []any{}
	for _, r := range refs {
		list = append(list, r)
	}
	return b.adminDo("PATCH", "/api/v2/actions/triggers/"+string(trigger)+"/bindings", map[string]any{"bindings": list})
}

func ref(kind, value string) map[string]any {
	return map[string]any{"ref": map[string]any{"type": kind, "value": value}}
}

// TestActionCreateGetListDelete: Auth0's shapes of an action, its draft
// status, and the list's filters and pagination.
func TestActionCreateGetListDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.createAction("My Action (1)", keyhook.TriggerPostLogin, map[string]any{
		"dependencies": []any{map[string]any{"name": "lodash", "version": "4.17.21", "registry_url": "https://example.test/lodash"}},
		"secrets":      []any{map[string]any{"name": "API_KEY", "value": "s3cr3t"}},
	})
	id, _ := created["id"].(string)
	if !uuidPattern.MatchString(id) {
		t.Fatalf("id %q is not a UUID", id)
	}
	if got := strings.Join(keys(created), ","); got != "all_changes_deployed,code,created_at,dependencies,id,name,runtime,secrets,status,supported_triggers,updated_at" {
		t.Fatalf("created action keys %s", got)
	}
	secrets := created["secrets"].([]any)
	if len(secrets) != 1 || strings.Join(keys(secrets[0].(map[string]any)), ",") != "name,updated_at" {
		t.Fatalf("secrets %v: want name and updated_at only", secrets)
	}
	if strings.Contains(string(b.must(200, "GET", "/api/v2/actions/actions/"+id, nil).body), "s3cr3t") {
		t.Fatal("a secret value was returned")
	}
	jsonEqual(t, created["supported_triggers"], `[{"id":"post-login","version":"v3"}]`)
	jsonEqual(t, created["dependencies"], `[{"name":"lodash","version":"4.17.21"}]`)
	if created["status"] != "pending" || created["runtime"] != "node22" || created["all_changes_deployed"] != false {
		t.Fatalf("created %v", created)
	}
	jsonEqual(t, b.must(200, "GET", "/api/v2/actions/actions/"+id, nil).json(t), string(mustJSON(t, created)))

	// A version-less trigger takes its current version; an older version
	// takes its own default runtime.
	cx := b.must(201, "POST", "/api/v2/actions/actions", map[string]any{"name": "cx", "supported_triggers": []any{map[string]any{"id": "credentials-exchange"}}}).object(t)
	jsonEqual(t, cx["supported_triggers"], `[{"id":"credentials-exchange","version":"v2"}]`)
	old := b.must(201, "POST", "/api/v2/actions/actions", map[string]any{"name": "old", "supported_triggers": []any{map[string]any{"id": "post-login", "version": "v1"}}}).object(t)
	if old["runtime"] != "node12" {
		t.Fatalf("v1 action runtime %v", old["runtime"])
	}
	b.deployedAction("deployed", keyhook.TriggerPostLogin)

	list := func(query string) map[string]any {
		t.Helper()
		return b.must(200, "GET", "/api/v2/actions/actions"+query, nil).object(t)
	}
	names := func(page map[string]any) string {
		var out []string
		for _, a := range page["actions"].([]any) {
			out = append(out, a.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	all := list("")
	if got := strings.Join(keys(all), ","); got != "actions,page,per_page,total" {
		t.Fatalf("list keys %s", got)
	}
	if all["total"] != float64(4) || all["per_page"] != float64(20) || names(all) != "My Action (1),cx,old,deployed" {
		t.Fatalf("list %v", all)
	}
	for query, want := range map[string]string{
		"?triggerId=post-login":                            "My Action (1),old,deployed",
		"?triggerId=credentials-exchange":                  "cx",
		"?actionName=" + url.QueryEscape("My Action (1)"):  "My Action (1)",
		"?actionName=my+action+(1)":                        "",
		"?deployed=true":                                   "deployed",
		"?deployed=false&triggerId=post-login":             "My Action (1),old",
		"?installed=true":                                  "",
		"?installed=false":                                 "My Action (1),cx,old,deployed",
		"?page=1&per_page=3":                               "deployed",
		"?page=0&per_page=50":                              "My Action (1),cx,old,deployed",
		"?per_page=0":                                      "",
		"?triggerId=post-user-registration&deployed=false": "",
	} {
		if got := names(list(query)); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
	page := list("?page=1&per_page=3")
	if page["total"] != float64(4) || page["page"] != float64(1) || page["per_page"] != float64(3) {
		t.Fatalf("page 1: %v", page)
	}
	deployed := list("?deployed=true")["actions"].([]any)[0].(map[string]any)
	dv := deployed["deployed_version"].(map[string]any)
	if dv["number"] != float64(1) || dv["deployed"] != true || dv["status"] != "built" || deployed["current_version"].(map[string]any)["status"] != "BUILT" {
		t.Fatalf("deployed action %v", deployed)
	}

	for _, tc := range []struct{ query, message string }{
		{"?include_totals=true", "Query validation error: 'Additional properties not allowed: include_totals'."},
		{"?per_page=101", "Query validation error: 'Too big: 101 (max 100)' on property per_page."},
		{"?deployed=yes", "Query validation error: 'Expected type boolean but found type string' on property deployed."},
		{"?triggerId=custom-token-exchange", "Query validation error: 'No enum match for: \"custom-token-exchange\"' on property triggerId…"},
	} {
		wantError(t, b.adminDo("GET", "/api/v2/actions/actions"+tc.query, nil), 400, "invalid_query_string", tc.message)
	}

	r := b.must(204, "DELETE", "/api/v2/actions/actions/"+id, nil)
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	r = b.adminDo("GET", "/api/v2/actions/actions/"+id, nil)
	if r.status != 404 || string(r.body) != `{"statusCode":404,"error":"Not Found","message":"That action does not exist."}` {
		t.Fatalf("deleted action: %d %s", r.status, r.body)
	}
	for _, req := range [][2]string{
		{"DELETE", ""}, {"PATCH", ""}, {"POST", "/deploy"}, {"GET", "/versions"},
		{"GET", "/versions/x"}, {"POST", "/versions/x/deploy"},
	} {
		wantError(t, b.adminDo(req[0], "/api/v2/actions/actions/"+id+req[1], map[string]any{}), 404, "", "That action does not exist.")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestActionDraftBuildDeploy: saves put the draft in pending and queue a
// build; the build pins dependencies; deploy needs a built draft and makes
// consecutive versions; a rollback copies an old version.
func TestActionDraftBuildDeploy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createAction("versions", keyhook.TriggerPostLogin, map[string]any{
		"dependencies": []any{map[string]any{"name": "uuid"}},
		"secrets":      []any{map[string]any{"name": "K", "value": "v1"}},
	})
	id := a["id"].(string)
	path := "/api/v2/actions/actions/" + id
	wantError(t, b.adminDo("POST", path+"/deploy", nil), 400, "", "A draft must be in the 'built' state before it can be deployed.")

	b.buildActions()
	got := b.must(200, "GET", path, nil).object(t)
	if got["status"] != "built" || got["built_at"] == nil {
		t.Fatalf("after the build: %v", got)
	}
	jsonEqual(t, got["dependencies"], `[{"name":"uuid","version":"1.0.0"}]`)

	// Auth0's SDKs send no body, null or {} to deploy.
	v1 := b.must(200, "POST", path+"/deploy", "null").object(t)
	if v1["number"] != float64(1) || v1["deployed"] != true || v1["action_id"] != id || v1["code"] != starterPostLogin {
		t.Fatalf("version 1: %v", v1)
	}
	if act := v1["action"].(map[string]any); act["id"] != id || act["all_changes_deployed"] != true {
		t.Fatalf("version 1's action: %v", act)
	}
	jsonEqual(t, v1["dependencies"], `[{"name":"uuid","version":"1.0.0"}]`)
	got = b.must(200, "GET", path, nil).object(t)
	if got["all_changes_deployed"] != true || got["deployed_version"].(map[string]any)["id"] != v1["id"] {
		t.Fatalf("after deploy: %v", got)
	}

	// An edit is a new draft: pending, not deployable, not all deployed;
	// the deployed version stays.
	edited := b.must(200, "PATCH", path, map[string]any{
		"code":    "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/v', 2); };",
		"secrets": []any{map[string]any{"name": "K"}, map[string]any{"name": "NEW", "value": "n"}},
	}).object(t)
	if edited["status"] != "pending" || edited["all_changes_deployed"] != false || edited["deployed_version"].(map[string]any)["number"] != float64(1) {
		t.Fatalf("edited: %v", edited)
	}
	wantError(t, b.adminDo("POST", path+"/deploy", map[string]any{}), 400, "", "A draft must be in the 'built' state before it can be deployed.")
	b.buildActions()
	v2 := b.must(200, "POST", path+"/deploy", nil).object(t)
	if v2["number"] != float64(2) {
		t.Fatalf("version 2: %v", v2)
	}
	secretNames := func(v map[string]any) string {
		var out []string
		for _, s := range v["secrets"].([]any) {
			out = append(out, s.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	if secretNames(v2) != "K,NEW" || secretNames(v1) != "K" {
		t.Fatalf("secrets of v1 %s, v2 %s", secretNames(v1), secretNames(v2))
	}
	ver, err := b.db.ActionVersionGet(t.Context(), id, v2["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if ver.Secrets[0].Value != "v1" || ver.Secrets[1].Value != "n" {
		t.Fatalf("a secret listed without a value lost it: %+v", ver.Secrets)
	}

	versions := b.must(200, "GET", path+"/versions", nil).object(t)
	if versions["total"] != float64(2) || len(versions["versions"].([]any)) != 2 {
		t.Fatalf("versions %v", versions)
	}
	newest := versions["versions"].([]any)[0].(map[string]any)
	if newest["number"] != float64(2) || newest["deployed"] != true || versions["versions"].([]any)[1].(map[string]any)["deployed"] != false {
		t.Fatalf("versions, newest first: %v", versions)
	}
	pageTwo := b.must(200, "GET", path+"/versions?page=1&per_page=1", nil).object(t)
	if len(pageTwo["versions"].([]any)) != 1 || pageTwo["versions"].([]any)[0].(map[string]any)["number"] != float64(1) {
		t.Fatalf("second page %v", pageTwo)
	}
	one := b.must(200, "GET", path+"/versions/"+v1["id"].(string), nil).object(t)
	if one["number"] != float64(1) || one["deployed"] != false {
		t.Fatalf("version 1 now %v", one)
	}
	wantError(t, b.adminDo("GET", path+"/versions/nope", nil), 404, "", "That action version does not exist.")
	other := b.createAction("other", keyhook.TriggerPostLogin, nil)["id"].(string)
	wantError(t, b.adminDo("GET", "/api/v2/actions/actions/"+other+"/versions/"+v1["id"].(string), nil), 404, "", "That action version does not exist.")

	// Rollback: version 3 is version 1's code; the draft keeps version 2's
	// unless update_draft.
	v3 := b.must(200, "POST", path+"/versions/"+v1["id"].(string)+"/deploy", nil).object(t)
	if v3["number"] != float64(3) || v3["code"] != starterPostLogin || v3["deployed"] != true {
		t.Fatalf("rollback: %v", v3)
	}
	got = b.must(200, "GET", path, nil).object(t)
	if got["all_changes_deployed"] != false || got["code"] == starterPostLogin || got["deployed_version"].(map[string]any)["number"] != float64(3) {
		t.Fatalf("after the rollback: %v", got)
	}
	v4 := b.must(200, "POST", path+"/versions/"+v1["id"].(string)+"/deploy", map[string]any{"update_draft": true}).object(t)
	got = b.must(200, "GET", path, nil).object(t)
	if v4["number"] != float64(4) || got["code"] != starterPostLogin || got["all_changes_deployed"] != true || got["status"] != "built" {
		t.Fatalf("rollback with update_draft: %v / %v", v4, got)
	}
	wantError(t, b.adminDo("POST", path+"/versions/"+v1["id"].(string)+"/deploy", map[string]any{"update_draft": "yes"}), 400, "invalid_body",
		"Payload validation error: 'Expected type boolean but found type string' on property update_draft.")
	wantError(t, b.adminDo("POST", path+"/deploy", map[string]any{"force": true}), 400, "invalid_body",
		"Payload validation error: 'Additional properties not allowed: force'.")

	// A build that fails keeps its reason in the action.
	b.must(200, "PATCH", path, map[string]any{"dependencies": []any{}})
	if _, err := b.db.ActionUpdate(t.Context(), id, func(a *keyhook.Action) error {
		// Code the save-time check would refuse: the build's own check is
		// what fails here.
		a.Code = "exports.onExecutePostLogin = async (event, api) => {"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.buildActions()
	got = b.must(200, "GET", path, nil).object(t)
	errs, _ := got["errors"].([]any)
	if got["status"] != "failed" || len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["msg"].(string), "line 1") {
		t.Fatalf("failed build: %v", got)
	}
	wantError(t, b.adminDo("POST", path+"/deploy", nil), 400, "", "A draft must be in the 'built' state before it can be deployed.")
}

// TestActionCreateWithDeploy: deploy:true deploys the draft once built.
func TestActionCreateWithDeploy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createAction("deploy-me", keyhook.TriggerPostLogin, map[string]any{"deploy": true})
	if a["status"] != "pending" || a["deployed_version"] != nil {
		t.Fatalf("created %v", a)
	}
	b.buildActions()
	got := b.must(200, "GET", "/api/v2/actions/actions/"+a["id"].(string), nil).object(t)
	dv, _ := got["deployed_version"].(map[string]any)
	if dv == nil || dv["number"] != float64(1) || got["all_changes_deployed"] != true {
		t.Fatalf("after the build: %v", got)
	}
	wantError(t, b.adminDo("PATCH", "/api/v2/actions/actions/"+a["id"].(string), map[string]any{"deploy": true}), 400, "invalid_body",
		"Payload validation error: 'Additional properties not allowed: deploy'.")
}

// TestActionTriggers: the six triggers, each at Auth0's versions.
func TestActionTriggers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	triggers := b.must(200, "GET", "/api/v2/actions/triggers", nil).object(t)["triggers"].([]any)
	if len(triggers) != len(keyhook.ActionTriggers) {
		t.Fatalf("%d triggers", len(triggers))
	}
	seen := map[string]bool{}
	for _, tr := range triggers {
		m := tr.(map[string]any)
		if got := strings.Join(keys(m), ","); got != "binding_policy,compatible_triggers,default_runtime,id,runtimes,status,version" {
			t.Fatalf("trigger keys %s", got)
		}
		if m["status"] == "CURRENT" {
			seen[m["id"].(string)] = true
		}
		if m["id"] == "post-login" && m["version"] == "v3" {
			jsonEqual(t, m["compatible_triggers"], `[{"id":"post-login","version":"v2"}]`)
			if m["status"] != "CURRENT" || m["default_runtime"] != "node22" {
				t.Fatalf("post-login v3 %v", m)
			}
		}
	}
	if len(seen) != 6 {
		t.Fatalf("current triggers %v, want the six", seen)
	}
	wantError(t, b.adminDo("GET", "/api/v2/actions/triggers?per_page=5", nil), 400, "invalid_query_string",
		"Query validation error: 'Additional properties not allowed: per_page'.")
}

// TestActionBindings: the flow of a trigger is the ordered list a PATCH
// sets; only deployed actions supporting the trigger may be in it.
func TestActionBindings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.deployedAction("first", keyhook.TriggerPostLogin)
	second := b.deployedAction("second", keyhook.TriggerPostLogin)
	cx := b.deployedAction("cx", keyhook.TriggerCredentialsExchange)
	draft := b.createAction("draft-only", keyhook.TriggerPostLogin, nil)["id"].(string)
	path := "/api/v2/actions/triggers/post-login/bindings"

	r := b.bindings(keyhook.TriggerPostLogin, ref("action_name", "second"), map[string]any{"ref": map[string]any{"type": "action_id", "value": first}, "display_name": "First!"})
	if r.status != 200 {
		t.Fatalf("PATCH bindings: %d %s", r.status, r.body)
	}
	list := r.object(t)["bindings"].([]any)
	if len(list) != 2 {
		t.Fatalf("bindings %v", list)
	}
	b0, b1 := list[0].(map[string]any), list[1].(map[string]any)
	if b0["display_name"] != "second" || b1["display_name"] != "First!" || b0["trigger_id"] != "post-login" ||
		b0["action"].(map[string]any)["id"] != second || b0["action"].(map[string]any)["deployed_version"] == nil {
		t.Fatalf("bindings %v", list)
	}
	if !uuidPattern.MatchString(b0["id"].(string)) {
		t.Fatalf("binding id %v", b0["id"])
	}
	got := b.must(200, "GET", path, nil).object(t)
	if got["total"] != float64(2) || got["per_page"] != float64(20) {
		t.Fatalf("GET bindings %v", got)
	}
	jsonEqual(t, got["bindings"], string(mustJSON(t, list)))
	pageTwo := b.must(200, "GET", path+"?page=1&per_page=1", nil).object(t)
	if pageTwo["bindings"].([]any)[0].(map[string]any)["id"] != b1["id"] {
		t.Fatalf("second page %v", pageTwo)
	}

	// Reorder: the first binding kept by its id (and display name).
	r = b.bindings(keyhook.TriggerPostLogin, ref("binding_id", b1["id"].(string)), map[string]any{"ref": map[string]any{"value": "second"}})
	list = r.object(t)["bindings"].([]any)
	if list[0].(map[string]any)["id"] != b1["id"] || list[0].(map[string]any)["display_name"] != "First!" ||
		list[1].(map[string]any)["action"].(map[string]any)["name"] != "second" {
		t.Fatalf("reordered %v", list)
	}

	// Refusals leave the flow as it was.
	for _, tc := range []struct {
		name    string
		trigger keyhook.TriggerID
		body    any
		status  int
		code    string
		message string
	}{
		{"undeployed action", "post-login", map[string]any{"bindings": []any{ref("action_id", draft)}}, 400, "invalid_body", "bindings[0]: the action \"draft-only\" is not deployed yet: deploy it before binding it"},
		{"incompatible action", "post-login", map[string]any{"bindings": []any{ref("action_id", cx)}}, 400, "invalid_body", "bindings[0]: the action \"cx\" does not support the trigger post-login"},
		{"unknown action", "post-login", map[string]any{"bindings": []any{ref("action_name", "nope")}}, 400, "invalid_body", "bindings[0]: no action has the action_name \"nope\""},
		{"unknown binding", "post-login", map[string]any{"bindings": []any{ref("binding_id", "nope")}}, 400, "invalid_body", "bindings[0]: the trigger post-login has no binding \"nope\""},
		{"action twice", "post-login", map[string]any{"bindings": []any{ref("action_id", first), ref("action_name", "first")}}, 400, "invalid_body", "is bound twice' on property bindings[1].…"},
		{"bad ref type", "post-login", map[string]any{"bindings": []any{ref("id", first)}}, 400, "invalid_body", "No enum match for: \"id\"' on property bindings[0].ref.type…"},
		{"Auth0's old id_type shape", "post-login", map[string]any{"bindings": []any{map[string]any{"id_type": "action_id", "id_value": first}}}, 400, "invalid_body", "Additional properties not allowed: id_type' on property bindings…"},
		{"no ref", "post-login", map[string]any{"bindings": []any{map[string]any{"display_name": "x"}}}, 400, "invalid_body", "Payload validation error: 'Missing required property: ref.value' on property bindings[0]."},
		{"binding secrets", "post-login", map[string]any{"bindings": []any{map[string]any{"ref": map[string]any{"value": "first"}, "secrets": []any{map[string]any{"name": "a", "value": "b"}}}}}, 400, "invalid_body", "Marketplace…"},
		{"no bindings property", "post-login", map[string]any{}, 400, "invalid_body", "Payload validation error: 'Missing required property: bindings'."},
		{"unknown trigger", "custom-token-exchange", map[string]any{"bindings": []any{}}, 400, "invalid_uri", "Path validation error: 'No enum match for: \"custom-token-exchange\"' on property triggerId…"},
		{"too many", "post-login", map[string]any{"bindings": manyRefs(keyhook.MaxBindingsPerTrigger + 1)}, 400, "invalid_body", "Payload validation error: 'Array is too long (21), maximum 20' on property bindings."},
		{"display name too long", "post-login", map[string]any{"bindings": []any{map[string]any{"ref": map[string]any{"value": "first"}, "display_name": strings.Repeat("d", keyhook.MaxBindingDisplayNameLen+1)}}}, 400, "invalid_body", "String is too long (129 chars), maximum 128' on property bindings[0].display_name.…"},
	} {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("PATCH", "/api/v2/actions/triggers/"+string(tc.trigger)+"/bindings", tc.body), tc.status, tc.code, tc.message)
		})
	}
	wantError(t, b.adminDo("GET", "/api/v2/actions/triggers/post-logon/bindings", nil), 400, "invalid_uri", "No enum match for: \"post-logon\"…")

	// A bound action cannot move to another trigger, nor be deleted
	// without force.
	b.unchanged("trigger change", func() {
		wantError(t, b.adminDo("PATCH", "/api/v2/actions/actions/"+first, map[string]any{
			"supported_triggers": []any{map[string]any{"id": "credentials-exchange", "version": "v2"}},
		}), 400, "", "can't upgrade to this trigger.")
	})
	b.must(200, "PATCH", "/api/v2/actions/actions/"+first, map[string]any{"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v2"}}})
	b.unchanged("delete a bound action", func() {
		wantError(t, b.adminDo("DELETE", "/api/v2/actions/actions/"+first, nil), 409, "", "Unable to delete an action bound to a trigger.")
		wantError(t, b.adminDo("DELETE", "/api/v2/actions/actions/"+first+"?force=false", nil), 409, "", "Unable to delete an action bound to a trigger.")
		wantError(t, b.adminDo("DELETE", "/api/v2/actions/actions/"+first+"?force=1", nil), 400, "invalid_query_string", "on property force.…")
	})
	b.must(204, "DELETE", "/api/v2/actions/actions/"+first+"?force=true", nil)
	got = b.must(200, "GET", path, nil).object(t)
	if got["total"] != float64(1) || got["bindings"].([]any)[0].(map[string]any)["action"].(map[string]any)["name"] != "second" {
		t.Fatalf("after the forced delete: %v", got)
	}

	// An empty list clears the flow.
	r = b.bindings(keyhook.TriggerPostLogin)
	if r.status != 200 || string(r.body) != `{"bindings":[]}` {
		t.Fatalf("clear: %d %s", r.status, r.body)
	}
	b.must(204, "DELETE", "/api/v2/actions/actions/"+second, nil)
}

func manyRefs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = ref("action_name", fmt.Sprintf("a%d", i))
	}
	return out
}

// TestActionExecutions: an execution stored by a trigger run reads back in
// Auth0's shape; expired ones are gone.
func TestActionExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now().UTC()
	e := &keyhook.Execution{
		ID: keyhook.NewExecutionID(), TriggerID: keyhook.TriggerPostLogin, Status: keyhook.ExecutionFinal,
		Steps: []keyhook.ExecutionStep{{
			ActionID: "a1", ActionName: "my-slack-action", VersionID: "v1", VersionNumber: 1, BindingID: "b1",
			StartedAt: now, EndedAt: now.Add(2500 * time.Microsecond), Logs: "sent\n",
			Commands: []keyhook.ExecutionCommand{{Method: "api.idToken.setCustomClaim", Args: []any{"https://x/c", "v"}}},
		}, {
			ActionName: "second", StartedAt: now, EndedAt: now, Error: &keyhook.ExecutionError{Name: "TypeError", Message: "boom"},
		}},
		CreatedAt: now,
	}
	if err := b.db.ExecutionCreate(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got := b.must(200, "GET", "/api/v2/actions/executions/"+e.ID, nil).object(t)
	if got["id"] != e.ID || got["trigger_id"] != "post-login" || got["status"] != "final" {
		t.Fatalf("execution %v", got)
	}
	results := got["results"].([]any)
	r0, r1 := results[0].(map[string]any), results[1].(map[string]any)
	if r0["action_name"] != "my-slack-action" || r0["version_number"] != float64(1) || r0["duration_ms"] != 2.5 ||
		r0["logs"] != "sent\n" || r0["error"] != nil || len(r0["commands"].([]any)) != 1 {
		t.Fatalf("result 0: %v", r0)
	}
	jsonEqual(t, r1["error"], `{"id":"TypeError","msg":"boom","name":"TypeError"}`)

	old := &keyhook.Execution{ID: keyhook.NewExecutionID(), TriggerID: keyhook.TriggerPostLogin, Status: keyhook.ExecutionFinal,
		CreatedAt: now.Add(-keyhook.ExecutionRetention - time.Minute)}
	if err := b.db.ExecutionCreate(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{old.ID, "M9IqRp9wQLaYNrSwz6YPTTIwMjEwNDA0"} {
		r := b.adminDo("GET", "/api/v2/actions/executions/"+id, nil)
		if r.status != 404 || string(r.body) != `{"statusCode":404,"error":"Not Found","message":"That execution does not exist."}` {
			t.Fatalf("execution %s: %d %s", id, r.status, r.body)
		}
	}
}

// TestActionBadInput: every refusal the issue lists, each a 4xx in the
// Management API's error shape, with nothing stored (no action, no build
// job).
func TestActionBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	existing := b.createAction("taken", keyhook.TriggerPostLogin, nil)["id"].(string)
	b.buildActions()
	valid := func(extra map[string]any) map[string]any {
		body := map[string]any{"name": "new", "supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "code": starterPostLogin}
		for k, v := range extra {
			if v == nil {
				delete(body, k)
				continue
			}
			body[k] = v
		}
		return body
	}
	secrets := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"name": fmt.Sprintf("S%d", i), "value": "v"}
		}
		return out
	}
	deps := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"name": fmt.Sprintf("pkg-%d", i), "version": "1.0.0"}
		}
		return out
	}
	trig := func(id, version string) []any { return []any{map[string]any{"id": id, "version": version}} }
	tests := []struct {
		name    string
		body    any
		status  int
		code    string
		message string
	}{
		{"no name", valid(map[string]any{"name": nil}), 400, "invalid_body", "Payload validation error: 'Missing required property: name'."},
		{"empty name", valid(map[string]any{"name": ""}), 400, "invalid_body", "minimum 1' on property name.…"},
		{"name too long", valid(map[string]any{"name": strings.Repeat("n", keyhook.MaxActionNameLen+1)}), 400, "invalid_body", "String is too long (129 chars), maximum 128' on property name.…"},
		{"no trigger", valid(map[string]any{"supported_triggers": nil}), 400, "invalid_body", "Payload validation error: 'Missing required property: supported_triggers'."},
		{"empty triggers", valid(map[string]any{"supported_triggers": []any{}}), 400, "invalid_body", "Array is too short (0), minimum 1' on property supported_triggers.…"},
		{"two triggers", valid(map[string]any{"supported_triggers": append(trig("post-login", "v3"), trig("credentials-exchange", "v2")...)}), 400, "invalid_body", "Array is too long (2), maximum 1'…"},
		{"unknown trigger", valid(map[string]any{"supported_triggers": trig("post-logon", "v3")}), 400, "invalid_body", "No enum match for: \"post-logon\"' on property supported_triggers[0].id…"},
		{"trigger keyhook does not run", valid(map[string]any{"supported_triggers": trig("custom-token-exchange", "v1")}), 400, "invalid_body", "No enum match for: \"custom-token-exchange\"'…"},
		{"unknown trigger version", valid(map[string]any{"supported_triggers": trig("post-login", "v9")}), 400, "invalid_body", "No enum match for: \"v9\"' on property supported_triggers[0].version (trigger post-login has versions v1, v2, v3).…"},
		{"trigger without id", valid(map[string]any{"supported_triggers": []any{map[string]any{"version": "v3"}}}), 400, "invalid_body", "Missing required property: id' on property supported_triggers[0].…"},
		{"unknown runtime", valid(map[string]any{"runtime": "node8"}), 400, "invalid_body", "No enum match for: \"node8\"' on property runtime…"},
		{"runtime of another trigger version", valid(map[string]any{"runtime": "node22", "supported_triggers": trig("post-login", "v1")}), 400, "invalid_body", "Runtime \"node22\" is not supported by trigger post-login v1…"},
		{"syntax error", valid(map[string]any{"code": "exports.onExecutePostLogin = async (event, api) => {\n  api.access.deny(;\n};"}), 400, "invalid_body", "Script syntax error at line 2…"},
		{"code too large", valid(map[string]any{"code": "//" + strings.Repeat("x", keyhook.MaxActionCodeBytes)}), 400, "invalid_body", "String is too long (102402 bytes), maximum 102400' on property code.…"},
		{"31 secrets", valid(map[string]any{"secrets": secrets(keyhook.MaxActionSecrets + 1)}), 400, "invalid_body", "Payload validation error: 'Array is too long (31), maximum 30' on property secrets."},
		{"empty secret name", valid(map[string]any{"secrets": []any{map[string]any{"name": "", "value": "v"}}}), 400, "invalid_body", "Secret name length must be between 1 and 128 characters (0)' on property secrets[0].name.…"},
		{"secret name too long", valid(map[string]any{"secrets": []any{map[string]any{"name": strings.Repeat("s", 129), "value": "v"}}}), 400, "invalid_body", "String is too long (129 chars), maximum 128' on property secrets[0].name.…"},
		{"secret name with a newline", valid(map[string]any{"secrets": []any{map[string]any{"name": "A\nB", "value": "v"}}}), 400, "invalid_body", "control characters' on property secrets[0].name.…"},
		{"secret twice", valid(map[string]any{"secrets": []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "A", "value": "2"}}}), 400, "invalid_body", "Secret \"A\" is listed twice' on property secrets.…"},
		{"secret without name", valid(map[string]any{"secrets": []any{map[string]any{"value": "v"}}}), 400, "invalid_body", "Missing required property: name' on property secrets[0].…"},
		{"secret value too long", valid(map[string]any{"secrets": []any{map[string]any{"name": "A", "value": strings.Repeat("v", keyhook.MaxActionSecretValueLen+1)}}}), 400, "invalid_body", "String is too long (4097 chars), maximum 4096' on property secrets[0].value.…"},
		{"secret as an object", valid(map[string]any{"secrets": map[string]any{"A": "b"}}), 400, "invalid_body", "Expected type array but found type object' on property secrets.…"},
		{"11 dependencies", valid(map[string]any{"dependencies": deps(keyhook.MaxActionDependencies + 1)}), 400, "invalid_body", "Payload validation error: 'Array is too long (11), maximum 10' on property dependencies."},
		{"bad package name", valid(map[string]any{"dependencies": []any{map[string]any{"name": "../etc"}}}), 400, "invalid_body", "Invalid npm package name: \"../etc\"' on property dependencies[0].name.…"},
		{"bad version", valid(map[string]any{"dependencies": []any{map[string]any{"name": "lodash", "version": "next!"}}}), 400, "invalid_body", "Invalid version \"next!\" for dependency \"lodash\"…"},
		{"dependency twice", valid(map[string]any{"dependencies": append(deps(1), deps(1)...)}), 400, "invalid_body", "Dependency \"pkg-0\" is listed twice' on property dependencies.…"},
		{"hook-style dependencies", valid(map[string]any{"dependencies": map[string]any{"lodash": "4"}}), 400, "invalid_body", "Expected type array but found type object' on property dependencies.…"},
		{"modules", valid(map[string]any{"modules": []any{map[string]any{"module_id": "m"}}}), 400, "invalid_body", "Actions Modules are not supported: 'modules' must be empty"},
		{"unknown property", valid(map[string]any{"status": "built"}), 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: status'."},
		{"unknown nested property", valid(map[string]any{"secrets": []any{map[string]any{"name": "A", "value": "b", "updated_at": "x"}}}), 400, "invalid_body", "Additional properties not allowed: updated_at' on property secrets…"},
		{"deploy as a string", valid(map[string]any{"deploy": "true"}), 400, "invalid_body", "Expected type boolean but found type string' on property deploy.…"},
		{"NUL in code", `{"name":"n","supported_triggers":[{"id":"post-login"}],"code":"a\u0000b"}`, 400, "invalid_body", "contains a NUL character…"},
		{"not JSON", `{"name":`, 400, "invalid_body", "Invalid request payload JSON format"},
		{"duplicate name", valid(map[string]any{"name": "taken"}), 409, "", "An action with the same name already exists."},
	}
	for _, tc := range tests {
		b.unchanged(tc.name, func() {
			wantError(t, b.adminDo("POST", "/api/v2/actions/actions", tc.body), tc.status, tc.code, tc.message)
		})
	}
	// The same rules on PATCH, which also refuses renaming onto a taken
	// name and takes no deploy.
	other := b.createAction("other", keyhook.TriggerPostLogin, nil)["id"].(string)
	b.buildActions()
	for _, tc := range tests {
		body, ok := tc.body.(map[string]any)
		if !ok || tc.name == "no name" || tc.name == "no trigger" || tc.name == "deploy as a string" {
			continue
		}
		delete(body, "name")
		if tc.name == "duplicate name" || tc.name == "empty name" || tc.name == "name too long" {
			body["name"] = map[string]any{"duplicate name": "taken", "empty name": "", "name too long": strings.Repeat("n", 129)}[tc.name]
		}
		b.unchanged("PATCH "+tc.name, func() {
			wantError(t, b.adminDo("PATCH", "/api/v2/actions/actions/"+other, body), tc.status, tc.code, tc.message)
		})
	}
	b.unchanged("PATCH a missing action", func() {
		wantError(t, b.adminDo("PATCH", "/api/v2/actions/actions/nope", map[string]any{"code": starterPostLogin}), 404, "", "That action does not exist.")
	})
	b.unchanged("body too large", func() {
		r := b.adminDo("POST", "/api/v2/actions/actions", valid(map[string]any{"code": strings.Repeat("x", 600<<10)}))
		if r.status != 413 {
			t.Fatalf("600 KiB body: %d %s", r.status, r.body)
		}
	})
	if got := b.must(200, "GET", "/api/v2/actions/actions/"+existing, nil).object(t); got["status"] != "built" {
		t.Fatalf("refusals touched another action: %v", got)
	}
}

// TestActionSeedTutorial walks the Management API steps of Auth0's "notify
// Slack on user login" tutorial (seeds/003): create the action for the
// Login / Post Login trigger, add the SLACK_WEBHOOK_URL secret, add the
// @slack/webhook dependency at its latest version, save the draft, add the
// code, deploy (Version 1 in the history), bind it to the Login flow.
// Testing the draft and the tenant log's action details are the test
// runner's and the trigger chain's, tested with them.
func TestActionSeedTutorial(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.must(201, "POST", "/api/v2/actions/actions", map[string]any{
		"name":               "my-slack-action",
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
		"code":               starterPostLogin,
		"runtime":            "node22",
	}).object(t)
	id := created["id"].(string)
	path := "/api/v2/actions/actions/" + id

	// Add a secret and a dependency, then save the draft: the dashboard
	// PATCHes the whole draft.
	const slackCode = "exports.onExecutePostLogin = async (event, api) => {\n" +
		"  const { IncomingWebhook } = require('@slack/webhook');\n" +
		"  const webhook = new IncomingWebhook(event.secrets.SLACK_WEBHOOK_URL);\n" +
		"  const text = `New User: ${event.user.email}`;\n" +
		"  const channel = '#some_channel';\n" +
		"  webhook.send({ text, channel });\n" +
		"};\n"
	saved := b.must(200, "PATCH", path, map[string]any{
		"secrets":      []any{map[string]any{"name": "SLACK_WEBHOOK_URL", "value": "https://hooks.slack.example/services/T000/B000/XXXX"}},
		"dependencies": []any{map[string]any{"name": "@slack/webhook"}},
	}).object(t)
	if saved["status"] != "pending" {
		t.Fatalf("saved draft %v", saved)
	}
	jsonEqual(t, saved["dependencies"], `[{"name":"@slack/webhook","version":""}]`)
	b.must(200, "PATCH", path, map[string]any{"code": slackCode})
	b.buildActions()
	draft := b.must(200, "GET", path, nil).object(t)
	if draft["status"] != "built" || draft["code"] != slackCode {
		t.Fatalf("built draft %v", draft)
	}
	// "the latest version of your dependency will be resolved and replaced
	// with a specific version number".
	jsonEqual(t, draft["dependencies"], `[{"name":"@slack/webhook","version":"1.0.0"}]`)
	jsonEqual(t, draft["secrets"].([]any)[0].(map[string]any)["name"], `"SLACK_WEBHOOK_URL"`)
	if strings.Contains(string(b.must(200, "GET", path, nil).body), "hooks.slack.example") {
		t.Fatal("the secret's value was returned")
	}

	// Deploy; the version history shows Version 1.
	b.must(200, "POST", path+"/deploy", nil)
	history := b.must(200, "GET", path+"/versions", nil).object(t)
	versions := history["versions"].([]any)
	if history["total"] != float64(1) || versions[0].(map[string]any)["number"] != float64(1) || versions[0].(map[string]any)["code"] != slackCode {
		t.Fatalf("version history %v", history)
	}

	// Attach it to the Login flow, as the dashboard's Apply does.
	r := b.bindings(keyhook.TriggerPostLogin, map[string]any{"ref": map[string]any{"type": "action_name", "value": "my-slack-action"}, "display_name": "my-slack-action"})
	if r.status != 200 {
		t.Fatalf("bind: %d %s", r.status, r.body)
	}
	flow := b.must(200, "GET", "/api/v2/actions/triggers/post-login/bindings", nil).object(t)
	if flow["total"] != float64(1) || flow["bindings"].([]any)[0].(map[string]any)["action"].(map[string]any)["id"] != id {
		t.Fatalf("login flow %v", flow)
	}
	steps, err := b.db.BindingListDeployed(t.Context(), keyhook.TriggerPostLogin)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Version.Number != 1 || steps[0].Version.Secrets[0].Value != "https://hooks.slack.example/services/T000/B000/XXXX" ||
		steps[0].Version.Bundle != "/*bundle*/"+slackCode {
		t.Fatalf("what the login flow runs: %+v", steps)
	}
}

// FuzzActionBodies feeds arbitrary bodies to the routes that parse Actions
// bodies (create, PATCH, rollback, bindings): every answer is a success or
// a 4xx in the error shape, never a 5xx.
func FuzzActionBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"n","supported_triggers":[{"id":"post-login","version":"v3"}],"code":"exports.onExecutePostLogin = async () => {};"}`,
		`{"secrets":[{"name":"A","value":"b"},{"name":"A"}],"dependencies":[{"name":"lodash","version":"^4"}]}`,
		`{"supported_triggers":[{"id":"post-login","status":"CURRENT","runtimes":["node22"]}],"runtime":"node12"}`,
		`{"bindings":[{"ref":{"type":"action_name","value":"fixture"},"display_name":"d"}]}`,
		`{"bindings":[{"ref":{"type":"binding_id","value":"x"}},{"ref":{}}]}`, `{"update_draft":true}`,
		`{"code":"}"}`, `{"deploy":1}`, `null`, `[]`, `{`, `{"modules":[]}`,
	} {
		for route := range 4 {
			f.Add([]byte(s), uint8(route))
		}
	}
	b := setup(f)
	action := b.deployedAction("fixture", keyhook.TriggerPostLogin)
	version := b.must(http.StatusOK, "GET", "/api/v2/actions/actions/"+action, nil).object(f)["deployed_version"].(map[string]any)["id"].(string)
	routes := [][2]string{
		{"POST", "/api/v2/actions/actions"},
		{"PATCH", "/api/v2/actions/actions/" + action},
		{"POST", "/api/v2/actions/actions/" + action + "/versions/" + version + "/deploy"},
		{"PATCH", "/api/v2/actions/triggers/post-login/bindings"},
	}
	f.Fuzz(func(t *testing.T, body []byte, route uint8) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequest(rt[0], rt[1], strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+b.admin)
		rec := httptest.NewRecorder()
		b.mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", rt[0], rt[1], body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"statusCode":`) {
			t.Fatalf("error not in the error shape: %s", rec.Body)
		}
	})
}
