package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/trigger"
)

type testBundle struct {
	path   string
	box    *secretbox.Box
	store  *sqlite.DB
	js     *jsrt.Engine
	engine *trigger.Engine
}

// setup opens a store on a real SQLite file with the hook workers
// registered (not started) and a post-change-password hook enabled.
func setup(t *testing.T, script string) *testBundle {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k.db")
	workers := river.NewWorkers()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: box, Workers: workers, JobPollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	engine := &trigger.Engine{Store: st, JS: js, Tenant: "t"}
	if err := Register(workers, engine); err != nil {
		t.Fatal(err)
	}
	if err := st.HookCreate(ctx, &keyhook.Hook{ID: keyhook.NewHookID(), Name: "pcp", TriggerID: keyhook.TriggerPostChangePassword, Enabled: true,
		Script: script}); err != nil {
		t.Fatal(err)
	}
	return &testBundle{path: path, box: box, store: st, js: js, engine: engine}
}

var testUser = &keyhook.User{ID: "auth0|abc", Email: "a@b.test"}

func (b *testBundle) enqueue(t *testing.T) {
	t.Helper()
	conn := &keyhook.Connection{ID: "con_1", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	if err := b.store.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return b.engine.EnqueuePostChangePassword(ctx, tx, trigger.PostChangePassword{User: testUser, Connection: conn})
	}); err != nil {
		t.Fatal(err)
	}
}

// waitJob polls the one hook job until done accepts it.
func waitJob(t *testing.T, st store.Store, done func(store.Job) bool) store.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		jobs, err := st.JobList(context.Background(), store.JobListParams{Kind: trigger.HookJobArgs{}.Kind()})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 && done(jobs[0]) {
			return jobs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs = %+v: not in the awaited state", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func failureLogs(t *testing.T, st store.Store) []keyhook.LogEntry {
	t.Helper()
	logs, _, err := st.LogList(context.Background(), store.LogListParams{Type: keyhook.LogFailedPostChangePasswordHook})
	if err != nil {
		t.Fatal(err)
	}
	return logs
}

// TestHookWorkerRunsCommittedJobs: a post-change-password job committed with
// the change is worked after commit; the hook's failure becomes an fcph log
// entry and the job still completes (the outcome never affects the request).
func TestHookWorkerRunsCommittedJobs(t *testing.T) {
	t.Parallel()
	b := setup(t, `module.exports = function (user, context, cb) { console.log('for', user.email); cb(new Error('mailer down for ' + user.id)); };`)
	if err := b.store.JobsStart(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.enqueue(t)
	waitJob(t, b.store, func(j store.Job) bool { return j.State == store.JobStateCompleted })
	logs := failureLogs(t, b.store)
	if len(logs) != 1 || logs[0].Description != "mailer down for abc" || logs[0].UserID != testUser.ID {
		t.Fatalf("logs = %+v, want one fcph entry", logs)
	}
}

// TestHookWorkerRetriesHostFailures: a job that meets a closed runtime is
// retried by River, and nothing is logged as the hook's failure.
func TestHookWorkerRetriesHostFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, `module.exports = function (user, context, cb) { cb(new Error('never runs')); };`)
	b.js.Close()
	if err := b.store.JobsStart(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.enqueue(t)
	job := waitJob(t, b.store, func(j store.Job) bool { return len(j.Errors) > 0 })
	if job.State == store.JobStateCompleted || job.State == store.JobStateCancelled || job.State == store.JobStateDiscarded {
		t.Fatalf("job %+v was finalized; want it retried", job)
	}
	if !strings.Contains(job.Errors[0].Error, jsrt.ErrClosed.Error()) {
		t.Errorf("job error = %q", job.Errors[0].Error)
	}
	if logs := failureLogs(t, b.store); len(logs) != 0 {
		t.Fatalf("logs = %+v: a host failure was logged as the hook's", logs)
	}
}

// TestShutdownRetriesRunningJobs: closing the store stops the queue; a job
// still running when the queue gives up waiting is cancelled and left to
// run again, neither logged as the hook's failure nor completed.
func TestShutdownRetriesRunningJobs(t *testing.T) {
	t.Parallel()
	b := setup(t, `module.exports = function (user, context, cb) { setTimeout(function () { cb(new Error('too late')); }, 30000); };`)
	if err := b.store.JobsStart(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.enqueue(t)
	waitJob(t, b.store, func(j store.Job) bool { return j.State == store.JobStateRunning })
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: b.path, Sealer: b.box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The run's *trigger.HostError wraps context.Canceled, which River takes
	// for a stop of its own: the job is made available again and the
	// attempt is not counted.
	job := waitJob(t, st, func(store.Job) bool { return true })
	if job.State != store.JobStateAvailable || job.Attempt != 0 || job.FinalizedAt != nil {
		t.Fatalf("job = %+v, want it available again, its attempt not counted", job)
	}
	if logs := failureLogs(t, st); len(logs) != 0 {
		t.Fatalf("logs = %+v: the shutdown was logged as the hook's failure", logs)
	}
}

func TestJobResult(t *testing.T) {
	t.Parallel()
	host := &trigger.HostError{Trigger: keyhook.TriggerPostUserRegistration, Err: context.Canceled}
	bad := &trigger.JobArgsError{Trigger: keyhook.TriggerPostUserRegistration, Err: errors.New("unexpected end of JSON input")}
	tests := []struct {
		name       string
		err        error
		wantNil    bool // the job completes
		wantCancel bool // the job is cancelled, never retried
	}{
		{"hook's own outcome", nil, true, false},
		{"host failure", host, false, false},
		{"wrapped host failure", fmt.Errorf("work: %w", host), false, false},
		{"undecodable job", bad, false, true},
		{"wrapped undecodable job", fmt.Errorf("work: %w", bad), false, true},
	}
	for _, tt := range tests {
		got := jobResult(tt.err)
		var cancel *river.JobCancelError
		isCancel := errors.As(got, &cancel)
		switch {
		case tt.wantNil && got != nil:
			t.Errorf("%s: jobResult = %v, want nil", tt.name, got)
		case !tt.wantNil && got == nil:
			t.Errorf("%s: jobResult = nil, want an error River acts on", tt.name)
		case isCancel != tt.wantCancel:
			t.Errorf("%s: jobResult = %v, cancel = %v, want %v", tt.name, got, isCancel, tt.wantCancel)
		case !tt.wantNil && !errors.Is(got, tt.err):
			t.Errorf("%s: jobResult = %v does not wrap %v", tt.name, got, tt.err)
		}
	}
}

// TestJobTimeoutAboveHookTimeout: River's bound on a job stays above the
// hook's own, so a hook that times out is interrupted by jsrt and logged as
// its own failure before River cancels the attempt.
func TestJobTimeoutAboveHookTimeout(t *testing.T) {
	t.Parallel()
	for _, hook := range []time.Duration{time.Second, 3 * time.Second, time.Minute, 10 * time.Minute} {
		w := &HookWorker{Triggers: &trigger.Engine{AsyncTimeout: hook}}
		if got := w.Timeout(nil); got < hook+5*time.Second {
			t.Errorf("hook timeout %s: job timeout %s, want a margin of at least 5s", hook, got)
		}
		if got, want := w.Timeout(nil), JobTimeout(hook); got != want {
			t.Errorf("hook timeout %s: worker timeout %s, JobTimeout %s: they must agree", hook, got, want)
		}
	}
	if got := (&HookWorker{Triggers: &trigger.Engine{}}).Timeout(nil); got != JobTimeout(60*time.Second) {
		t.Errorf("default: job timeout %s, want JobTimeout(60s)", got)
	}
}
