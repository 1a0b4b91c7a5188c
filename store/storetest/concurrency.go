package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// RunConcurrency runs the tests where goroutines race on one store. They are
// a separate entry point (as in dex) because backends differ in how they
// serialise writers: SQLite queues them on one lock, PostgreSQL on rows and
// indexes; both must give the same outcome.
func RunConcurrency(t *testing.T, newStore NewStore) {
	tests := []subtest{
		{"EnableHookRace", testEnableHookRace},
		{"EnableHookRaceInTx", testEnableHookRaceInTx},
		{"CreateUserRace", testCreateUserRace},
		{"ConcurrentWriters", testConcurrentWriters},
		{"LoginFailureRace", testLoginFailureRace},
		{"UserUpdateNoLostUpdate", testUserUpdateNoLostUpdate},
		{"UserUpdateInTxNoLostUpdate", testUserUpdateInTxNoLostUpdate},
		{"UserRecordLoginCounts", testUserRecordLoginCounts},
		{"ClientUpdateNoLostUpdate", testClientUpdateNoLostUpdate},
		{"ResourceServerUpdateNoLostUpdate", testResourceServerUpdateNoLostUpdate},
		{"ClientGrantUpdateNoLostUpdate", testClientGrantUpdateNoLostUpdate},
		{"HookUpdateNoLostUpdate", testHookUpdateNoLostUpdate},
		{"HookSecretsUpdateNoLostUpdate", testHookSecretsUpdateNoLostUpdate},
		{"ActionDeployRace", testActionDeployRace},
		{"ActionDeployRaceInTx", testActionDeployRaceInTx},
		{"ActionUpdateNoLostUpdate", testActionUpdateNoLostUpdate},
		{"BindingsUpdateNoLostUpdate", testBindingsUpdateNoLostUpdate},
		{"DeleteBoundRace", testDeleteBoundRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

const racers = 8

// race runs fn in racers goroutines released together and returns their
// errors.
func race(fn func(i int) error) []error { return raceN(racers, fn) }

// raceN runs fn in n goroutines released together and returns their errors.
func raceN(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = fn(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// exactlyOneWins checks that one racer succeeded and every other failed with
// ErrConflict, and returns the winner.
func exactlyOneWins(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("racers %d and %d both won", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("racer %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	return winner
}

func seedDisabledHooks(t *testing.T, s store.Store) []*keyhook.Hook {
	hooks := make([]*keyhook.Hook, racers)
	for i := range hooks {
		hooks[i] = newHook(name("racer", i), keyhook.TriggerCredentialsExchange, false)
		must(t, s.HookCreate(ctx(t), hooks[i]))
	}
	return hooks
}

// testEnableHookRace: the partial unique index alone must stop a second
// enabled hook.
func testEnableHookRace(t *testing.T, s store.Store) {
	hooks := seedDisabledHooks(t, s)
	errs := race(func(i int) error {
		_, err := s.HookUpdate(ctx(t), hooks[i].ID, func(h *keyhook.Hook) error {
			h.Enabled = true
			return nil
		})
		return err
	})
	winner := exactlyOneWins(t, errs)
	got, err := s.HookGetEnabled(ctx(t), keyhook.TriggerCredentialsExchange)
	must(t, err)
	mustEqual(t, got.ID, hooks[winner].ID)
}

// testEnableHookRaceInTx is the API's read-check-write in a transaction: the
// check may pass in several racers, and the database must still pick one
// and report conflicts, not lock errors.
func testEnableHookRaceInTx(t *testing.T, s store.Store) {
	hooks := seedDisabledHooks(t, s)
	errs := race(func(i int) error {
		return s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.HookGetEnabled(ctx, keyhook.TriggerCredentialsExchange); err == nil {
				return fmt.Errorf("already enabled: %w", store.ErrConflict)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			h, err := tx.HookUpdate(ctx, hooks[i].ID, func(h *keyhook.Hook) error {
				h.Enabled = true
				return nil
			})
			if err != nil {
				return err
			}
			return tx.JobInsert(ctx, JobArgs{Value: h.ID})
		})
	})
	winner := exactlyOneWins(t, errs)
	got, err := s.HookGetEnabled(ctx(t), keyhook.TriggerCredentialsExchange)
	must(t, err)
	mustEqual(t, got.ID, hooks[winner].ID)
	// Only the winner's job was committed.
	jobs, err := s.JobList(ctx(t), store.JobListParams{})
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want the winner's only", len(jobs))
	}
}

func testCreateUserRace(t *testing.T, s store.Store) {
	errs := race(func(i int) error {
		return s.UserCreate(ctx(t), &keyhook.User{
			ID: name("auth0|race", i), Connection: "db", Email: caseVariant(i),
		})
	})
	exactlyOneWins(t, errs)
	_, total, err := s.UserList(ctx(t), store.UserListParams{Connection: "db"})
	must(t, err)
	mustEqual(t, total, 1)
}

// caseVariant spells the same address differently per racer.
func caseVariant(i int) string {
	variants := []string{"race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"}
	return variants[i%len(variants)]
}

// testConcurrentWriters: many transactions writing at once all succeed.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const perRacer = 15
	errs := race(func(i int) error {
		for j := range perRacer {
			err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
				e := &keyhook.LogEntry{Type: keyhook.LogSuccessAPIOperation, UserID: name("auth0|w", i)}
				if err := tx.LogCreate(ctx, e); err != nil {
					return err
				}
				if _, _, err := tx.LogList(ctx, store.LogListParams{UserID: e.UserID}); err != nil {
					return err
				}
				return tx.JobInsert(ctx, JobArgs{Value: fmt.Sprint(i, "-", j)})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	_, total, err := s.LogList(ctx(t), store.LogListParams{})
	must(t, err)
	mustEqual(t, total, racers*perRacer)
	jobs, err := s.JobList(ctx(t), store.JobListParams{Limit: 1000})
	must(t, err)
	mustEqual(t, len(jobs), racers*perRacer)
}

// The NoLostUpdate tests run updaters that each change a different part of
// one row at once. A read of the whole row followed by a write of it, at
// READ COMMITTED, keeps only some of the changes; the update convention
// (row locked from the read to the commit) keeps all of them.

// updaters is how many goroutines update one row at once.
const updaters = 10

// allSucceed fails the test on any racer's error.
func allSucceed(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
}

// keys are the racers' own keys: k000 … k009.
func keys() []string {
	out := make([]string, updaters)
	for i := range out {
		out[i] = name("k", i)
	}
	return out
}

func testUserUpdateNoLostUpdate(t *testing.T, s store.Store) {
	u := &keyhook.User{ID: "auth0|lost", Connection: "db", AppMetadata: map[string]any{"kept": true}}
	must(t, s.UserCreate(ctx(t), u))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.UserUpdate(ctx(t), u.ID, func(u *keyhook.User) error {
			u.AppMetadata[name("k", i)] = float64(i)
			u.LoginsCount++
			return nil
		})
		return err
	}))
	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	want := map[string]any{"kept": true}
	for i, k := range keys() {
		want[k] = float64(i)
	}
	mustEqual(t, got.AppMetadata, want)
	mustEqual(t, got.LoginsCount, int64(updaters))
}

// testUserUpdateInTxNoLostUpdate is the same through InTx, with another
// write after the update in each transaction, as the Management API's
// PATCH /users does.
func testUserUpdateInTxNoLostUpdate(t *testing.T, s store.Store) {
	u := &keyhook.User{ID: "auth0|lost", Connection: "db"}
	must(t, s.UserCreate(ctx(t), u))
	allSucceed(t, raceN(updaters, func(i int) error {
		return s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.UserUpdate(ctx, u.ID, func(u *keyhook.User) error {
				u.UserMetadata[name("k", i)] = "v"
				return nil
			}); err != nil {
				return err
			}
			return tx.LogCreate(ctx, &keyhook.LogEntry{Type: keyhook.LogSuccessAPIOperation, UserID: u.ID})
		})
	}))
	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	mustEqual(t, len(got.UserMetadata), updaters)
	_, total, err := s.LogList(ctx(t), store.LogListParams{UserID: u.ID})
	must(t, err)
	mustEqual(t, total, updaters)
}

func testUserRecordLoginCounts(t *testing.T, s store.Store) {
	const logins = 30
	u := &keyhook.User{ID: "auth0|logins", Connection: "db", LoginsCount: 5, UpdatedAt: at(0), CreatedAt: at(0)}
	must(t, s.UserCreate(ctx(t), u))
	allSucceed(t, raceN(logins, func(i int) error {
		return s.UserRecordLogin(ctx(t), store.UserRecordLoginParams{
			UserID: u.ID, At: at(i + 1), IP: fmt.Sprintf("192.0.2.%d", i+1),
		})
	}))
	got, err := s.UserGetByID(ctx(t), u.ID)
	must(t, err)
	mustEqual(t, got.LoginsCount, int64(5+logins))
	if got.LastLogin == nil || got.LastIP == "" {
		t.Fatalf("last_login %v, last_ip %q: want both set", got.LastLogin, got.LastIP)
	}
	mustUTC(t, "LastLogin", *got.LastLogin)
	// The login that wrote last left both its time and its IP.
	var i int
	if _, err := fmt.Sscanf(got.LastIP, "192.0.2.%d", &i); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, *got.LastLogin, stored(at(i)))
	// A login is not a profile change.
	mustEqual(t, got.UpdatedAt, stored(at(0)))

	err = s.UserRecordLogin(ctx(t), store.UserRecordLoginParams{UserID: "auth0|missing", At: at(0)})
	mustIs(t, err, store.ErrNotFound)
}

func testClientUpdateNoLostUpdate(t *testing.T, s store.Store) {
	c := &keyhook.Client{ClientID: "lost"}
	must(t, s.ClientCreate(ctx(t), c))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.ClientUpdate(ctx(t), c.ClientID, func(c *keyhook.Client) error {
			c.ClientMetadata[name("k", i)] = "v"
			c.Callbacks = append(c.Callbacks, fmt.Sprintf("https://app.test/%d", i))
			return nil
		})
		return err
	}))
	got, err := s.ClientGet(ctx(t), c.ClientID)
	must(t, err)
	mustEqual(t, len(got.ClientMetadata), updaters)
	mustEqual(t, len(got.Callbacks), updaters)
}

func testResourceServerUpdateNoLostUpdate(t *testing.T, s store.Store) {
	rs := &keyhook.ResourceServer{ID: "lost", Identifier: "https://lost/"}
	must(t, s.ResourceServerCreate(ctx(t), rs))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.ResourceServerUpdate(ctx(t), rs.ID, func(rs *keyhook.ResourceServer) error {
			rs.Scopes = append(rs.Scopes, keyhook.ResourceServerScope{Value: name("k", i)})
			return nil
		})
		return err
	}))
	got, err := s.ResourceServerGet(ctx(t), rs.ID)
	must(t, err)
	mustEqual(t, len(got.Scopes), updaters)
}

func testClientGrantUpdateNoLostUpdate(t *testing.T, s store.Store) {
	g := &keyhook.ClientGrant{ID: "cgr_lost", ClientID: "c", Audience: "https://lost/"}
	must(t, s.ClientGrantCreate(ctx(t), g))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.ClientGrantUpdate(ctx(t), g.ID, func(g *keyhook.ClientGrant) error {
			g.Scope = append(g.Scope, name("k", i))
			return nil
		})
		return err
	}))
	got, err := s.ClientGrantGet(ctx(t), g.ID)
	must(t, err)
	slices.Sort(got.Scope)
	mustEqual(t, got.Scope, keys())
}

func testHookUpdateNoLostUpdate(t *testing.T, s store.Store) {
	h := newHook("lost", keyhook.TriggerPostLogin, false)
	must(t, s.HookCreate(ctx(t), h))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.HookUpdate(ctx(t), h.ID, func(h *keyhook.Hook) error {
			h.Dependencies[name("k", i)] = "1.0.0"
			return nil
		})
		return err
	}))
	got, err := s.HookGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, len(got.Dependencies), len(h.Dependencies)+updaters)
}

// testHookSecretsUpdateNoLostUpdate also races the first write of the set,
// when the secrets' row does not exist yet.
func testHookSecretsUpdateNoLostUpdate(t *testing.T, s store.Store) {
	h := newHook("lost", keyhook.TriggerPostLogin, false)
	must(t, s.HookCreate(ctx(t), h))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.HookSecretsUpdate(ctx(t), h.ID, func(cur map[string]string) (map[string]string, error) {
			cur[name("k", i)] = "v"
			return cur, nil
		})
		return err
	}))
	got, err := s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, slices.Sorted(maps.Keys(got)), keys())
}
