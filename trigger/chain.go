package trigger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/store"
)

// A blocking chain (DESIGN §3): the trigger's enabled legacy hook first,
// then the actions bound to the trigger in binding order, each at its
// deployed version. Every step sees the event with the earlier steps'
// changes; the changes are applied once, by the trigger's own function,
// when the whole chain allowed; a deny stops the chain; a step that
// throws, rejects or times out fails the operation. Each trigger's file
// holds how its steps' answers become changes.

// flow is what a trigger runs: its enabled hook (nil when none) with the
// hook's secrets, and its bound actions. Values are shared with other
// requests through the configuration cache: read only.
type flow struct {
	hook        *keyhook.Hook
	hookSecrets map[string]string
	actions     []store.DeployedBinding
}

func (f flow) empty() bool { return f.hook == nil && len(f.actions) == 0 }

// loadFlow reads a trigger's flow through the configuration cache (view,
// or a view of its own when nil), or from the store without one.
func (e *Engine) loadFlow(ctx context.Context, t keyhook.TriggerID, view *configcache.View) (flow, error) {
	var f flow
	if view == nil && e.Config != nil {
		var err error
		if view, err = e.Config.View(ctx); err != nil {
			return f, fmt.Errorf("trigger %s: %w", t, err)
		}
	}
	h, secrets, err := e.enabledHook(ctx, t, view)
	if err != nil {
		return f, err
	}
	f.hook, f.hookSecrets = h, secrets
	if view != nil {
		f.actions, err = view.Flow(ctx, t)
	} else {
		f.actions, err = e.Store.BindingListDeployed(ctx, t)
	}
	if err != nil {
		return f, fmt.Errorf("trigger %s: load bound actions: %w", t, err)
	}
	return f, nil
}

// run is the record of one trigger run: the legacy hook's execution (for
// the tenant log's details.hooks) and the execution of every step (for
// GET /actions/executions and details.actions).
type run struct {
	trigger keyhook.TriggerID
	hooks   []keyhook.HookExecution
	exec    keyhook.Execution
}

func newRun(t keyhook.TriggerID) *run {
	return &run{trigger: t, exec: keyhook.Execution{TriggerID: t, Status: keyhook.ExecutionFinal}}
}

// hookStep runs the legacy hook as a step of the run.
func (e *Engine) hookStep(ctx context.Context, r *run, h *keyhook.Hook, args []any, timeout time.Duration) jsrt.HookResult {
	started := time.Now().UTC()
	res, hx := e.runHook(ctx, h, args, timeout)
	r.hooks = append(r.hooks, hx)
	r.exec.Steps = append(r.exec.Steps, keyhook.ExecutionStep{
		ActionName: h.Name, HookID: h.ID, StartedAt: started, EndedAt: started.Add(res.Duration),
		Error: res.Err, Logs: res.Logs,
	})
	if res.Err != nil {
		r.exec.Status = keyhook.ExecutionPartial
	}
	return res
}

// actionStep runs one bound action with event (to which it adds the
// version's secrets) as a step of the run.
func (e *Engine) actionStep(ctx context.Context, r *run, b *store.DeployedBinding, event map[string]any, timeout time.Duration) jsrt.ActionResult {
	event["secrets"] = secretsOf(b.Version.Secrets)
	started := time.Now().UTC()
	res := e.JS.RunAction(ctx, jsrt.ActionCall{
		Script:  b.Version.Bundle,
		Trigger: r.trigger,
		Event:   event,
		Cache:   e.actionCache(b.Binding.ActionID, r.trigger),
		Issuer:  e.Issuer,
		Timeout: timeout,
		Slot:    "action:" + b.Binding.ActionID + ":" + b.Version.ID,
	})
	step := keyhook.ExecutionStep{
		ActionID: b.Binding.ActionID, ActionName: b.ActionName, VersionID: b.Version.ID,
		VersionNumber: b.Version.Number, BindingID: b.Binding.ID,
		StartedAt: started, EndedAt: started.Add(res.Duration), Logs: res.Logs,
		Commands: make([]keyhook.ExecutionCommand, len(res.Commands)),
	}
	for i, c := range res.Commands {
		step.Commands[i] = keyhook.ExecutionCommand{Method: c.Method, Args: c.Args}
	}
	if res.Error != nil {
		step.Error = &keyhook.ExecutionError{Name: res.Error.Name, Message: res.Error.Message}
		r.exec.Status = keyhook.ExecutionPartial
	}
	r.exec.Steps = append(r.exec.Steps, step)
	return res
}

// save stores the run's execution when it ran at least one action (a run
// of the legacy hook alone is in the log entry's details.hooks, as
// before), and returns its id ("" when none was stored). A failure to
// store it is logged, not returned: the operation's outcome stands.
func (e *Engine) save(ctx context.Context, r *run) string {
	ran := false
	for _, s := range r.exec.Steps {
		ran = ran || s.ActionID != ""
	}
	if !ran {
		return ""
	}
	now := time.Now().UTC()
	r.exec.ID = keyhook.NewExecutionID()
	r.exec.CreatedAt, r.exec.UpdatedAt = now, now
	if err := e.Store.ExecutionCreate(context.WithoutCancel(ctx), &r.exec); err != nil {
		e.logger().ErrorContext(ctx, "trigger: store execution", "trigger", r.trigger, "err", err)
		return ""
	}
	return r.exec.ID
}

// Actions is what a run's tenant log entry says of its actions.
type Actions struct {
	ExecutionID string
	Steps       []keyhook.ExecutionStep
}

func (r *run) actions(id string) *Actions {
	if id == "" {
		return nil
	}
	return &Actions{ExecutionID: id, Steps: r.exec.Steps}
}

// actionCache is the api.cache of one action at one trigger. Entries are
// kept in memory, per process, as Auth0's cache is best effort.
func (e *Engine) actionCache(actionID string, t keyhook.TriggerID) *jsrt.ActionCache {
	e.cachesMu.Lock()
	defer e.cachesMu.Unlock()
	if e.caches == nil {
		e.caches = map[string]*jsrt.ActionCache{}
	}
	k := actionID + "\x00" + string(t)
	c := e.caches[k]
	if c == nil {
		// Bound the map: the cache is best effort, and deleted actions'
		// entries would otherwise stay.
		if len(e.caches) >= maxActionCaches {
			clear(e.caches)
		}
		c = jsrt.NewActionCache()
		e.caches[k] = c
	}
	return c
}

const maxActionCaches = 10_000

// caches is embedded in Engine through these fields.
type actionCaches struct {
	cachesMu sync.Mutex
	caches   map[string]*jsrt.ActionCache
}

func secretsOf(ss []keyhook.ActionSecret) map[string]any {
	m := make(map[string]any, len(ss))
	for _, s := range ss {
		m[s.Name] = s.Value
	}
	return m
}

// stepFailure is a step that threw, rejected, timed out or hit a limit: the
// operation fails closed with the step's error in the log.
func stepFailure(t keyhook.TriggerID, code string, err *jsrt.ActionError) *DenyError {
	return &DenyError{Trigger: t, Code: code, Message: err.Name + ": " + err.Message, Failure: true}
}

// args of a command, with missing ones as nil.
func arg(c jsrt.Command, i int) any {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return nil
}

func argString(c jsrt.Command, i int) string {
	s, _ := arg(c, i).(string)
	return s
}

// restrictedClaims are the claims api.*.setCustomClaim cannot set (Auth0
// drops them silently).
var restrictedClaims = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`acr act active amr at_hash ath attest aud auth_time
		authorization_details azp c_hash client_id cnf cty dest entitlements events exp groups gty
		htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf nonce object_id
		org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num
		sip_date sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256`) {
		restrictedClaims[c] = true
	}
}

// actionClaimAllowed applies Auth0's rules for setCustomClaim: restricted
// names are dropped; a namespace on auth0.com, webtask.io or webtask.run or
// under urn:auth0 is dropped; a claim without a namespace is allowed except
// in an access token for an Auth0 API (the Management API here).
func actionClaimAllowed(name string, auth0API bool) bool {
	if name == "" || restrictedClaims[name] || checkString(name) != nil {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "urn:auth0") {
		return false
	}
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return Namespaced(name)
	}
	if strings.HasPrefix(lower, "urn:") {
		return true
	}
	return !auth0API
}

// setMetadata applies api.user.set*Metadata(key, value) to patch: a null
// value deletes the key.
func setMetadata(patch map[string]any, c jsrt.Command) map[string]any {
	key := argString(c, 0)
	if key == "" {
		return patch
	}
	if patch == nil {
		patch = map[string]any{}
	}
	patch[key] = arg(c, 1)
	return patch
}

// mergeMetadata returns base with patch applied (a nil value deletes).
func mergeMetadata(base, patch map[string]any) map[string]any {
	out := deepCopy(metadataOrEmpty(base)).(map[string]any)
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func addScope(scope []string, s string) []string {
	if s == "" || checkString(s) != nil || slices.Contains(scope, s) {
		return scope
	}
	return append(scope, s)
}

func removeScope(scope []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(scope), func(x string) bool { return x == s })
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// AddTo puts a run's actions in its tenant log entry, as Auth0 does:
// details.actions.executions lists the execution's id (GET
// /api/v2/actions/executions/{id} has the rest), and details.actions.steps
// each step's action, version, duration and error.
func (a *Actions) AddTo(e *keyhook.LogEntry) {
	if a == nil {
		return
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	steps := make([]any, 0, len(a.Steps))
	for _, s := range a.Steps {
		step := map[string]any{
			"name":        s.ActionName,
			"duration_ms": float64(s.Duration().Microseconds()) / 1000,
			"error":       s.Error,
		}
		if s.ActionID != "" {
			step["action_id"], step["version_id"], step["version_number"], step["binding_id"] = s.ActionID, s.VersionID, s.VersionNumber, s.BindingID
		} else {
			step["hook_id"] = s.HookID
		}
		steps = append(steps, step)
	}
	e.Details["actions"] = map[string]any{"executions": []any{a.ExecutionID}, "steps": steps}
}
