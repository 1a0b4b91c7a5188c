package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook/store"
)

// NewWorkingStore returns a fresh store whose queue works jobs with workers,
// registering its Close with t.Cleanup. The suite adds its workers to the
// bundle after the store is opened, as the server does.
type NewWorkingStore func(t *testing.T, workers *river.Workers) store.Store

// RunJobs runs the tests that work jobs through the store's queue.
func RunJobs(t *testing.T, newStore NewWorkingStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newStore NewWorkingStore)
	}{
		{"WorkCommitted", testWorkCommitted},
		{"RetryCancelled", testRetryCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore)
		})
	}
}

// recordingWorker records the values it works; values listed in cancelFirst
// are cancelled (River's dead-letter state) on their first attempt.
type recordingWorker struct {
	river.WorkerDefaults[JobArgs]

	mu          sync.Mutex
	worked      []string
	cancelFirst map[string]bool
}

const cancelMessage = "storetest: first attempt refused"

func (w *recordingWorker) Work(_ context.Context, job *river.Job[JobArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancelFirst[job.Args.Value] && job.Attempt == 1 {
		return river.JobCancel(errors.New(cancelMessage))
	}
	w.worked = append(w.worked, job.Args.Value)
	return nil
}

func (w *recordingWorker) values() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := slices.Clone(w.worked)
	slices.Sort(v)
	return v
}

// waitJob polls until the job reaches state. The deadline only bounds a
// failing test; it asserts nothing about speed.
func waitJob(t *testing.T, s store.Store, id int64, state string) *store.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := s.JobGet(ctx(t), id)
		must(t, err)
		if j.State == state {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s, want %s: %+v", id, j.State, state, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func insertJob(t *testing.T, s store.Store, value string) {
	t.Helper()
	must(t, s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		return tx.JobInsert(ctx, JobArgs{Value: value})
	}))
}

func testWorkCommitted(t *testing.T, newStore NewWorkingStore) {
	workers := river.NewWorkers()
	s := newStore(t, workers)
	w := &recordingWorker{}
	river.AddWorker(workers, w)

	// Jobs inserted before and after the queue starts are both worked; the
	// rolled-back one never is.
	want := []string{}
	for i := range 5 {
		insertJob(t, s, fmt.Sprint("before-", i))
		want = append(want, fmt.Sprint("before-", i))
	}
	err := s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
		if err := tx.JobInsert(ctx, JobArgs{Value: "rolled-back"}); err != nil {
			return err
		}
		return errRollback
	})
	mustIs(t, err, errRollback)
	must(t, s.JobsStart(ctx(t)))
	for i := range 5 {
		insertJob(t, s, fmt.Sprint("after-", i))
		want = append(want, fmt.Sprint("after-", i))
	}
	slices.Sort(want)

	jobs, err := s.JobList(ctx(t), store.JobListParams{})
	must(t, err)
	mustEqual(t, len(jobs), len(want))
	for _, j := range jobs {
		done := waitJob(t, s, j.ID, store.JobStateCompleted)
		if done.FinalizedAt == nil {
			t.Fatalf("completed job %d has no FinalizedAt", j.ID)
		}
	}
	mustEqual(t, w.values(), want)
}

func testRetryCancelled(t *testing.T, newStore NewWorkingStore) {
	workers := river.NewWorkers()
	w := &recordingWorker{cancelFirst: map[string]bool{"redrive": true}}
	river.AddWorker(workers, w)
	s := newStore(t, workers)
	must(t, s.JobsStart(ctx(t)))

	insertJob(t, s, "redrive")
	jobs, err := s.JobList(ctx(t), store.JobListParams{Kind: JobArgs{}.Kind()})
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	dead := waitJob(t, s, jobs[0].ID, store.JobStateCancelled)
	if len(dead.Errors) != 1 || !strings.Contains(dead.Errors[0].Error, cancelMessage) || dead.Errors[0].Attempt != 1 {
		t.Fatalf("cancelled job errors = %+v", dead.Errors)
	}
	listed, err := s.JobList(ctx(t), store.JobListParams{State: store.JobStateCancelled})
	must(t, err)
	mustEqual(t, len(listed), 1)

	retried, err := s.JobRetry(ctx(t), dead.ID)
	must(t, err)
	if retried.State != store.JobStateAvailable && retried.State != store.JobStateRunning && retried.State != store.JobStateCompleted {
		t.Fatalf("retried job is %s", retried.State)
	}
	done := waitJob(t, s, dead.ID, store.JobStateCompleted)
	mustEqual(t, done.Attempt, 2)
	mustEqual(t, len(done.Errors), 1)
	mustEqual(t, w.values(), []string{"redrive"})
}
