package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var configVersionTests = []subtest{
	{"ConfigVersion/Changes", testConfigVersionChanges},
	{"ConfigVersion/RolledBack", testConfigVersionRolledBack},
}

// testConfigVersionChanges checks that every write to cached configuration
// moves the version and that reads and unrelated writes do not.
func testConfigVersionChanges(t *testing.T, s store.Store) {
	version := func() int64 {
		t.Helper()
		v, err := s.ConfigVersion(ctx(t))
		must(t, err)
		return v
	}
	hook := &keyhook.Hook{ID: "01HOOKCONFIGVERSION0000000", Name: "cv", Script: "x", TriggerID: keyhook.TriggerCredentialsExchange}
	client := &keyhook.Client{ClientID: "cv-client", Name: "cv"}
	rs := &keyhook.ResourceServer{ID: "cvrs", Identifier: "https://cv.test/", Name: "cv"}
	grant := &keyhook.ClientGrant{ID: "cgr_cv", ClientID: "cv-client", Audience: "https://cv.test/"}
	action := newAction("cv", keyhook.TriggerPostLogin)
	writes := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"ConnectionCreate", func(c context.Context) error {
			return s.ConnectionCreate(c, &keyhook.Connection{ID: "con_cv", Name: "cv", Strategy: "auth0"})
		}},
		{"ClientCreate", func(c context.Context) error { return s.ClientCreate(c, client) }},
		{"ClientUpdate", func(c context.Context) error {
			_, err := s.ClientUpdate(c, client.ClientID, func(c *keyhook.Client) error { c.Name = "cv2"; return nil })
			return err
		}},
		{"ResourceServerCreate", func(c context.Context) error { return s.ResourceServerCreate(c, rs) }},
		{"ResourceServerUpdate", func(c context.Context) error {
			_, err := s.ResourceServerUpdate(c, rs.ID, func(rs *keyhook.ResourceServer) error { rs.Name = "cv2"; return nil })
			return err
		}},
		{"ClientGrantCreate", func(c context.Context) error { return s.ClientGrantCreate(c, grant) }},
		{"ClientGrantUpdate", func(c context.Context) error {
			_, err := s.ClientGrantUpdate(c, grant.ID, func(g *keyhook.ClientGrant) error { g.Scope = []string{"a"}; return nil })
			return err
		}},
		{"HookCreate", func(c context.Context) error { return s.HookCreate(c, hook) }},
		{"HookUpdate", func(c context.Context) error {
			_, err := s.HookUpdate(c, hook.ID, func(h *keyhook.Hook) error { h.Enabled = true; return nil })
			return err
		}},
		{"HookSecretsPut", func(c context.Context) error { return s.HookSecretsPut(c, hook.ID, map[string]string{"K": "v"}) }},
		{"HookSecretsUpdate", func(c context.Context) error {
			_, err := s.HookSecretsUpdate(c, hook.ID, func(m map[string]string) (map[string]string, error) { m["L"] = "w"; return m, nil })
			return err
		}},
		{"HookDelete", func(c context.Context) error { return s.HookDelete(c, hook.ID) }},
		{"ActionCreate", func(c context.Context) error { return s.ActionCreate(c, action) }},
		{"ActionUpdate", func(c context.Context) error {
			_, err := s.ActionUpdate(c, action.ID, func(a *keyhook.Action) error {
				a.Status = keyhook.ActionBuilt
				a.Secrets = append(a.Secrets, keyhook.ActionSecret{Name: "NEW", Value: "v"})
				return nil
			})
			return err
		}},
		{"ActionDeploy", func(c context.Context) error { _, err := s.ActionDeploy(c, action.ID, deployDraft); return err }},
		{"BindingsUpdate", func(c context.Context) error {
			_, err := s.BindingsUpdate(c, keyhook.TriggerPostLogin, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
				return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), ActionID: action.ID, DisplayName: "cv"}), nil
			})
			return err
		}},
		{"BindingsUpdate to empty", func(c context.Context) error {
			_, err := s.BindingsUpdate(c, keyhook.TriggerPostLogin, func([]keyhook.Binding) ([]keyhook.Binding, error) { return nil, nil })
			return err
		}},
		{"ActionDelete", func(c context.Context) error { return s.ActionDelete(c, action.ID, true) }},
		{"ClientGrantDelete", func(c context.Context) error { return s.ClientGrantDelete(c, grant.ID) }},
		{"ResourceServerDelete", func(c context.Context) error { return s.ResourceServerDelete(c, rs.ID) }},
		{"ClientDelete", func(c context.Context) error { return s.ClientDelete(c, client.ClientID) }},
	}
	for _, w := range writes {
		before := version()
		if err := w.fn(ctx(t)); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if after := version(); after <= before {
			t.Errorf("%s: config version %d -> %d, want it to grow", w.name, before, after)
		}
	}
	before := version()
	_, _ = s.ClientGet(ctx(t), "cv-client")
	_, _, _ = s.HookList(ctx(t), store.HookListParams{})
	must(t, s.LogCreate(ctx(t), &keyhook.LogEntry{LogID: keyhook.NewLogID(at(0)), Date: at(0), Type: "ss"}))
	must(t, s.UserCreate(ctx(t), &keyhook.User{ID: "auth0|cv", Connection: "cv", Email: "cv@example.test"}))
	must(t, s.ExecutionCreate(ctx(t), newExecution(at(0))))
	_, _, _ = s.ActionList(ctx(t), store.ActionListParams{})
	_, _ = s.BindingListDeployed(ctx(t), keyhook.TriggerPostLogin)
	if after := version(); after != before {
		t.Errorf("reads, logs, users and executions moved the config version %d -> %d", before, after)
	}
}

func testConfigVersionRolledBack(t *testing.T, s store.Store) {
	before, err := s.ConfigVersion(ctx(t))
	must(t, err)
	errRollback := errors.New("rollback")
	err = s.InTx(ctx(t), func(c context.Context, tx store.Tx) error {
		if err := tx.ClientCreate(c, &keyhook.Client{ClientID: "cv-rb", Name: "rb"}); err != nil {
			return err
		}
		return errRollback
	})
	mustIs(t, err, errRollback)
	after, err := s.ConfigVersion(ctx(t))
	must(t, err)
	if after != before {
		t.Errorf("a rolled-back write moved the config version %d -> %d", before, after)
	}
}
