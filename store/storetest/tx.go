package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var txTests = []subtest{
	{"Tx/Commit", testTxCommit},
	{"Tx/RollbackOnError", testTxRollbackOnError},
	{"Tx/RollbackOnPanic", testTxRollbackOnPanic},
	{"Tx/ConflictInside", testTxConflictInside},
}

func testTxCommit(t *testing.T, s store.Store) {
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		if err := tx.UserCreate(ctx, &keyhook.User{ID: "auth0|tx", Connection: "db", Email: "tx@example.com"}); err != nil {
			return err
		}
		// The transaction reads its own writes.
		u, err := tx.UserGetByEmail(ctx, "db", "TX@example.com")
		if err != nil {
			return err
		}
		_, err = tx.UserUpdate(ctx, u.ID, func(u *keyhook.User) error {
			u.Name = "changed in tx"
			return nil
		})
		return err
	})
	must(t, err)
	u, err := s.UserGetByID(ctx(t), "auth0|tx")
	must(t, err)
	mustEqual(t, u.Name, "changed in tx")
}

var errRollback = errors.New("storetest: roll back")

func testTxRollbackOnError(t *testing.T, s store.Store) {
	must(t, s.HookCreate(ctx(t), newHook("kept", keyhook.TriggerCredentialsExchange, false)))
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		if err := tx.UserCreate(ctx, &keyhook.User{ID: "auth0|gone", Connection: "db"}); err != nil {
			return err
		}
		if err := tx.HookCreate(ctx, newHook("gone", keyhook.TriggerPreUserRegistration, true)); err != nil {
			return err
		}
		return errRollback
	})
	// InTx returns fn's error as it is.
	mustIs(t, err, errRollback)
	_, err = s.UserGetByID(ctx(t), "auth0|gone")
	mustIs(t, err, store.ErrNotFound)
	_, total, err := s.HookList(ctx(t), store.HookListParams{})
	must(t, err)
	mustEqual(t, total, 1)
}

func testTxRollbackOnPanic(t *testing.T, s store.Store) {
	func() {
		defer func() {
			if r := recover(); r != "storetest panic" {
				t.Fatalf("recovered %v, want the re-panicked value", r)
			}
		}()
		_ = s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
			if err := tx.UserCreate(ctx, &keyhook.User{ID: "auth0|panic", Connection: "db"}); err != nil {
				return err
			}
			panic("storetest panic")
		})
		t.Fatal("InTx returned after fn panicked")
	}()
	_, err := s.UserGetByID(ctx(t), "auth0|panic")
	mustIs(t, err, store.ErrNotFound)
	// The store is still usable: the connection went back clean.
	must(t, s.UserCreate(ctx(t), &keyhook.User{ID: "auth0|after", Connection: "db"}))
}

func testTxConflictInside(t *testing.T, s store.Store) {
	must(t, s.UserCreate(ctx(t), &keyhook.User{ID: "auth0|1", Connection: "db", Email: "a@example.com"}))
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		return tx.UserCreate(ctx, &keyhook.User{ID: "auth0|2", Connection: "db", Email: "A@example.com"})
	})
	mustIs(t, err, store.ErrConflict)
}

// JobArgs is the payload of the suite's jobs.
type JobArgs struct {
	Value string `json:"value"`
}

// Kind is the job kind.
func (JobArgs) Kind() string { return "storetest_job" }

var jobInsertTests = []subtest{
	{"Job/InsertCommitted", testJobInsertCommitted},
	{"Job/InsertRolledBack", testJobInsertRolledBack},
	{"Job/ListFilters", testJobListFilters},
	{"Job/NotFound", testJobNotFound},
	{"Job/StartWithoutWorkers", testJobStartWithoutWorkers},
}

func testJobInsertCommitted(t *testing.T, s store.Store) {
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		if err := tx.HookCreate(ctx, newHook("h", keyhook.TriggerCredentialsExchange, false)); err != nil {
			return err
		}
		return tx.JobInsert(ctx, JobArgs{Value: "committed"})
	})
	must(t, err)
	jobs, err := s.JobList(ctx(t), store.JobListParams{})
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1: %+v", len(jobs), jobs)
	}
	j := jobs[0]
	mustEqual(t, j.Kind, "storetest_job")
	mustEqual(t, j.State, store.JobStateAvailable)
	mustEqual(t, j.Attempt, 0)
	mustEqual(t, j.Errors, []store.JobError{})
	var args JobArgs
	must(t, json.Unmarshal(j.Args, &args))
	mustEqual(t, args, JobArgs{Value: "committed"})
	mustUTC(t, "CreatedAt", j.CreatedAt)

	got, err := s.JobGet(ctx(t), j.ID)
	must(t, err)
	mustEqual(t, got.ID, j.ID)
	mustEqual(t, got.Kind, j.Kind)
}

func testJobInsertRolledBack(t *testing.T, s store.Store) {
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		if err := tx.JobInsert(ctx, JobArgs{Value: "rolled back"}); err != nil {
			return err
		}
		return errRollback
	})
	mustIs(t, err, errRollback)
	jobs, err := s.JobList(ctx(t), store.JobListParams{})
	must(t, err)
	mustEqual(t, len(jobs), 0)
}

// otherJobArgs is a second kind, for filters.
type otherJobArgs struct{}

func (otherJobArgs) Kind() string { return "storetest_other" }

func testJobListFilters(t *testing.T, s store.Store) {
	must(t, s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		for _, a := range []store.JobArgs{JobArgs{Value: "1"}, otherJobArgs{}, JobArgs{Value: "2"}} {
			if err := tx.JobInsert(ctx, a); err != nil {
				return err
			}
		}
		return nil
	}))
	tests := []struct {
		name   string
		params store.JobListParams
		want   []string // kinds, oldest first
	}{
		{"all", store.JobListParams{}, []string{"storetest_job", "storetest_other", "storetest_job"}},
		{"kind", store.JobListParams{Kind: "storetest_other"}, []string{"storetest_other"}},
		{"state", store.JobListParams{State: store.JobStateAvailable}, []string{"storetest_job", "storetest_other", "storetest_job"}},
		{"other state", store.JobListParams{State: store.JobStateCompleted}, []string{}},
		{"limit", store.JobListParams{Limit: 2}, []string{"storetest_job", "storetest_other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := s.JobList(ctx(t), tt.params)
			must(t, err)
			kinds := []string{}
			for _, j := range jobs {
				kinds = append(kinds, j.Kind)
			}
			mustEqual(t, kinds, tt.want)
		})
	}
	if _, err := s.JobList(ctx(t), store.JobListParams{State: "bogus"}); err == nil {
		t.Fatal("JobList accepted an unknown state")
	}
}

func testJobNotFound(t *testing.T, s store.Store) {
	_, err := s.JobGet(ctx(t), 987654321)
	mustIs(t, err, store.ErrNotFound)
	_, err = s.JobRetry(ctx(t), 987654321)
	mustIs(t, err, store.ErrNotFound)
}

// The suite's stores are opened without workers.
func testJobStartWithoutWorkers(t *testing.T, s store.Store) {
	if err := s.JobsStart(ctx(t)); err == nil {
		t.Fatal("JobsStart succeeded on a store opened without workers")
	}
}
