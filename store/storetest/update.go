package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// updateTests check the parts of the update convention every Update method
// shares; each method's own test checks what it stores.
var updateTests = []subtest{
	{"Update/FnErrorAborts", testUpdateFnErrorAborts},
	{"Update/FnErrorInTx", testUpdateFnErrorInTx},
}

// callerError is an error type of the caller's own, which must come back
// through the store's wrapping.
type callerError struct{ what string }

func (e *callerError) Error() string { return "refused: " + e.what }

// mustCallerError fails unless err carries the callerError of what.
func mustCallerError(t *testing.T, err error, what string) {
	t.Helper()
	var ce *callerError
	if !errors.As(err, &ce) || ce.what != what {
		t.Fatalf("err = %v, want the callback's *callerError %q", err, what)
	}
}

// updaters returns, per Update method, a call whose callback edits the row
// and then fails, and a check that the stored row is unchanged.
func abortingUpdates(t *testing.T, s store.Store) []struct {
	name      string
	update    func(ctx context.Context, q store.Querier) error
	unchanged func()
} {
	u := fullUser()
	must(t, s.UserCreate(ctx(t), u))
	c := fullClient()
	must(t, s.ClientCreate(ctx(t), c))
	rs := fullResourceServer("https://api/")
	must(t, s.ResourceServerCreate(ctx(t), rs))
	g := fullClientGrant(c.ClientID, rs.Identifier)
	must(t, s.ClientGrantCreate(ctx(t), g))
	h := newHook("h", keyhook.TriggerPostLogin, false)
	must(t, s.HookCreate(ctx(t), h))
	secrets := map[string]string{"A": "1"}
	must(t, s.HookSecretsPut(ctx(t), h.ID, secrets))

	return []struct {
		name      string
		update    func(ctx context.Context, q store.Querier) error
		unchanged func()
	}{
		{"User", func(ctx context.Context, q store.Querier) error {
			_, err := q.UserUpdate(ctx, u.ID, func(u *keyhook.User) error {
				u.Name, u.AppMetadata["x"] = "changed", "y"
				return &callerError{"User"}
			})
			return err
		}, func() {
			got, err := s.UserGetByID(ctx(t), u.ID)
			must(t, err)
			mustEqual(t, got, u)
		}},
		{"Client", func(ctx context.Context, q store.Querier) error {
			_, err := q.ClientUpdate(ctx, c.ClientID, func(c *keyhook.Client) error {
				c.SecretHash = "changed"
				return &callerError{"Client"}
			})
			return err
		}, func() {
			got, err := s.ClientGet(ctx(t), c.ClientID)
			must(t, err)
			mustEqual(t, got, c)
		}},
		{"ResourceServer", func(ctx context.Context, q store.Querier) error {
			_, err := q.ResourceServerUpdate(ctx, rs.ID, func(rs *keyhook.ResourceServer) error {
				rs.Name = "changed"
				return &callerError{"ResourceServer"}
			})
			return err
		}, func() {
			got, err := s.ResourceServerGet(ctx(t), rs.ID)
			must(t, err)
			mustEqual(t, got, rs)
		}},
		{"ClientGrant", func(ctx context.Context, q store.Querier) error {
			_, err := q.ClientGrantUpdate(ctx, g.ID, func(g *keyhook.ClientGrant) error {
				g.Scope = []string{"changed"}
				return &callerError{"ClientGrant"}
			})
			return err
		}, func() {
			got, err := s.ClientGrantGet(ctx(t), g.ID)
			must(t, err)
			mustEqual(t, got, g)
		}},
		{"Hook", func(ctx context.Context, q store.Querier) error {
			_, err := q.HookUpdate(ctx, h.ID, func(h *keyhook.Hook) error {
				h.Script = "changed"
				return &callerError{"Hook"}
			})
			return err
		}, func() {
			got, err := s.HookGet(ctx(t), h.ID)
			must(t, err)
			mustEqual(t, got, h)
		}},
		{"HookSecrets", func(ctx context.Context, q store.Querier) error {
			_, err := q.HookSecretsUpdate(ctx, h.ID, func(cur map[string]string) (map[string]string, error) {
				cur["A"] = "changed"
				return cur, &callerError{"HookSecrets"}
			})
			return err
		}, func() {
			got, err := s.HookSecretsGet(ctx(t), h.ID)
			must(t, err)
			mustEqual(t, got, secrets)
		}},
	}
}

// testUpdateFnErrorAborts: the callback's error comes back (errors.As finds
// the caller's type) and nothing is written.
func testUpdateFnErrorAborts(t *testing.T, s store.Store) {
	for _, tt := range abortingUpdates(t, s) {
		before, err := s.ConfigVersion(ctx(t))
		must(t, err)
		mustCallerError(t, tt.update(ctx(t), s), tt.name)
		tt.unchanged()
		// Not even a no-op write reached the tables.
		if tt.name != "User" {
			after, err := s.ConfigVersion(ctx(t))
			must(t, err)
			mustEqual(t, after, before)
		}
	}
}

// testUpdateFnErrorInTx: inside InTx the aborted update writes nothing and
// leaves the transaction usable; what else it wrote commits.
func testUpdateFnErrorInTx(t *testing.T, s store.Store) {
	updates := abortingUpdates(t, s)
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		for _, tt := range updates {
			mustCallerError(t, tt.update(ctx, tx), tt.name)
		}
		return tx.UserCreate(ctx, &keyhook.User{ID: "auth0|after", Connection: "db"})
	})
	must(t, err)
	for _, tt := range updates {
		tt.unchanged()
	}
	_, err = s.UserGetByID(ctx(t), "auth0|after")
	must(t, err)
}
