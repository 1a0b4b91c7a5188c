package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var hookTests = []subtest{
	{"Hook/RoundTrip", testHookRoundTrip},
	{"Hook/UniqueName", testHookUniqueName},
	{"Hook/OneEnabledPerTrigger", testHookOneEnabledPerTrigger},
	{"Hook/UpdateDelete", testHookUpdateDelete},
	{"Hook/List", testHookList},
	{"Hook/Secrets", testHookSecrets},
	{"Hook/DeleteRemovesSecrets", testHookDeleteRemovesSecrets},
	{"Hook/Bundle", testHookBundle},
}

func newHook(name string, trigger keyhook.TriggerID, enabled bool) *keyhook.Hook {
	return &keyhook.Hook{
		ID:           keyhook.NewHookID(),
		Name:         name,
		Script:       "module.exports = function (client, scope, audience, context, cb) { cb(null, {}); };",
		TriggerID:    trigger,
		Enabled:      enabled,
		Dependencies: map[string]string{"lodash": "4.17.21"},
		CreatedAt:    at(0),
		UpdatedAt:    at(0),
	}
}

func testHookRoundTrip(t *testing.T, s store.Store) {
	h := newHook("my-hook", keyhook.TriggerCredentialsExchange, true)
	must(t, s.HookCreate(ctx(t), h))
	got, err := s.HookGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, h)
	mustUTC(t, "CreatedAt", got.CreatedAt)
	_, err = s.HookGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)

	bare := &keyhook.Hook{ID: "bare", Name: "bare", Script: "x", TriggerID: keyhook.TriggerPostChangePassword}
	must(t, s.HookCreate(ctx(t), bare))
	got, err = s.HookGet(ctx(t), "bare")
	must(t, err)
	mustEqual(t, got.Dependencies, map[string]string{})
}

func testHookUniqueName(t *testing.T, s store.Store) {
	must(t, s.HookCreate(ctx(t), newHook("dup", keyhook.TriggerCredentialsExchange, false)))
	mustIs(t, s.HookCreate(ctx(t), newHook("dup", keyhook.TriggerPreUserRegistration, false)), store.ErrConflict)
	other := newHook("other", keyhook.TriggerCredentialsExchange, false)
	must(t, s.HookCreate(ctx(t), other))
	other.Name = "dup"
	_, err := s.HookUpdate(ctx(t), other.ID, set(other))
	mustIs(t, err, store.ErrConflict)
}

func testHookOneEnabledPerTrigger(t *testing.T, s store.Store) {
	cx := keyhook.TriggerCredentialsExchange
	first := newHook("first", cx, true)
	must(t, s.HookCreate(ctx(t), first))

	// A second enabled hook of the same trigger conflicts, on create or update.
	mustIs(t, s.HookCreate(ctx(t), newHook("second", cx, true)), store.ErrConflict)
	second := newHook("second", cx, false)
	must(t, s.HookCreate(ctx(t), second))
	enable := func(h *keyhook.Hook) error { h.Enabled = true; return nil }
	_, err := s.HookUpdate(ctx(t), second.ID, enable)
	mustIs(t, err, store.ErrConflict)

	// Other triggers and disabled hooks are unaffected.
	must(t, s.HookCreate(ctx(t), newHook("third", cx, false)))
	must(t, s.HookCreate(ctx(t), newHook("pre", keyhook.TriggerPreUserRegistration, true)))

	got, err := s.HookGetEnabled(ctx(t), cx)
	must(t, err)
	mustEqual(t, got.ID, first.ID)

	// Disabling the first frees the slot.
	_, err = s.HookUpdate(ctx(t), first.ID, func(h *keyhook.Hook) error { h.Enabled = false; return nil })
	must(t, err)
	_, err = s.HookUpdate(ctx(t), second.ID, enable)
	must(t, err)
	got, err = s.HookGetEnabled(ctx(t), cx)
	must(t, err)
	mustEqual(t, got.ID, second.ID)

	_, err = s.HookGetEnabled(ctx(t), keyhook.TriggerSendPhoneMessage)
	mustIs(t, err, store.ErrNotFound)
}

func testHookUpdateDelete(t *testing.T, s store.Store) {
	h := newHook("h", keyhook.TriggerPostUserRegistration, false)
	must(t, s.HookCreate(ctx(t), h))
	h.Name = "renamed"
	h.Script = "module.exports = function (user, context, cb) { cb(); };"
	h.Enabled = true
	h.Dependencies = map[string]string{"axios": "1.7.0"}
	h.UpdatedAt = at(9)
	ret, err := s.HookUpdate(ctx(t), h.ID, set(h))
	must(t, err)
	got, err := s.HookGet(ctx(t), h.ID)
	must(t, err)
	h.UpdatedAt = stored(h.UpdatedAt)
	mustEqual(t, got, h)
	mustEqual(t, ret, got)

	// An UpdatedAt left as read, or zeroed, is stamped with now; the ID and
	// CreatedAt never change.
	for _, zero := range []bool{false, true} {
		before := time.Now().UTC().Truncate(time.Microsecond)
		ret, err = s.HookUpdate(ctx(t), h.ID, func(cur *keyhook.Hook) error {
			if zero {
				cur.UpdatedAt = time.Time{}
			}
			cur.ID = "other"
			cur.CreatedAt = at(100)
			cur.Script = "changed"
			return nil
		})
		must(t, err)
		if ret.UpdatedAt.Before(before) {
			t.Fatalf("zero=%v: UpdatedAt = %v, want now (after %v)", zero, ret.UpdatedAt, before)
		}
		mustUTC(t, "UpdatedAt", ret.UpdatedAt)
		got, err = s.HookGet(ctx(t), h.ID)
		must(t, err)
		mustEqual(t, ret, got)
		mustEqual(t, got.CreatedAt, h.CreatedAt)
		_, err = s.HookGet(ctx(t), "other")
		mustIs(t, err, store.ErrNotFound)
	}

	_, err = s.HookUpdate(ctx(t), "nope", set(newHook("nope", keyhook.TriggerPostLogin, false)))
	mustIs(t, err, store.ErrNotFound)
	must(t, s.HookDelete(ctx(t), h.ID))
	_, err = s.HookGet(ctx(t), h.ID)
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.HookDelete(ctx(t), h.ID), store.ErrNotFound)
}

func testHookList(t *testing.T, s store.Store) {
	hooks := []*keyhook.Hook{
		newHook("h0", keyhook.TriggerCredentialsExchange, true),
		newHook("h1", keyhook.TriggerCredentialsExchange, false),
		newHook("h2", keyhook.TriggerPreUserRegistration, false),
		newHook("h3", keyhook.TriggerPostChangePassword, true),
	}
	for i, h := range hooks {
		h.CreatedAt = at(i)
		must(t, s.HookCreate(ctx(t), h))
	}
	tests := []struct {
		name      string
		params    store.HookListParams
		want      []string
		wantTotal int
	}{
		{"all", store.HookListParams{}, []string{"h0", "h1", "h2", "h3"}, 4},
		{"enabled", store.HookListParams{Enabled: ptr(true)}, []string{"h0", "h3"}, 2},
		{"disabled", store.HookListParams{Enabled: ptr(false)}, []string{"h1", "h2"}, 2},
		{"trigger", store.HookListParams{TriggerID: keyhook.TriggerCredentialsExchange}, []string{"h0", "h1"}, 2},
		{"trigger and disabled", store.HookListParams{TriggerID: keyhook.TriggerCredentialsExchange, Enabled: ptr(false)}, []string{"h1"}, 1},
		{"page", store.HookListParams{PageParams: store.PageParams{Page: 1, PerPage: 3}}, []string{"h3"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.HookList(ctx(t), tt.params)
			must(t, err)
			names := []string{}
			for _, h := range got {
				names = append(names, h.Name)
			}
			mustEqual(t, names, tt.want)
			mustEqual(t, total, tt.wantTotal)
		})
	}
}

// testHookBundle: the build saved with a hook is what every read returns,
// an update that leaves it alone keeps it, and clearing it leaves the script
// to run as written.
func testHookBundle(t *testing.T, s store.Store) {
	h := newHook("bundled", keyhook.TriggerCredentialsExchange, true)
	// Large and not ASCII, as bundles of real packages are.
	h.Bundle = "var lodash = \"✓\";\n" + strings.Repeat("// padding of a real bundle\n", 40000) + "module.exports = function () {};"
	h.BundleHash = "sha256-0123abcd"
	must(t, s.HookCreate(ctx(t), h))
	got, err := s.HookGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, h)
	mustEqual(t, got.Code(), h.Bundle)
	enabled, err := s.HookGetEnabled(ctx(t), h.TriggerID)
	must(t, err)
	mustEqual(t, enabled.Bundle, h.Bundle)
	list, _, err := s.HookList(ctx(t), store.HookListParams{})
	must(t, err)
	mustEqual(t, len(list), 1)
	mustEqual(t, list[0].BundleHash, h.BundleHash)

	ret, err := s.HookUpdate(ctx(t), h.ID, func(cur *keyhook.Hook) error { cur.Name = "renamed"; return nil })
	must(t, err)
	mustEqual(t, ret.Bundle, h.Bundle)
	mustEqual(t, ret.BundleHash, h.BundleHash)

	ret, err = s.HookUpdate(ctx(t), h.ID, func(cur *keyhook.Hook) error {
		cur.Bundle, cur.BundleHash = "module.exports = function () { /* rebuilt */ };", "sha256-feed"
		return nil
	})
	must(t, err)
	got, err = s.HookGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, ret)
	mustEqual(t, got.BundleHash, "sha256-feed")

	_, err = s.HookUpdate(ctx(t), h.ID, func(cur *keyhook.Hook) error { cur.Bundle, cur.BundleHash = "", ""; return nil })
	must(t, err)
	got, err = s.HookGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got.Bundle, "")
	mustEqual(t, got.BundleHash, "")
	mustEqual(t, got.Code(), h.Script)
}

func testHookSecrets(t *testing.T, s store.Store) {
	_, err := s.HookSecretsGet(ctx(t), "missing")
	mustIs(t, err, store.ErrNotFound)
	mustIs(t, s.HookSecretsPut(ctx(t), "missing", map[string]string{"A": "b"}), store.ErrNotFound)

	h := newHook("h", keyhook.TriggerCredentialsExchange, false)
	must(t, s.HookCreate(ctx(t), h))
	got, err := s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, map[string]string{})

	first := map[string]string{"API_KEY": "k-123", "EMPTY": "", "UNICODE": "pässwörd ✓"}
	must(t, s.HookSecretsPut(ctx(t), h.ID, first))
	got, err = s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, first)

	// Put replaces the whole set.
	second := map[string]string{"OTHER": "v"}
	must(t, s.HookSecretsPut(ctx(t), h.ID, second))
	got, err = s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, second)

	must(t, s.HookSecretsPut(ctx(t), h.ID, nil))
	got, err = s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, map[string]string{})

	// Update: fn gets the current set and returns the new one.
	ret, err := s.HookSecretsUpdate(ctx(t), h.ID, func(cur map[string]string) (map[string]string, error) {
		mustEqual(t, cur, map[string]string{})
		cur["A"] = "1"
		return cur, nil
	})
	must(t, err)
	mustEqual(t, ret, map[string]string{"A": "1"})
	ret, err = s.HookSecretsUpdate(ctx(t), h.ID, func(cur map[string]string) (map[string]string, error) {
		mustEqual(t, cur, map[string]string{"A": "1"})
		return map[string]string{"B": "2"}, nil
	})
	must(t, err)
	mustEqual(t, ret, map[string]string{"B": "2"})
	got, err = s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, ret)
	ret, err = s.HookSecretsUpdate(ctx(t), h.ID, func(map[string]string) (map[string]string, error) { return nil, nil })
	must(t, err)
	mustEqual(t, ret, map[string]string{})
	_, err = s.HookSecretsUpdate(ctx(t), "missing", func(cur map[string]string) (map[string]string, error) {
		t.Error("fn called for a missing hook")
		return cur, nil
	})
	mustIs(t, err, store.ErrNotFound)
}

func testHookDeleteRemovesSecrets(t *testing.T, s store.Store) {
	h := newHook("h", keyhook.TriggerCredentialsExchange, false)
	must(t, s.HookCreate(ctx(t), h))
	must(t, s.HookSecretsPut(ctx(t), h.ID, map[string]string{"K": "v"}))
	must(t, s.HookDelete(ctx(t), h.ID))
	_, err := s.HookSecretsGet(ctx(t), h.ID)
	mustIs(t, err, store.ErrNotFound)

	// A new hook under the same id does not inherit them.
	again := newHook("h", keyhook.TriggerCredentialsExchange, false)
	again.ID = h.ID
	must(t, s.HookCreate(ctx(t), again))
	got, err := s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, map[string]string{})
}
