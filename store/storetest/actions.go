package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var actionTests = []subtest{
	{"Action/RoundTrip", testActionRoundTrip},
	{"Action/UniqueName", testActionUniqueName},
	{"Action/List", testActionList},
	{"Action/Update", testActionUpdate},
	{"Action/Deploy", testActionDeploy},
	{"Action/DeployAborted", testActionDeployAborted},
	{"Action/VersionsBounded", testActionVersionsBounded},
	{"Action/Delete", testActionDelete},
	{"Binding/Update", testBindingUpdate},
	{"Binding/Refused", testBindingRefused},
	{"Binding/ListDeployed", testBindingListDeployed},
	{"Execution/RoundTrip", testExecutionRoundTrip},
	{"Execution/Retention", testExecutionRetention},
}

func newAction(name string, trigger keyhook.TriggerID) *keyhook.Action {
	return &keyhook.Action{
		ID:                keyhook.NewActionID(),
		Name:              name,
		SupportedTriggers: []keyhook.TriggerRef{{ID: trigger, Version: "v3"}},
		Code:              "exports.onExecutePostLogin = async (event, api) => {};",
		Runtime:           "node22",
		Dependencies:      []keyhook.Dependency{{Name: "lodash", Version: "latest"}},
		Secrets:           []keyhook.ActionSecret{{Name: "API_KEY", Value: "s3cr3t", UpdatedAt: at(0)}},
		Status:            keyhook.ActionPending,
		CreatedAt:         at(0),
		UpdatedAt:         at(0),
	}
}

// build marks a's draft built as a build job would.
func build(t *testing.T, s store.Querier, a *keyhook.Action) *keyhook.Action {
	t.Helper()
	got, err := s.ActionUpdate(ctx(t), a.ID, func(a *keyhook.Action) error {
		a.Status = keyhook.ActionBuilt
		a.Bundle = "/* bundle */ " + a.Code
		a.BundleHash = fmt.Sprintf("hash-%d", a.Revision)
		a.Dependencies = []keyhook.Dependency{{Name: "lodash", Version: "4.17.21"}}
		builtAt := at(1)
		a.BuiltAt = &builtAt
		return nil
	})
	must(t, err)
	return got
}

// deploy deploys a's built draft as the Management API does.
func deploy(t *testing.T, s store.Querier, actionID string) *keyhook.ActionVersion {
	t.Helper()
	v, err := s.ActionDeploy(ctx(t), actionID, deployDraft)
	must(t, err)
	return v
}

var errNotBuilt = errors.New("not built")

func deployDraft(a *keyhook.Action, v *keyhook.ActionVersion) error {
	if a.Status != keyhook.ActionBuilt {
		return errNotBuilt
	}
	v.ID = keyhook.NewActionVersionID()
	a.CopyDraftTo(v)
	a.AllChangesDeployed = true
	return nil
}

func testActionRoundTrip(t *testing.T, s store.Store) {
	a := newAction("my-action", keyhook.TriggerPostLogin)
	builtAt := at(2)
	a.BuiltAt = &builtAt
	a.Revision = 7
	a.DeployWhenBuilt = true
	a.BuildError = "none"
	must(t, s.ActionCreate(ctx(t), a))
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got, a)
	mustUTC(t, "CreatedAt", got.CreatedAt)
	mustUTC(t, "BuiltAt", *got.BuiltAt)
	mustUTC(t, "secret's UpdatedAt", got.Secrets[0].UpdatedAt)
	mustEqual(t, got.Secrets[0].Value, "s3cr3t")
	byName, err := s.ActionGetByName(ctx(t), "my-action")
	must(t, err)
	mustEqual(t, byName, a)

	_, err = s.ActionGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	_, err = s.ActionGetByName(ctx(t), "MY-ACTION")
	mustIs(t, err, store.ErrNotFound)

	// Nil lists come back empty.
	bare := &keyhook.Action{ID: keyhook.NewActionID(), Name: "bare", Code: "x", Runtime: "node22", Status: keyhook.ActionPending}
	must(t, s.ActionCreate(ctx(t), bare))
	got, err = s.ActionGet(ctx(t), bare.ID)
	must(t, err)
	mustEqual(t, got, bare)
	mustEqual(t, got.Secrets, []keyhook.ActionSecret{})
	mustEqual(t, got.Dependencies, []keyhook.Dependency{})
	if got.BuiltAt != nil {
		t.Fatalf("BuiltAt = %v, want nil", got.BuiltAt)
	}
}

func testActionUniqueName(t *testing.T, s store.Store) {
	must(t, s.ActionCreate(ctx(t), newAction("dup", keyhook.TriggerPostLogin)))
	mustIs(t, s.ActionCreate(ctx(t), newAction("dup", keyhook.TriggerCredentialsExchange)), store.ErrConflict)
	other := newAction("other", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), other))
	_, err := s.ActionUpdate(ctx(t), other.ID, func(a *keyhook.Action) error { a.Name = "dup"; return nil })
	mustIs(t, err, store.ErrConflict)
	// Names are case-sensitive.
	must(t, s.ActionCreate(ctx(t), newAction("DUP", keyhook.TriggerPostLogin)))
}

func testActionList(t *testing.T, s store.Store) {
	actions := []*keyhook.Action{
		newAction("a0", keyhook.TriggerPostLogin),
		newAction("a1", keyhook.TriggerCredentialsExchange),
		newAction("a2", keyhook.TriggerPostLogin),
		newAction("a3", keyhook.TriggerPreUserRegistration),
	}
	for i, a := range actions {
		a.CreatedAt = at(i)
		must(t, s.ActionCreate(ctx(t), a))
	}
	build(t, s, actions[2])
	deploy(t, s, actions[2].ID)
	tests := []struct {
		name      string
		params    store.ActionListParams
		want      []string
		wantTotal int
	}{
		{"all", store.ActionListParams{}, []string{"a0", "a1", "a2", "a3"}, 4},
		{"trigger", store.ActionListParams{TriggerID: keyhook.TriggerPostLogin}, []string{"a0", "a2"}, 2},
		{"name", store.ActionListParams{Name: "a1"}, []string{"a1"}, 1},
		{"name of another trigger", store.ActionListParams{Name: "a1", TriggerID: keyhook.TriggerPostLogin}, []string{}, 0},
		{"deployed", store.ActionListParams{Deployed: ptr(true)}, []string{"a2"}, 1},
		{"not deployed", store.ActionListParams{Deployed: ptr(false)}, []string{"a0", "a1", "a3"}, 3},
		{"trigger and not deployed", store.ActionListParams{TriggerID: keyhook.TriggerPostLogin, Deployed: ptr(false)}, []string{"a0"}, 1},
		{"unknown trigger", store.ActionListParams{TriggerID: "post"}, []string{}, 0},
		{"page", store.ActionListParams{PageParams: store.PageParams{Page: 1, PerPage: 3}}, []string{"a3"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.ActionList(ctx(t), tt.params)
			must(t, err)
			names := []string{}
			for _, a := range got {
				names = append(names, a.Name)
			}
			mustEqual(t, names, tt.want)
			mustEqual(t, total, tt.wantTotal)
		})
	}
}

func testActionUpdate(t *testing.T, s store.Store) {
	a := newAction("u", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	a.Name = "renamed"
	a.Code = "exports.onExecutePostLogin = async () => {};"
	a.Secrets = append(a.Secrets, keyhook.ActionSecret{Name: "OTHER", Value: "v", UpdatedAt: at(5)})
	a.Status = keyhook.ActionFailed
	a.BuildError = "SyntaxError"
	a.Revision++
	a.UpdatedAt = at(9)
	ret, err := s.ActionUpdate(ctx(t), a.ID, set(a))
	must(t, err)
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	a.UpdatedAt = stored(a.UpdatedAt)
	mustEqual(t, got, a)
	mustEqual(t, ret, got)

	// The ID, CreatedAt and the deployed version are the store's; an
	// UpdatedAt left as read becomes now.
	before := time.Now().UTC().Truncate(time.Microsecond)
	ret, err = s.ActionUpdate(ctx(t), a.ID, func(cur *keyhook.Action) error {
		cur.ID = "other"
		cur.CreatedAt = at(100)
		cur.DeployedVersionID = "forged"
		cur.DeployedVersion = 9
		cur.Code = "changed"
		return nil
	})
	must(t, err)
	if ret.UpdatedAt.Before(before) {
		t.Fatalf("UpdatedAt = %v, want now (after %v)", ret.UpdatedAt, before)
	}
	mustEqual(t, ret.ID, a.ID)
	mustEqual(t, ret.CreatedAt, a.CreatedAt)
	mustEqual(t, ret.DeployedVersionID, "")
	mustEqual(t, ret.DeployedVersion, 0)
	mustEqual(t, ret.Code, "changed")

	// An error from fn writes nothing.
	errStop := errors.New("stop")
	_, err = s.ActionUpdate(ctx(t), a.ID, func(cur *keyhook.Action) error { cur.Code = "lost"; return errStop })
	mustIs(t, err, errStop)
	got, err = s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got.Code, "changed")

	_, err = s.ActionUpdate(ctx(t), "missing", func(*keyhook.Action) error { return nil })
	mustIs(t, err, store.ErrNotFound)
}

func testActionDeploy(t *testing.T, s store.Store) {
	a := newAction("d", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	_, err := s.ActionDeploy(ctx(t), a.ID, deployDraft)
	mustIs(t, err, errNotBuilt)
	built := build(t, s, a)

	v1 := deploy(t, s, a.ID)
	mustEqual(t, v1.Number, 1)
	mustEqual(t, v1.ActionID, a.ID)
	mustEqual(t, v1.Code, built.Code)
	mustEqual(t, v1.Bundle, built.Bundle)
	mustEqual(t, v1.BundleHash, built.BundleHash)
	mustEqual(t, v1.Dependencies, built.Dependencies)
	mustEqual(t, v1.Secrets, built.Secrets)
	mustEqual(t, v1.SupportedTriggers, built.SupportedTriggers)
	mustEqual(t, v1.BuiltAt, *built.BuiltAt)
	mustUTC(t, "version CreatedAt", v1.CreatedAt)
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got.DeployedVersionID, v1.ID)
	mustEqual(t, got.DeployedVersion, 1)
	mustEqual(t, got.AllChangesDeployed, true)
	read, err := s.ActionVersionGet(ctx(t), a.ID, v1.ID)
	must(t, err)
	mustEqual(t, read, v1)

	// The draft changes; the version does not.
	_, err = s.ActionUpdate(ctx(t), a.ID, func(a *keyhook.Action) error {
		a.Code = "exports.onExecutePostLogin = async () => { /* v2 */ };"
		a.Secrets[0].Value = "rotated"
		a.AllChangesDeployed = false
		return nil
	})
	must(t, err)
	build(t, s, a)
	v2 := deploy(t, s, a.ID)
	mustEqual(t, v2.Number, 2)
	read, err = s.ActionVersionGet(ctx(t), a.ID, v1.ID)
	must(t, err)
	mustEqual(t, read, v1)
	mustEqual(t, v2.Secrets[0].Value, "rotated")

	// A rollback is a new version copied from an old one.
	v3, err := s.ActionDeploy(ctx(t), a.ID, func(a *keyhook.Action, v *keyhook.ActionVersion) error {
		v.ID = keyhook.NewActionVersionID()
		v1.CopyTo(v)
		return nil
	})
	must(t, err)
	mustEqual(t, v3.Number, 3)
	mustEqual(t, v3.Code, v1.Code)
	mustEqual(t, v3.Secrets[0].Value, "s3cr3t")
	got, err = s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got.DeployedVersionID, v3.ID)
	mustEqual(t, got.DeployedVersion, 3)

	versions, total, err := s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: a.ID})
	must(t, err)
	mustEqual(t, total, 3)
	numbers := []int{}
	for _, v := range versions {
		numbers = append(numbers, v.Number)
		if v.Bundle != "" {
			t.Fatalf("listed version %d carries its bundle", v.Number)
		}
	}
	mustEqual(t, numbers, []int{3, 2, 1})
	v1.Bundle = ""
	mustEqual(t, versions[2], *v1)
	page, total, err := s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: a.ID, PageParams: store.PageParams{Page: 1, PerPage: 2}})
	must(t, err)
	mustEqual(t, total, 3)
	mustEqual(t, len(page), 1)
	mustEqual(t, page[0].Number, 1)

	// Versions belong to their action.
	other := newAction("other", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), other))
	_, err = s.ActionVersionGet(ctx(t), other.ID, v1.ID)
	mustIs(t, err, store.ErrNotFound)
	_, total, err = s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: other.ID})
	must(t, err)
	mustEqual(t, total, 0)
	_, err = s.ActionDeploy(ctx(t), "missing", deployDraft)
	mustIs(t, err, store.ErrNotFound)
}

// testActionDeployAborted: an error from fn writes neither the version nor
// the action.
func testActionDeployAborted(t *testing.T, s store.Store) {
	a := newAction("aborted", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	before, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	errStop := errors.New("stop")
	_, err = s.ActionDeploy(ctx(t), a.ID, func(a *keyhook.Action, v *keyhook.ActionVersion) error {
		if err := deployDraft(a, v); err != nil {
			return err
		}
		return errStop
	})
	mustIs(t, err, errStop)
	after, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, after, before)
	_, total, err := s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: a.ID})
	must(t, err)
	mustEqual(t, total, 0)
	// The number is not used up.
	mustEqual(t, deploy(t, s, a.ID).Number, 1)
}

// testActionVersionsBounded: beyond keyhook.MaxActionVersions the oldest
// versions go; numbers keep counting.
func testActionVersionsBounded(t *testing.T, s store.Store) {
	a := newAction("many", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	var first *keyhook.ActionVersion
	n := keyhook.MaxActionVersions + 2
	for i := range n {
		v := deploy(t, s, a.ID)
		if i == 0 {
			first = v
		}
	}
	versions, total, err := s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: a.ID, PageParams: store.PageParams{PerPage: 100}})
	must(t, err)
	mustEqual(t, total, keyhook.MaxActionVersions)
	mustEqual(t, versions[0].Number, n)
	mustEqual(t, versions[len(versions)-1].Number, n-keyhook.MaxActionVersions+1)
	_, err = s.ActionVersionGet(ctx(t), a.ID, first.ID)
	mustIs(t, err, store.ErrNotFound)
	mustEqual(t, deploy(t, s, a.ID).Number, n+1)
}

func testActionDelete(t *testing.T, s store.Store) {
	a := newAction("bound", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	v := deploy(t, s, a.ID)
	bind(t, s, keyhook.TriggerPostLogin, a.ID)

	mustIs(t, s.ActionDelete(ctx(t), a.ID, false), store.ErrConflict)
	_, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	must(t, s.ActionDelete(ctx(t), a.ID, true))
	_, err = s.ActionGet(ctx(t), a.ID)
	mustIs(t, err, store.ErrNotFound)
	_, err = s.ActionVersionGet(ctx(t), a.ID, v.ID)
	mustIs(t, err, store.ErrNotFound)
	bindings, total, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: keyhook.TriggerPostLogin})
	must(t, err)
	mustEqual(t, total, 0)
	mustEqual(t, len(bindings), 0)

	unbound := newAction("unbound", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), unbound))
	must(t, s.ActionDelete(ctx(t), unbound.ID, false))
	mustIs(t, s.ActionDelete(ctx(t), unbound.ID, false), store.ErrNotFound)
	mustIs(t, s.ActionDelete(ctx(t), unbound.ID, true), store.ErrNotFound)
}

// bind appends a binding of actionID to trigger's list.
func bind(t *testing.T, s store.Querier, trigger keyhook.TriggerID, actionID string) []keyhook.Binding {
	t.Helper()
	list, err := s.BindingsUpdate(ctx(t), trigger, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
		return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), ActionID: actionID, DisplayName: "d-" + actionID}), nil
	})
	must(t, err)
	return list
}

func bindingActions(list []keyhook.Binding) []string {
	out := []string{}
	for _, b := range list {
		out = append(out, b.ActionID)
	}
	return out
}

func testBindingUpdate(t *testing.T, s store.Store) {
	pl := keyhook.TriggerPostLogin
	var ids []string
	for i := range 3 {
		a := newAction(name("b", i), pl)
		must(t, s.ActionCreate(ctx(t), a))
		ids = append(ids, a.ID)
	}
	bind(t, s, pl, ids[0])
	list := bind(t, s, pl, ids[1])
	mustEqual(t, bindingActions(list), ids[:2])
	first := list[0]
	mustEqual(t, first.TriggerID, pl)
	mustUTC(t, "binding CreatedAt", first.CreatedAt)

	// Reordered, one kept by its id, one new: the list is stored in the
	// order given.
	list, err := s.BindingsUpdate(ctx(t), pl, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
		mustEqual(t, bindingActions(cur), ids[:2])
		return []keyhook.Binding{
			{ID: keyhook.NewBindingID(), ActionID: ids[2], DisplayName: "third", CreatedAt: at(3)},
			cur[0],
		}, nil
	})
	must(t, err)
	mustEqual(t, bindingActions(list), []string{ids[2], ids[0]})
	mustEqual(t, list[1], first)
	mustEqual(t, list[0].CreatedAt, stored(at(3)))
	mustEqual(t, list[0].UpdatedAt, stored(at(3)))
	got, total, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: pl})
	must(t, err)
	mustEqual(t, total, 2)
	mustEqual(t, got, list)
	page, total, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: pl, PageParams: store.PageParams{Page: 1, PerPage: 1}})
	must(t, err)
	mustEqual(t, total, 2)
	mustEqual(t, page, list[1:])

	// Other triggers have their own lists.
	bind(t, s, keyhook.TriggerCredentialsExchange, ids[1])
	got, _, err = s.BindingList(ctx(t), store.BindingListParams{TriggerID: pl})
	must(t, err)
	mustEqual(t, got, list)

	// An empty list clears the flow.
	list, err = s.BindingsUpdate(ctx(t), pl, func([]keyhook.Binding) ([]keyhook.Binding, error) { return nil, nil })
	must(t, err)
	mustEqual(t, len(list), 0)
	_, total, err = s.BindingList(ctx(t), store.BindingListParams{TriggerID: pl})
	must(t, err)
	mustEqual(t, total, 0)
}

// testBindingRefused: lists the store cannot keep leave the stored list as
// it was.
func testBindingRefused(t *testing.T, s store.Store) {
	pl := keyhook.TriggerPostLogin
	a := newAction("a", pl)
	must(t, s.ActionCreate(ctx(t), a))
	b := newAction("b", pl)
	must(t, s.ActionCreate(ctx(t), b))
	before := bind(t, s, pl, a.ID)
	errStop := errors.New("stop")
	for _, tc := range []struct {
		name string
		next func(cur []keyhook.Binding) ([]keyhook.Binding, error)
		want error
	}{
		{"error from fn", func(cur []keyhook.Binding) ([]keyhook.Binding, error) { return nil, errStop }, errStop},
		{"action twice", func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
			return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), ActionID: a.ID, DisplayName: "again"}), nil
		}, store.ErrConflict},
		{"binding id twice", func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
			return append(cur, keyhook.Binding{ID: cur[0].ID, ActionID: b.ID, DisplayName: "b"}), nil
		}, store.ErrConflict},
		{"missing action", func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
			return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), ActionID: "missing", DisplayName: "m"}), nil
		}, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.BindingsUpdate(ctx(t), pl, tc.next)
			mustIs(t, err, tc.want)
			got, _, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: pl})
			must(t, err)
			mustEqual(t, got, before)
		})
	}
}

func testBindingListDeployed(t *testing.T, s store.Store) {
	pl := keyhook.TriggerPostLogin
	first := newAction("first", pl)
	second := newAction("second", pl)
	for _, a := range []*keyhook.Action{first, second} {
		must(t, s.ActionCreate(ctx(t), a))
		build(t, s, a)
	}
	v1 := deploy(t, s, first.ID)
	v2 := deploy(t, s, second.ID)
	bind(t, s, pl, second.ID)
	list := bind(t, s, pl, first.ID)

	got, err := s.BindingListDeployed(ctx(t), pl)
	must(t, err)
	mustEqual(t, len(got), 2)
	mustEqual(t, got[0].Binding, list[0])
	mustEqual(t, got[0].ActionName, "second")
	mustEqual(t, got[0].Version, *v2)
	mustEqual(t, got[1].ActionName, "first")
	mustEqual(t, got[1].Version, *v1)
	mustEqual(t, got[1].Version.Secrets[0].Value, "s3cr3t")

	// A new deploy is what runs next; a rename shows at once.
	_, err = s.ActionUpdate(ctx(t), first.ID, func(a *keyhook.Action) error { a.Name = "renamed"; return nil })
	must(t, err)
	v1b := deploy(t, s, first.ID)
	got, err = s.BindingListDeployed(ctx(t), pl)
	must(t, err)
	mustEqual(t, got[1].ActionName, "renamed")
	mustEqual(t, got[1].Version, *v1b)

	none, err := s.BindingListDeployed(ctx(t), keyhook.TriggerSendPhoneMessage)
	must(t, err)
	mustEqual(t, len(none), 0)
}

func newExecution(created time.Time) *keyhook.Execution {
	return &keyhook.Execution{
		ID:        keyhook.NewExecutionID(),
		TriggerID: keyhook.TriggerPostLogin,
		Status:    keyhook.ExecutionFinal,
		Steps: []keyhook.ExecutionStep{{
			ActionID: "a1", ActionName: "one", VersionID: "v1", VersionNumber: 2, BindingID: "b1",
			StartedAt: created, EndedAt: created.Add(1500 * time.Microsecond),
			Logs:     "hello\n",
			Commands: []keyhook.ExecutionCommand{{Method: "api.idToken.setCustomClaim", Args: []any{"https://x/c", 1}}},
		}, {
			HookID: "h1", ActionName: "legacy", StartedAt: created, EndedAt: created,
			Error: &keyhook.ExecutionError{Name: "Error", Message: "boom"},
		}},
		CreatedAt: created,
	}
}

func testExecutionRoundTrip(t *testing.T, s store.Store) {
	e := newExecution(time.Now().Add(-time.Hour))
	must(t, s.ExecutionCreate(ctx(t), e))
	got, err := s.ExecutionGet(ctx(t), e.ID)
	must(t, err)
	mustEqual(t, got, e)
	mustEqual(t, got.Steps[0].Commands[0].Args, []any{"https://x/c", float64(1)})
	mustEqual(t, got.Steps[1].Commands, []keyhook.ExecutionCommand{})
	mustEqual(t, got.Steps[0].Duration(), 1500*time.Microsecond)
	mustUTC(t, "step StartedAt", got.Steps[0].StartedAt)
	_, err = s.ExecutionGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.ExecutionCreate(ctx(t), e), store.ErrConflict)
}

// testExecutionRetention: an expired execution is not found at once, and
// the next creations delete expired ones.
func testExecutionRetention(t *testing.T, s store.Store) {
	old := time.Now().Add(-keyhook.ExecutionRetention - time.Minute)
	var expired []string
	for range 3 {
		e := newExecution(old)
		must(t, s.ExecutionCreate(ctx(t), e))
		expired = append(expired, e.ID)
	}
	for _, id := range expired {
		_, err := s.ExecutionGet(ctx(t), id)
		mustIs(t, err, store.ErrNotFound)
	}
	fresh := newExecution(time.Now())
	must(t, s.ExecutionCreate(ctx(t), fresh))
	_, err := s.ExecutionGet(ctx(t), fresh.ID)
	must(t, err)
	// The expired rows are gone, not only hidden: a transaction that can
	// see them (before their expiry) would still read them; here the
	// proof is that re-creating their ids succeeds.
	for _, id := range expired {
		e := newExecution(time.Now())
		e.ID = id
		if err := s.ExecutionCreate(ctx(t), e); err != nil {
			t.Fatalf("expired execution %s was not deleted: %v", id, err)
		}
	}
}
