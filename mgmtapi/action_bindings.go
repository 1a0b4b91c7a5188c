package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// triggerView is one trigger version as GET /actions/triggers lists it.
type triggerView struct {
	ID                 string               `json:"id"`
	Version            string               `json:"version"`
	Status             string               `json:"status"`
	Runtimes           []string             `json:"runtimes"`
	DefaultRuntime     string               `json:"default_runtime"`
	CompatibleTriggers []keyhook.TriggerRef `json:"compatible_triggers"`
	BindingPolicy      string               `json:"binding_policy"`
}

func (h *Handler) listActionTriggers(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	out := make([]triggerView, 0, len(keyhook.ActionTriggers))
	for _, t := range keyhook.ActionTriggers {
		compatible := t.CompatibleTriggers
		if compatible == nil {
			compatible = []keyhook.TriggerRef{}
		}
		out = append(out, triggerView{
			ID: string(t.ID), Version: t.Version, Status: t.Status, Runtimes: t.Runtimes,
			DefaultRuntime: t.DefaultRuntime, CompatibleTriggers: compatible, BindingPolicy: "trigger-bound",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"triggers": out})
	return nil
}

// bindingView is a binding with its whole action, as Auth0 shows it.
type bindingView struct {
	ID          string     `json:"id"`
	TriggerID   string     `json:"trigger_id"`
	DisplayName string     `json:"display_name"`
	Action      actionView `json:"action"`
	CreatedAt   string     `json:"created_at"`
	UpdatedAt   string     `json:"updated_at"`
}

func viewBindings(ctx context.Context, q store.Querier, bindings []keyhook.Binding) ([]any, error) {
	out := make([]any, 0, len(bindings))
	for _, b := range bindings {
		a, err := q.ActionGet(ctx, b.ActionID)
		if err != nil {
			return nil, fmt.Errorf("get bound action %s: %w", b.ActionID, err)
		}
		av, err := viewAction(ctx, q, a)
		if err != nil {
			return nil, err
		}
		out = append(out, bindingView{
			ID: b.ID, TriggerID: string(b.TriggerID), DisplayName: b.DisplayName, Action: av,
			CreatedAt: formatTime(b.CreatedAt), UpdatedAt: formatTime(b.UpdatedAt),
		})
	}
	return out, nil
}

// bindingTrigger reads the path's trigger: one actions may bind to.
func bindingTrigger(r *http.Request) (keyhook.TriggerID, error) {
	t := keyhook.TriggerID(r.PathValue("triggerId"))
	if !keyhook.ValidActionTrigger(t) {
		return "", newError(http.StatusBadRequest, "invalid_uri", "Path validation error: 'No enum match for: \"%s\"' on property triggerId (Allowed values: %s).", t, actionTriggerList())
	}
	return t, nil
}

func (h *Handler) listBindings(w http.ResponseWriter, r *http.Request) error {
	trigger, err := bindingTrigger(r)
	if err != nil {
		return err
	}
	pq, err := parseActionsPage(r.URL.Query())
	if err != nil {
		return err
	}
	ctx := r.Context()
	page, perPage := pq.storePage()
	bindings, total, err := h.Store.BindingList(ctx, store.BindingListParams{
		TriggerID: trigger, PageParams: store.PageParams{Page: page, PerPage: perPage},
	})
	if err != nil {
		return fmt.Errorf("list bindings: %w", err)
	}
	views, err := viewBindings(ctx, h.Store, trim(pq, bindings))
	if err != nil {
		return err
	}
	writeActionsPage(w, pq, "bindings", views, total)
	return nil
}

// The kinds of reference a binding in a PATCH names its action by.
const (
	refActionID   = "action_id"
	refActionName = "action_name"
	refBindingID  = "binding_id"
)

type bindingRefInput struct {
	Type  *string `json:"type"`
	Value *string `json:"value"`
}

// bindingSecretInput is Auth0's binding-level secret, which only
// Marketplace integrations use.
type bindingSecretInput struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

type bindingInput struct {
	Ref         *bindingRefInput     `json:"ref"`
	DisplayName *string              `json:"display_name"`
	Secrets     []bindingSecretInput `json:"secrets"`
}

// parseBindingsBody validates a PATCH body: {bindings: [{ref, display_name,
// secrets}]}, at most 20.
func parseBindingsBody(b []byte) ([]bindingInput, error) {
	o, err := parseObject(b, []string{"bindings"})
	if err != nil {
		return nil, err
	}
	var items []bindingInput
	if ok, err := field(o, "bindings", &items); err != nil {
		return nil, err
	} else if !ok {
		return nil, missing("bindings")
	}
	if len(items) > keyhook.MaxBindingsPerTrigger {
		return nil, payloadError("'Array is too long (%d), maximum %d' on property bindings", len(items), keyhook.MaxBindingsPerTrigger)
	}
	for i := range items {
		it := &items[i]
		if it.Ref == nil || it.Ref.Value == nil || *it.Ref.Value == "" {
			return nil, payloadError("'Missing required property: ref.value' on property bindings[%d]", i)
		}
		if it.Ref.Type == nil {
			t := refActionName
			it.Ref.Type = &t
		}
		if !slices.Contains([]string{refActionID, refActionName, refBindingID}, *it.Ref.Type) {
			return nil, payloadError("'No enum match for: \"%s\"' on property bindings[%d].ref.type (Allowed values: action_id, action_name, binding_id)", *it.Ref.Type, i)
		}
		if len(it.Secrets) > 0 {
			return nil, payloadError("'Binding secrets are for Marketplace integrations, which keyhook does not have' on property bindings[%d].secrets", i)
		}
	}
	return items, nil
}

// updateBindings sets a trigger's whole ordered list of bindings. Each
// binding names a deployed action that supports the trigger, by action id,
// action name or an existing binding's id; an action is bound once.
func (h *Handler) updateBindings(w http.ResponseWriter, r *http.Request) error {
	trigger, err := bindingTrigger(r)
	if err != nil {
		return err
	}
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	items, err := parseBindingsBody(b)
	if err != nil {
		return err
	}
	now := h.now()
	var views []any
	err = h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		list, err := tx.BindingsUpdate(ctx, trigger, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
			next := make([]keyhook.Binding, 0, len(items))
			for i, it := range items {
				bnd, err := resolveBinding(ctx, tx, trigger, cur, i, it, now)
				if err != nil {
					return nil, err
				}
				if slices.ContainsFunc(next, func(x keyhook.Binding) bool { return x.ActionID == bnd.ActionID }) {
					return nil, payloadError("'The action %s is bound twice' on property bindings[%d]", bnd.ActionID, i)
				}
				next = append(next, bnd)
			}
			return next, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			// An action deleted while the list was being written.
			return badBody("An action of the bindings no longer exists")
		}
		if err != nil {
			return fmt.Errorf("update bindings: %w", err)
		}
		views, err = viewBindings(ctx, tx, list)
		return err
	})
	if err != nil {
		return err
	}
	if views == nil {
		views = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"bindings": views})
	return nil
}

// resolveBinding turns the i-th binding of a PATCH into a binding of
// trigger: its action must exist, be deployed, and its deployed version
// must support the trigger.
func resolveBinding(ctx context.Context, q store.Querier, trigger keyhook.TriggerID, cur []keyhook.Binding,
	i int, it bindingInput, now time.Time) (keyhook.Binding, error) {
	value := *it.Ref.Value
	bnd := keyhook.Binding{ID: keyhook.NewBindingID(), TriggerID: trigger, CreatedAt: now, UpdatedAt: now}
	var a *keyhook.Action
	var err error
	switch *it.Ref.Type {
	case refBindingID:
		j := slices.IndexFunc(cur, func(b keyhook.Binding) bool { return b.ID == value })
		if j < 0 {
			return bnd, badBody("bindings[%d]: the trigger %s has no binding %q", i, trigger, value)
		}
		bnd = cur[j]
		a, err = q.ActionGet(ctx, bnd.ActionID)
	case refActionID:
		a, err = q.ActionGet(ctx, value)
	default:
		a, err = q.ActionGetByName(ctx, value)
	}
	if errors.Is(err, store.ErrNotFound) {
		return bnd, badBody("bindings[%d]: no action has the %s %q", i, *it.Ref.Type, value)
	}
	if err != nil {
		return bnd, fmt.Errorf("get action: %w", err)
	}
	if a.DeployedVersionID == "" {
		return bnd, badBody("bindings[%d]: the action %q is not deployed yet: deploy it before binding it", i, a.Name)
	}
	v, err := q.ActionVersionGet(ctx, a.ID, a.DeployedVersionID)
	if err != nil {
		return bnd, fmt.Errorf("get deployed version: %w", err)
	}
	if !v.Supports(trigger) {
		return bnd, badBody("bindings[%d]: the action %q does not support the trigger %s", i, a.Name, trigger)
	}
	bnd.ActionID = a.ID
	if bnd.DisplayName == "" {
		bnd.DisplayName = a.Name
	}
	if it.DisplayName != nil && *it.DisplayName != "" && *it.DisplayName != bnd.DisplayName {
		bnd.DisplayName = *it.DisplayName
		bnd.UpdatedAt = now
	}
	return bnd, nil
}
