package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// hookView is a hook as the API shows it.
type hookView struct {
	ID           string            `json:"id"`
	TriggerID    string            `json:"triggerId"`
	Name         string            `json:"name"`
	Enabled      bool              `json:"enabled"`
	Script       string            `json:"script"`
	Dependencies map[string]string `json:"dependencies"`
}

func viewHook(h *keyhook.Hook) hookView {
	deps := h.Dependencies
	if deps == nil {
		deps = map[string]string{}
	}
	return hookView{ID: h.ID, TriggerID: string(h.TriggerID), Name: h.Name, Enabled: h.Enabled, Script: h.Script, Dependencies: deps}
}

var hookNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$`)

// npmNamePattern is npm's package name rule (scoped or not; upper case is
// allowed for the old packages that have it).
var npmNamePattern = regexp.MustCompile(`^(@[a-zA-Z0-9~-][a-zA-Z0-9._~-]*/)?[a-zA-Z0-9~-][a-zA-Z0-9._~-]*$`)

func hookTriggerList() string {
	names := make([]string, len(keyhook.HookTriggers))
	for i, t := range keyhook.HookTriggers {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// hookInput is a validated create or update body; nil pointers were absent.
type hookInput struct {
	Name         *string
	Script       *string
	TriggerID    *keyhook.TriggerID
	Enabled      *bool
	Dependencies map[string]string
	hasDeps      bool
}

var (
	hookCreateProps = []string{"name", "script", "triggerId", "enabled", "dependencies"}
	hookUpdateProps = []string{"name", "script", "enabled", "dependencies"}
)

// parseHookBody validates a hook body. create requires name, script and
// triggerId; update refuses triggerId. It does not touch the store; the
// script's syntax is checked by the caller with the JS engine.
func parseHookBody(b []byte, create bool) (hookInput, error) {
	props := hookUpdateProps
	if create {
		props = hookCreateProps
	}
	o, err := parseObject(b, props)
	if err != nil {
		return hookInput{}, err
	}
	var in hookInput
	var name, script, trig string
	var enabled bool
	if ok, err := field(o, "name", &name); err != nil {
		return in, err
	} else if ok {
		in.Name = &name
	}
	if ok, err := field(o, "script", &script); err != nil {
		return in, err
	} else if ok {
		in.Script = &script
	}
	if ok, err := field(o, "triggerId", &trig); err != nil {
		return in, err
	} else if ok {
		t := keyhook.TriggerID(trig)
		in.TriggerID = &t
	}
	if ok, err := field(o, "enabled", &enabled); err != nil {
		return in, err
	} else if ok {
		in.Enabled = &enabled
	}
	if in.Dependencies, in.hasDeps, err = stringMap(o, "dependencies"); err != nil {
		return in, err
	}
	if create {
		for _, req := range []struct {
			name    string
			present bool
		}{{"name", in.Name != nil}, {"script", in.Script != nil}, {"triggerId", in.TriggerID != nil}} {
			if !req.present {
				return in, missing(req.name)
			}
		}
	}
	if in.Name != nil && !hookNamePattern.MatchString(*in.Name) {
		return in, payloadError("'String does not match pattern %s: %s' on property name (Name of this hook)", hookNamePattern.String(), *in.Name)
	}
	if in.Script != nil {
		if *in.Script == "" {
			return in, payloadError("'String is too short (0 chars), minimum 1' on property script (Code to be executed when this hook runs)")
		}
		if len(*in.Script) > keyhook.MaxScriptBytes {
			return in, payloadError("'String is too long (%d bytes), maximum %d' on property script (Code to be executed when this hook runs)", len(*in.Script), keyhook.MaxScriptBytes)
		}
	}
	if in.TriggerID != nil && !keyhook.ValidHookTrigger(string(*in.TriggerID)) {
		return in, payloadError("'No enum match for: \"%s\"' on property triggerId (Allowed values: %s)", *in.TriggerID, hookTriggerList())
	}
	if in.hasDeps {
		if err := validateDependencies(in.Dependencies); err != nil {
			return in, err
		}
		if in.Dependencies == nil {
			in.Dependencies = map[string]string{}
		}
	}
	return in, nil
}

func validateDependencies(deps map[string]string) error {
	if len(deps) > keyhook.MaxHookDependencies {
		return payloadError("'Too many properties defined (%d), maximum %d' on property dependencies", len(deps), keyhook.MaxHookDependencies)
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(n) > keyhook.MaxDependencyNameLen || !npmNamePattern.MatchString(n) {
			return payloadError("'Invalid npm package name: %q' on property dependencies", n)
		}
		// Kept as given; blank means "latest", as in npm.
		if v := strings.TrimSpace(deps[n]); v != "" && v != "latest" {
			if _, err := semver.NewConstraint(v); err != nil {
				return payloadError("'Invalid version %q for dependency %q: expected a version, a semver range, \"latest\" or nothing' on property dependencies", deps[n], n)
			}
		}
	}
	return nil
}

// checkScript parses the script with the JS engine; a *jsrt.SyntaxError
// becomes a 400 in writeError.
func (h *Handler) checkScript(script *string) error {
	if script == nil || h.JS == nil {
		return nil
	}
	if err := h.JS.CheckScript(*script); err != nil {
		return fmt.Errorf("hook script: %w", err)
	}
	return nil
}

func errHookEnabledConflict(t keyhook.TriggerID) error {
	return conflict("", "Only one hook can be enabled per extensibility point: another hook is already enabled for %q", t)
}

func errHookNameConflict(name string) error {
	return conflict("", "A hook with the same name already exists: %q", name)
}

// allHooks reads every hook through q (there are few).
func allHooks(ctx context.Context, q store.Querier, p store.HookListParams) ([]keyhook.Hook, error) {
	var out []keyhook.Hook
	p.PerPage = maxPerPage
	for p.Page = 0; ; p.Page++ {
		page, total, err := q.HookList(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("list hooks: %w", err)
		}
		out = append(out, page...)
		if len(page) < p.PerPage || len(out) >= total {
			return out, nil
		}
	}
}

func (h *Handler) listHooks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	p := store.HookListParams{}
	if p.Enabled, _, err = queryBool(q, "enabled"); err != nil {
		return err
	}
	if t := q.Get("triggerId"); t != "" {
		if !keyhook.ValidHookTrigger(t) {
			return badQuery("'No enum match for: \"%s\"' on property triggerId (Allowed values: %s)", t, hookTriggerList())
		}
		p.TriggerID = keyhook.TriggerID(t)
	}
	p.Page, p.PerPage = pq.storePage()
	hooks, total, err := h.Store.HookList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list hooks: %w", err)
	}
	hooks = trim(pq, hooks)
	writePage(w, pq, "hooks", project(hooks, sel, func(x *keyhook.Hook) any { return viewHook(x) }), total, false)
	return nil
}

func (h *Handler) getHook(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseFields(r.URL.Query())
	if err != nil {
		return err
	}
	hook, err := h.Store.HookGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errHookNotFound)
	}
	writeJSON(w, http.StatusOK, sel.apply(viewHook(hook)))
	return nil
}

func (h *Handler) createHook(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseHookBody(b, true)
	if err != nil {
		return err
	}
	if err := h.checkScript(in.Script); err != nil {
		return err
	}
	now := h.now()
	hook := &keyhook.Hook{
		ID:           keyhook.NewHookID(),
		Name:         *in.Name,
		Script:       *in.Script,
		TriggerID:    *in.TriggerID,
		Dependencies: in.Dependencies,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if hook.Dependencies == nil {
		hook.Dependencies = map[string]string{}
	}
	// Before the transaction: a build may download packages for a while,
	// and must not hold SQLite's writer meanwhile.
	built, err := h.buildHook(r.Context(), hook.Script, hook.Dependencies)
	if err != nil {
		return err
	}
	built.apply(hook)
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		all, err := allHooks(ctx, tx, store.HookListParams{})
		if err != nil {
			return err
		}
		sameTrigger := 0
		for _, x := range all {
			if x.Name == hook.Name {
				return errHookNameConflict(hook.Name)
			}
			if x.TriggerID == hook.TriggerID {
				sameTrigger++
			}
		}
		// Auth0 enables the first hook of an extensibility point and creates
		// later ones disabled unless the body says otherwise.
		if in.Enabled != nil {
			hook.Enabled = *in.Enabled
		} else {
			hook.Enabled = sameTrigger == 0
		}
		if hook.Enabled {
			if err := h.ensureNoEnabledHook(ctx, tx, hook.TriggerID, ""); err != nil {
				return err
			}
		}
		if err := tx.HookCreate(ctx, hook); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("", "The hook conflicts with an existing hook (same name, or another enabled hook for %q)", hook.TriggerID)
			}
			return fmt.Errorf("create hook: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewHook(hook))
	return nil
}

// ensureNoEnabledHook fails with a 409 when a hook other than exceptID is
// enabled for t.
func (h *Handler) ensureNoEnabledHook(ctx context.Context, q store.Querier, t keyhook.TriggerID, exceptID string) error {
	cur, err := q.HookGetEnabled(ctx, t)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("get enabled hook: %w", err)
	case cur.ID != exceptID:
		return errHookEnabledConflict(t)
	}
	return nil
}

func (h *Handler) updateHook(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseHookBody(b, false)
	if err != nil {
		return err
	}
	if err := h.checkScript(in.Script); err != nil {
		return err
	}
	// A change of script or dependencies rebuilds the hook, outside the
	// transaction, from the stored hook with the change applied; the build
	// is saved only if the hook still has what it was made from (another
	// PATCH may have changed it meanwhile: then build again).
	id := r.PathValue("id")
	for attempt := 1; ; attempt++ {
		var built *hookBuild
		if in.Script != nil || in.hasDeps {
			cur, err := h.Store.HookGet(r.Context(), id)
			if err != nil {
				return fmt.Errorf("update hook: %w", notFoundAs(err, errHookNotFound))
			}
			script, deps := cur.Script, cur.Dependencies
			if in.Script != nil {
				script = *in.Script
			}
			if in.hasDeps {
				deps = in.Dependencies
			}
			if built, err = h.buildHook(r.Context(), script, deps); err != nil {
				return err
			}
		}
		hook, err := h.saveHookUpdate(r.Context(), id, in, built)
		if errors.Is(err, errHookBuildStale) {
			if attempt < 3 {
				continue
			}
			return conflict("", "The hook kept changing while it was being built; try again")
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, viewHook(hook))
		return nil
	}
}

// saveHookUpdate applies in (and built, when not nil) to the stored hook in
// one transaction.
func (h *Handler) saveHookUpdate(ctx context.Context, id string, in hookInput, built *hookBuild) (*keyhook.Hook, error) {
	var hook *keyhook.Hook
	err := h.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		var trigger keyhook.TriggerID
		hook, err = tx.HookUpdate(ctx, id, func(hook *keyhook.Hook) error {
			trigger = hook.TriggerID
			if built != nil {
				if !built.builtFrom(hook, in) {
					return errHookBuildStale
				}
				built.apply(hook)
			}
			if in.Name != nil && *in.Name != hook.Name {
				all, err := allHooks(ctx, tx, store.HookListParams{})
				if err != nil {
					return err
				}
				for _, x := range all {
					if x.Name == *in.Name && x.ID != hook.ID {
						return errHookNameConflict(*in.Name)
					}
				}
				hook.Name = *in.Name
			}
			if in.Script != nil {
				hook.Script = *in.Script
			}
			if in.hasDeps {
				hook.Dependencies = in.Dependencies
			}
			if in.Enabled != nil {
				if *in.Enabled && !hook.Enabled {
					if err := h.ensureNoEnabledHook(ctx, tx, hook.TriggerID, hook.ID); err != nil {
						return err
					}
				}
				hook.Enabled = *in.Enabled
			}
			hook.UpdatedAt = h.now()
			return nil
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("", "The hook conflicts with an existing hook (same name, or another enabled hook for %q)", trigger)
			}
			return fmt.Errorf("update hook: %w", notFoundAs(err, errHookNotFound))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hook, nil
}

func (h *Handler) deleteHook(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.HookDelete(r.Context(), r.PathValue("id")); err != nil {
		return notFoundAs(err, errHookNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
