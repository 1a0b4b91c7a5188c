package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/actionbuild"
	"github.com/keyhook/keyhook/store"
)

// Auth0 Actions: the draft (create, PATCH), its build (actionbuild's job),
// deploy and versions (action_versions.go), triggers and bindings
// (action_bindings.go) and executions (action_executions.go). Secret values
// are write-only: responses show each secret's name and updated_at.

// The Actions endpoints answer errors without an errorCode, in Auth0's
// words.
var (
	errActionNotFound    = &apiError{Status: http.StatusNotFound, Message: "That action does not exist."}
	errActionNotBuilt    = &apiError{Status: http.StatusBadRequest, Message: "A draft must be in the 'built' state before it can be deployed."}
	errActionBound       = &apiError{Status: http.StatusConflict, Message: "Unable to delete an action bound to a trigger."}
	errActionNameTaken   = &apiError{Status: http.StatusConflict, Message: "An action with the same name already exists."}
	errActionTriggerUsed = &apiError{Status: http.StatusBadRequest, Message: "can't upgrade to this trigger."}
)

// secretView is an action secret as responses show it: never its value.
type secretView struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at"`
}

func viewSecrets(secrets []keyhook.ActionSecret) []secretView {
	out := make([]secretView, len(secrets))
	for i, s := range secrets {
		out[i] = secretView{Name: s.Name, UpdatedAt: formatTime(s.UpdatedAt)}
	}
	return out
}

// actionErrorView is Auth0's {id, msg} error of a build.
type actionErrorView struct {
	ID  string `json:"id"`
	Msg string `json:"msg"`
}

// actionView is an action (its draft) as the API shows it.
type actionView struct {
	ID                 string               `json:"id"`
	Name               string               `json:"name"`
	SupportedTriggers  []keyhook.TriggerRef `json:"supported_triggers"`
	CreatedAt          string               `json:"created_at"`
	UpdatedAt          string               `json:"updated_at"`
	Code               string               `json:"code"`
	Dependencies       []keyhook.Dependency `json:"dependencies"`
	Runtime            string               `json:"runtime"`
	Status             string               `json:"status"`
	Secrets            []secretView         `json:"secrets"`
	CurrentVersion     *currentVersionView  `json:"current_version,omitempty"`
	DeployedVersion    *versionView         `json:"deployed_version,omitempty"`
	AllChangesDeployed bool                 `json:"all_changes_deployed"`
	BuiltAt            string               `json:"built_at,omitempty"`
	// Errors holds the reason of a failed build (keyhook shows it as Auth0
	// shows a version's errors).
	Errors []actionErrorView `json:"errors,omitempty"`
}

// currentVersionView is the legacy current_version Auth0 still puts on
// actions: the deployed version, briefly.
type currentVersionView struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Runtime   string `json:"runtime"`
	Status    string `json:"status"`
	Number    int    `json:"number"`
	BuildTime string `json:"build_time"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// viewAction shows a with its deployed version, read through q.
func viewAction(ctx context.Context, q store.Querier, a *keyhook.Action) (actionView, error) {
	v := actionView{
		ID: a.ID, Name: a.Name, SupportedTriggers: a.SupportedTriggers, CreatedAt: formatTime(a.CreatedAt),
		UpdatedAt: formatTime(a.UpdatedAt), Code: a.Code, Dependencies: a.Dependencies, Runtime: a.Runtime,
		Status: string(a.Status), Secrets: viewSecrets(a.Secrets), AllChangesDeployed: a.AllChangesDeployed,
		BuiltAt: formatTimePtr(a.BuiltAt),
	}
	if a.Status == keyhook.ActionFailed {
		v.Errors = []actionErrorView{{ID: "build_failed", Msg: a.BuildError}}
	}
	if a.DeployedVersionID == "" {
		return v, nil
	}
	dv, err := q.ActionVersionGet(ctx, a.ID, a.DeployedVersionID)
	if err != nil {
		return v, fmt.Errorf("get deployed version of action %s: %w", a.ID, err)
	}
	vv := viewVersion(a, dv, false)
	v.DeployedVersion = &vv
	v.CurrentVersion = &currentVersionView{
		ID: dv.ID, Code: dv.Code, Runtime: dv.Runtime, Status: "BUILT", Number: dv.Number,
		BuildTime: formatTime(dv.BuiltAt), CreatedAt: formatTime(dv.CreatedAt), UpdatedAt: formatTime(dv.UpdatedAt),
	}
	return v, nil
}

func viewActions(ctx context.Context, q store.Querier, actions []keyhook.Action) ([]any, error) {
	out := make([]any, 0, len(actions))
	for i := range actions {
		v, err := viewAction(ctx, q, &actions[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// actionsDefaultPerPage is the default page size of the Actions lists
// (Auth0's; its SDKs send 50).
const actionsDefaultPerPage = 20

// parseActionsPage reads the Actions lists' query: page and per_page, and
// the route's own parameters (extra). Unlike the older lists, Auth0's
// Actions lists refuse every other parameter, include_totals included.
func parseActionsPage(q url.Values, extra ...string) (pageQuery, error) {
	if err := noQuery(q, append([]string{"page", "per_page"}, extra...)...); err != nil {
		return pageQuery{}, err
	}
	pq := pageQuery{PerPage: actionsDefaultPerPage}
	var err error
	if pq.Page, _, err = queryInt(q, "page", 0, 1<<31-1); err != nil {
		return pq, err
	}
	if v, ok, err := queryInt(q, "per_page", 0, maxPerPage); err != nil {
		return pq, err
	} else if ok {
		pq.PerPage = v
	}
	return pq, nil
}

// noQuery refuses the query parameters an Actions route does not take.
func noQuery(q url.Values, allowed ...string) error {
	var unknown []string
	for k := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return badQuery("'Additional properties not allowed: %s'", strings.Join(unknown, ","))
	}
	return nil
}

// writeActionsPage answers an Actions list: {total, page, per_page, <key>}.
func writeActionsPage(w http.ResponseWriter, pq pageQuery, key string, items []any, total int) {
	if items == nil {
		items = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "page": pq.Page, "per_page": pq.PerPage, key: items})
}

// Request bodies.

// triggerRefInput is one of supported_triggers. Auth0's schema for it is the
// whole ActionTrigger, so clients that send a trigger back as they read it
// are accepted; keyhook keeps id and version.
type triggerRefInput struct {
	ID                 *string `json:"id"`
	Version            *string `json:"version"`
	Status             *string `json:"status"`
	Runtimes           []any   `json:"runtimes"`
	DefaultRuntime     *string `json:"default_runtime"`
	CompatibleTriggers []any   `json:"compatible_triggers"`
	BindingPolicy      *string `json:"binding_policy"`
}

type dependencyInput struct {
	Name    *string `json:"name"`
	Version *string `json:"version"`
	// RegistryURL is accepted (Auth0's SDKs send it) and ignored: keyhook
	// resolves every package against the one registry it is configured
	// with.
	RegistryURL *string `json:"registry_url"`
}

type secretInput struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// actionInput is a validated create or PATCH body; nil or false has* means
// absent.
type actionInput struct {
	Name       *string
	Triggers   []keyhook.TriggerRef
	Code       *string
	Runtime    *string
	Deps       []keyhook.Dependency
	hasDeps    bool
	Secrets    []secretInput
	hasSecrets bool
	Deploy     bool
}

var (
	actionCreateProps = []string{"name", "supported_triggers", "code", "runtime", "dependencies", "secrets", "modules", "deploy"}
	actionUpdateProps = []string{"name", "supported_triggers", "code", "runtime", "dependencies", "secrets", "modules"}
)

// actionTriggerIDs are the triggers actions may support, each once.
func actionTriggerIDs() []keyhook.TriggerID {
	var ids []keyhook.TriggerID
	for _, t := range keyhook.ActionTriggers {
		if !slices.Contains(ids, t.ID) {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

func actionTriggerList() string {
	var names []string
	for _, id := range actionTriggerIDs() {
		names = append(names, string(id))
	}
	return strings.Join(names, ", ")
}

// parseActionBody validates a create (name and supported_triggers
// required) or PATCH body. It does not touch the store; the code's syntax
// is checked by the caller.
func parseActionBody(b []byte, create bool) (actionInput, error) {
	props := actionUpdateProps
	if create {
		props = actionCreateProps
	}
	o, err := parseObject(b, props)
	if err != nil {
		return actionInput{}, err
	}
	var in actionInput
	var name, code, runtime string
	if ok, err := field(o, "name", &name); err != nil {
		return in, err
	} else if ok {
		if strings.TrimSpace(name) == "" {
			return in, payloadError("'String is too short (0 chars), minimum 1' on property name")
		}
		in.Name = &name
	}
	var triggers []triggerRefInput
	if ok, err := field(o, "supported_triggers", &triggers); err != nil {
		return in, err
	} else if ok {
		if in.Triggers, err = parseTriggerRefs(triggers); err != nil {
			return in, err
		}
	}
	if ok, err := field(o, "code", &code); err != nil {
		return in, err
	} else if ok {
		if len(code) > keyhook.MaxActionCodeBytes {
			return in, payloadError("'String is too long (%d bytes), maximum %d' on property code", len(code), keyhook.MaxActionCodeBytes)
		}
		in.Code = &code
	}
	if ok, err := field(o, "runtime", &runtime); err != nil {
		return in, err
	} else if ok {
		if !slices.Contains(keyhook.ActionRuntimes, runtime) {
			return in, payloadError("'No enum match for: \"%s\"' on property runtime (Allowed values: %s)", runtime, strings.Join(keyhook.ActionRuntimes, ", "))
		}
		in.Runtime = &runtime
	}
	var deps []dependencyInput
	if in.hasDeps, err = field(o, "dependencies", &deps); err != nil {
		return in, err
	} else if in.hasDeps {
		if in.Deps, err = parseActionDependencies(deps); err != nil {
			return in, err
		}
	}
	if in.hasSecrets, err = field(o, "secrets", &in.Secrets); err != nil {
		return in, err
	} else if in.hasSecrets {
		if err := checkSecretInputs(in.Secrets); err != nil {
			return in, err
		}
	}
	var modules []any
	if ok, err := field(o, "modules", &modules); err != nil {
		return in, err
	} else if ok && len(modules) > 0 {
		return in, badBody("Actions Modules are not supported: 'modules' must be empty")
	}
	if _, err := field(o, "deploy", &in.Deploy); err != nil {
		return in, err
	}
	if create {
		if in.Name == nil {
			return in, missing("name")
		}
		if in.Triggers == nil {
			return in, missing("supported_triggers")
		}
	}
	return in, nil
}

// parseTriggerRefs checks supported_triggers: exactly one trigger keyhook
// runs, at a version Auth0 lists (absent: its current version).
func parseTriggerRefs(items []triggerRefInput) ([]keyhook.TriggerRef, error) {
	if len(items) == 0 {
		return nil, payloadError("'Array is too short (0), minimum 1' on property supported_triggers")
	}
	if len(items) > 1 {
		return nil, payloadError("'Array is too long (%d), maximum 1' on property supported_triggers (an action supports one trigger)", len(items))
	}
	out := make([]keyhook.TriggerRef, 0, len(items))
	for i, it := range items {
		if it.ID == nil {
			return nil, payloadError("'Missing required property: id' on property supported_triggers[%d]", i)
		}
		id := keyhook.TriggerID(*it.ID)
		if !keyhook.ValidActionTrigger(id) {
			return nil, payloadError("'No enum match for: \"%s\"' on property supported_triggers[%d].id (Allowed values: %s)", *it.ID, i, actionTriggerList())
		}
		version := ""
		if it.Version != nil {
			version = *it.Version
		}
		if version == "" {
			version = currentTriggerVersion(id)
		}
		if _, ok := keyhook.LookupActionTrigger(id, version); !ok {
			return nil, payloadError("'No enum match for: \"%s\"' on property supported_triggers[%d].version (trigger %s has versions %s)",
				version, i, id, strings.Join(triggerVersions(id), ", "))
		}
		out = append(out, keyhook.TriggerRef{ID: id, Version: version})
	}
	return out, nil
}

func currentTriggerVersion(id keyhook.TriggerID) string {
	for _, t := range keyhook.ActionTriggers {
		if t.ID == id && t.Status == "CURRENT" {
			return t.Version
		}
	}
	return ""
}

func triggerVersions(id keyhook.TriggerID) []string {
	var out []string
	for _, t := range keyhook.ActionTriggers {
		if t.ID == id {
			out = append(out, t.Version)
		}
	}
	return out
}

// parseActionDependencies checks dependencies: at most 10, npm names, each
// once, versions exact, a semver range, "latest" or blank.
func parseActionDependencies(items []dependencyInput) ([]keyhook.Dependency, error) {
	if len(items) > keyhook.MaxActionDependencies {
		return nil, payloadError("'Array is too long (%d), maximum %d' on property dependencies", len(items), keyhook.MaxActionDependencies)
	}
	out := make([]keyhook.Dependency, 0, len(items))
	for i, it := range items {
		if it.Name == nil {
			return nil, payloadError("'Missing required property: name' on property dependencies[%d]", i)
		}
		n := *it.Name
		if len(n) > keyhook.MaxDependencyNameLen || !npmNamePattern.MatchString(n) {
			return nil, payloadError("'Invalid npm package name: %q' on property dependencies[%d].name", n, i)
		}
		for _, d := range out {
			if d.Name == n {
				return nil, payloadError("'Dependency %q is listed twice' on property dependencies", n)
			}
		}
		v := ""
		if it.Version != nil {
			v = strings.TrimSpace(*it.Version)
		}
		if v != "" && v != "latest" {
			if _, err := semver.NewConstraint(v); err != nil {
				return nil, payloadError("'Invalid version %q for dependency %q: expected a version, a semver range, \"latest\" or nothing' on property dependencies[%d].version", v, n, i)
			}
		}
		out = append(out, keyhook.Dependency{Name: n, Version: v})
	}
	return out, nil
}

// checkSecretInputs checks secrets as Auth0 does (at most 30, names of 1 to
// 128 characters, values of at most 4096) and refuses what would be
// ambiguous: a name twice, a name with control characters.
func checkSecretInputs(items []secretInput) error {
	if len(items) > keyhook.MaxActionSecrets {
		return payloadError("'Array is too long (%d), maximum %d' on property secrets", len(items), keyhook.MaxActionSecrets)
	}
	seen := map[string]bool{}
	for i, s := range items {
		if s.Name == nil {
			return payloadError("'Missing required property: name' on property secrets[%d]", i)
		}
		n := *s.Name
		if c := utf8.RuneCountInString(n); c < 1 || c > keyhook.MaxActionSecretNameLen {
			return payloadError("'Secret name length must be between 1 and %d characters (%d)' on property secrets[%d].name", keyhook.MaxActionSecretNameLen, c, i)
		}
		if strings.IndexFunc(n, unicode.IsControl) >= 0 {
			return payloadError("'Secret names may not contain control characters' on property secrets[%d].name", i)
		}
		if seen[n] {
			return payloadError("'Secret %q is listed twice' on property secrets", n)
		}
		seen[n] = true
		if s.Value != nil && utf8.RuneCountInString(*s.Value) > keyhook.MaxActionSecretValueLen {
			return payloadError("'String is too long (%d chars), maximum %d' on property secrets[%d].value", utf8.RuneCountInString(*s.Value), keyhook.MaxActionSecretValueLen, i)
		}
	}
	return nil
}

// mergeSecrets is the secret set a body's secrets make of cur: the list
// replaces the set; a listed secret without a value keeps its value and
// updated_at (a new one gets the empty value), one with a value is set now.
func mergeSecrets(cur []keyhook.ActionSecret, items []secretInput, now time.Time) []keyhook.ActionSecret {
	out := make([]keyhook.ActionSecret, 0, len(items))
	for _, it := range items {
		s := keyhook.ActionSecret{Name: *it.Name, UpdatedAt: now}
		if i := slices.IndexFunc(cur, func(c keyhook.ActionSecret) bool { return c.Name == s.Name }); i >= 0 && it.Value == nil {
			s = cur[i]
		} else if it.Value != nil {
			s.Value = *it.Value
		}
		out = append(out, s)
	}
	return out
}

// checkRuntime checks the draft's runtime against its trigger's.
func checkRuntime(a *keyhook.Action) error {
	for _, ref := range a.SupportedTriggers {
		t, _ := keyhook.LookupActionTrigger(ref.ID, ref.Version)
		if !slices.Contains(t.Runtimes, a.Runtime) {
			return payloadError("'Runtime %q is not supported by trigger %s %s (supported: %s)' on property runtime",
				a.Runtime, ref.ID, ref.Version, strings.Join(t.Runtimes, ", "))
		}
	}
	return nil
}

// checkActionCode parses an action's code; a syntax error answers 400 with
// its line and column (writeError).
func (h *Handler) checkActionCode(code *string) error {
	if code == nil {
		return nil
	}
	check := h.CheckActionCode
	if check == nil {
		if h.JS == nil {
			return nil
		}
		check = h.JS.CheckScript
	}
	if err := check(*code); err != nil {
		return fmt.Errorf("action code: %w", err)
	}
	return nil
}

// Handlers.

func (h *Handler) listActions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pq, err := parseActionsPage(q, "triggerId", "actionName", "deployed", "installed")
	if err != nil {
		return err
	}
	p := store.ActionListParams{Name: q.Get("actionName")}
	if t := q.Get("triggerId"); t != "" {
		if !keyhook.ValidActionTrigger(keyhook.TriggerID(t)) {
			return badQuery("'No enum match for: \"%s\"' on property triggerId (Allowed values: %s)", t, actionTriggerList())
		}
		p.TriggerID = keyhook.TriggerID(t)
	}
	if p.Deployed, _, err = queryBool(q, "deployed"); err != nil {
		return err
	}
	installed, _, err := queryBool(q, "installed")
	if err != nil {
		return err
	}
	if installed != nil && *installed {
		// Installed actions come from Auth0's Marketplace, which keyhook
		// does not have.
		writeActionsPage(w, pq, "actions", nil, 0)
		return nil
	}
	p.Page, p.PerPage = pq.storePage()
	ctx := r.Context()
	actions, total, err := h.Store.ActionList(ctx, p)
	if err != nil {
		return fmt.Errorf("list actions: %w", err)
	}
	views, err := viewActions(ctx, h.Store, trim(pq, actions))
	if err != nil {
		return err
	}
	writeActionsPage(w, pq, "actions", views, total)
	return nil
}

func (h *Handler) getAction(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	ctx := r.Context()
	a, err := h.Store.ActionGet(ctx, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errActionNotFound)
	}
	v, err := viewAction(ctx, h.Store, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) createAction(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseActionBody(b, true)
	if err != nil {
		return err
	}
	if err := h.checkActionCode(in.Code); err != nil {
		return err
	}
	now := h.now()
	a := &keyhook.Action{
		ID:                keyhook.NewActionID(),
		Name:              *in.Name,
		SupportedTriggers: in.Triggers,
		Dependencies:      in.Deps,
		Status:            keyhook.ActionPending,
		DeployWhenBuilt:   in.Deploy,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	if in.Code != nil {
		a.Code = *in.Code
	}
	t, _ := keyhook.LookupActionTrigger(a.SupportedTriggers[0].ID, a.SupportedTriggers[0].Version)
	a.Runtime = t.DefaultRuntime
	if in.Runtime != nil {
		a.Runtime = *in.Runtime
	}
	if err := checkRuntime(a); err != nil {
		return err
	}
	if in.hasSecrets {
		a.Secrets = mergeSecrets(nil, in.Secrets, now)
	}
	var view actionView
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.ActionCreate(ctx, a); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errActionNameTaken
			}
			return fmt.Errorf("create action: %w", err)
		}
		if err := actionbuild.Enqueue(ctx, tx, a); err != nil {
			return err
		}
		view, err = viewAction(ctx, tx, a)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (h *Handler) updateAction(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseActionBody(b, false)
	if err != nil {
		return err
	}
	if err := h.checkActionCode(in.Code); err != nil {
		return err
	}
	now := h.now()
	var view actionView
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		a, err := tx.ActionUpdate(ctx, r.PathValue("id"), func(a *keyhook.Action) error {
			if in.Name != nil {
				a.Name = *in.Name
			}
			if in.Triggers != nil {
				if err := checkTriggerChange(ctx, tx, a, in.Triggers); err != nil {
					return err
				}
				a.SupportedTriggers = in.Triggers
			}
			if in.Code != nil {
				a.Code = *in.Code
			}
			if in.Runtime != nil {
				a.Runtime = *in.Runtime
			}
			if err := checkRuntime(a); err != nil {
				return err
			}
			if in.hasDeps {
				a.Dependencies = in.Deps
			}
			if in.hasSecrets {
				a.Secrets = mergeSecrets(a.Secrets, in.Secrets, now)
			}
			// Every save is a new draft revision to build; what runs stays
			// the deployed version.
			a.Status, a.BuildError = keyhook.ActionPending, ""
			a.Bundle, a.BundleHash = "", ""
			a.Revision++
			a.DeployWhenBuilt = false
			a.AllChangesDeployed = false
			a.UpdatedAt = now
			return nil
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errActionNameTaken
			}
			return fmt.Errorf("update action: %w", notFoundAs(err, errActionNotFound))
		}
		if err := actionbuild.Enqueue(ctx, tx, a); err != nil {
			return err
		}
		view, err = viewAction(ctx, tx, a)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// checkTriggerChange refuses to move a bound action to another trigger, as
// Auth0 does.
func checkTriggerChange(ctx context.Context, q store.Querier, a *keyhook.Action, next []keyhook.TriggerRef) error {
	for _, id := range actionTriggerIDs() {
		if slices.ContainsFunc(next, func(r keyhook.TriggerRef) bool { return r.ID == id }) {
			continue
		}
		bindings, _, err := q.BindingList(ctx, store.BindingListParams{TriggerID: id, PageParams: store.PageParams{PerPage: maxPerPage}})
		if err != nil {
			return fmt.Errorf("list bindings: %w", err)
		}
		if slices.ContainsFunc(bindings, func(b keyhook.Binding) bool { return b.ActionID == a.ID }) {
			return errActionTriggerUsed
		}
	}
	return nil
}

func (h *Handler) deleteAction(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := noQuery(q, "force"); err != nil {
		return err
	}
	force, _, err := queryBool(q, "force")
	if err != nil {
		return err
	}
	err = h.Store.ActionDelete(r.Context(), r.PathValue("id"), force != nil && *force)
	switch {
	case errors.Is(err, store.ErrConflict):
		return errActionBound
	case err != nil:
		return notFoundAs(err, errActionNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
