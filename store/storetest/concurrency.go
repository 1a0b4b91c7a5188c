package storetest

import (
	"context"
	"errors"
	"fmt"
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
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
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
		h := *hooks[i]
		h.Enabled = true
		return s.HookUpdate(ctx(t), &h)
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
			h, err := tx.HookGet(ctx, hooks[i].ID)
			if err != nil {
				return err
			}
			h.Enabled = true
			if err := tx.HookUpdate(ctx, h); err != nil {
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
