package mgmtapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/store"
)

var errActionVersionNotFound = &apiError{Status: http.StatusNotFound, Message: "That action version does not exist."}

// versionView is an action version as the API shows it.
type versionView struct {
	ID                string               `json:"id"`
	ActionID          string               `json:"action_id"`
	Number            int                  `json:"number"`
	Deployed          bool                 `json:"deployed"`
	Status            string               `json:"status"`
	Code              string               `json:"code"`
	Dependencies      []keyhook.Dependency `json:"dependencies"`
	Runtime           string               `json:"runtime"`
	Secrets           []secretView         `json:"secrets"`
	SupportedTriggers []keyhook.TriggerRef `json:"supported_triggers"`
	BuiltAt           string               `json:"built_at"`
	CreatedAt         string               `json:"created_at"`
	UpdatedAt         string               `json:"updated_at"`
	Action            *versionActionView   `json:"action,omitempty"`
}

// versionActionView is the summary of its action a version carries.
type versionActionView struct {
	ID                 string               `json:"id"`
	Name               string               `json:"name"`
	SupportedTriggers  []keyhook.TriggerRef `json:"supported_triggers"`
	AllChangesDeployed bool                 `json:"all_changes_deployed"`
	CreatedAt          string               `json:"created_at"`
	UpdatedAt          string               `json:"updated_at"`
}

// viewVersion shows v of action a; withAction adds a's summary (the
// versions routes do; an action's deployed_version does not).
func viewVersion(a *keyhook.Action, v *keyhook.ActionVersion, withAction bool) versionView {
	vv := versionView{
		ID: v.ID, ActionID: v.ActionID, Number: v.Number, Deployed: a.DeployedVersionID == v.ID, Status: string(keyhook.ActionBuilt),
		Code: v.Code, Dependencies: v.Dependencies, Runtime: v.Runtime, Secrets: viewSecrets(v.Secrets),
		SupportedTriggers: v.SupportedTriggers, BuiltAt: formatTime(v.BuiltAt), CreatedAt: formatTime(v.CreatedAt),
		UpdatedAt: formatTime(v.UpdatedAt),
	}
	if withAction {
		vv.Action = &versionActionView{
			ID: a.ID, Name: a.Name, SupportedTriggers: a.SupportedTriggers, AllChangesDeployed: a.AllChangesDeployed,
			CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt),
		}
	}
	return vv
}

// readEmptyBody reads the body of a route that takes none: nothing, null
// or {} (Auth0's SDKs send each of these).
func readEmptyBody(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	_, err = parseObject(b, []string{})
	return err
}

// deployAction snapshots the built draft into a new version and deploys
// it.
func (h *Handler) deployAction(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	if err := readEmptyBody(w, r); err != nil {
		return err
	}
	var view versionView
	var deployed *keyhook.ActionVersion
	err := h.Store.InTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		var action *keyhook.Action
		v, err := tx.ActionDeploy(ctx, r.PathValue("id"), func(a *keyhook.Action, v *keyhook.ActionVersion) error {
			if a.Status != keyhook.ActionBuilt {
				return errActionNotBuilt
			}
			v.ID = keyhook.NewActionVersionID()
			a.CopyDraftTo(v)
			a.AllChangesDeployed = true
			action = a
			return nil
		})
		if err != nil {
			return fmt.Errorf("deploy action: %w", notFoundAs(err, errActionNotFound))
		}
		action.DeployedVersionID = v.ID
		view = viewVersion(action, v, true)
		deployed = v
		return nil
	})
	if err != nil {
		return err
	}
	h.prepareVersion(r.Context(), deployed)
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (h *Handler) listActionVersions(w http.ResponseWriter, r *http.Request) error {
	pq, err := parseActionsPage(r.URL.Query())
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := h.Store.ActionGet(ctx, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errActionNotFound)
	}
	page, perPage := pq.storePage()
	versions, total, err := h.Store.ActionVersionList(ctx, store.ActionVersionListParams{
		ActionID: a.ID, PageParams: store.PageParams{Page: page, PerPage: perPage},
	})
	if err != nil {
		return fmt.Errorf("list action versions: %w", err)
	}
	views := []any{}
	for _, v := range trim(pq, versions) {
		views = append(views, viewVersion(a, &v, true))
	}
	writeActionsPage(w, pq, "versions", views, total)
	return nil
}

func (h *Handler) getActionVersion(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	ctx := r.Context()
	a, err := h.Store.ActionGet(ctx, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errActionNotFound)
	}
	v, err := h.Store.ActionVersionGet(ctx, a.ID, r.PathValue("versionId"))
	if err != nil {
		return notFoundAs(err, errActionVersionNotFound)
	}
	writeJSON(w, http.StatusOK, viewVersion(a, v, true))
	return nil
}

// deployActionVersion is the rollback: a new version copied from an older
// one, deployed; update_draft makes it the draft too. The new version runs
// with the action's current secrets, not the old version's snapshot, so a
// rollback never brings back a rotated secret.
func (h *Handler) deployActionVersion(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	updateDraft := false
	if b = bytes.TrimSpace(b); len(b) > 0 && string(b) != "null" {
		o, err := parseObject(b, []string{"update_draft"})
		if err != nil {
			return err
		}
		if _, err := field(o, "update_draft", &updateDraft); err != nil {
			return err
		}
	}
	ctx := r.Context()
	actionID := r.PathValue("id")
	if _, err := h.Store.ActionGet(ctx, actionID); err != nil {
		return notFoundAs(err, errActionNotFound)
	}
	// Versions are immutable: reading it before the deploy's lock is safe.
	old, err := h.Store.ActionVersionGet(ctx, actionID, r.PathValue("versionId"))
	if err != nil {
		return notFoundAs(err, errActionVersionNotFound)
	}
	var view versionView
	var deployed *keyhook.ActionVersion
	err = h.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var action *keyhook.Action
		v, err := tx.ActionDeploy(ctx, actionID, func(a *keyhook.Action, v *keyhook.ActionVersion) error {
			v.ID = keyhook.NewActionVersionID()
			old.CopyTo(v)
			v.Secrets = slices.Clone(a.Secrets)
			if updateDraft {
				a.RestoreDraft(old)
			}
			a.AllChangesDeployed = draftIs(a, v)
			action = a
			return nil
		})
		if err != nil {
			return fmt.Errorf("deploy action version: %w", notFoundAs(err, errActionNotFound))
		}
		action.DeployedVersionID = v.ID
		view = viewVersion(action, v, true)
		deployed = v
		return nil
	})
	if err != nil {
		return err
	}
	h.prepareVersion(r.Context(), deployed)
	writeJSON(w, http.StatusOK, view)
	return nil
}

// draftIs reports whether a's draft is built and the same as v.
func draftIs(a *keyhook.Action, v *keyhook.ActionVersion) bool {
	return a.Status == keyhook.ActionBuilt && a.Code == v.Code && a.Runtime == v.Runtime && a.BundleHash == v.BundleHash &&
		slices.Equal(a.Dependencies, v.Dependencies) && slices.Equal(a.SupportedTriggers, v.SupportedTriggers)
}

// prepareVersion compiles a just-deployed version and initialises a warm
// runtime for it, in the slot the trigger chain runs it from, before the
// deploy answers: the first execution pays no parse or module
// initialisation. A failure is logged, not returned: the version is
// deployed, and its execution reports the same error.
func (h *Handler) prepareVersion(ctx context.Context, v *keyhook.ActionVersion) {
	if h.JS == nil || v == nil || v.Bundle == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, t := range v.SupportedTriggers {
		spec := jsrt.Spec{Convention: jsrt.ConventionAction, Trigger: t.ID, Script: v.Bundle,
			Slot: "action:" + v.ActionID + ":" + v.ID}
		if err := h.JS.Prepare(ctx, spec); err != nil {
			h.logger().WarnContext(ctx, "mgmtapi: prepare deployed action", "action_id", v.ActionID, "version", v.Number, "err", err)
		}
	}
}
