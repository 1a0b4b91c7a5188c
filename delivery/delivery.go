// Package delivery holds the River workers that run non-blocking
// extensibility work after the change that caused it has committed. Today
// that is legacy hooks at post-user-registration and post-change-password;
// retries with back-off, dead letters and redrive build on the same workers.
//
// Delivery is at least once: a job whose attempt ended without an outcome
// of the hook's own (a crash, a shutdown, a database error) runs again.
//
// It imports trigger and River's core package (not its drivers).
package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook/trigger"
)

// jobMargin is how much longer than its hook River lets a hook job run: the
// script is interrupted by jsrt first, and the job still has time to load
// the hook and write the failure's log entry.
const jobMargin = 10 * time.Second

// JobTimeout is River's bound on one attempt of a hook job whose hook may
// run for hookTimeout (trigger.Engine.NonBlockingTimeout). The stores'
// JobTimeout option takes it, so that River rescues a job left running by a
// crash soon after its attempt would have ended.
func JobTimeout(hookTimeout time.Duration) time.Duration {
	return hookTimeout + jobMargin
}

// HookWorker runs one non-blocking hook job.
type HookWorker struct {
	river.WorkerDefaults[trigger.HookJobArgs]
	Triggers *trigger.Engine
}

// Work runs the hook. The hook's own failure is logged by the engine and
// completes the job; a failure of the host is returned, so River retries.
func (w *HookWorker) Work(ctx context.Context, job *river.Job[trigger.HookJobArgs]) error {
	return jobResult(w.Triggers.RunHookJob(ctx, job.Args))
}

// jobResult is what River is told about a job that ended with err.
func jobResult(err error) error {
	var bad *trigger.JobArgsError
	if errors.As(err, &bad) {
		// No attempt can decode it: cancel rather than retry for days.
		return river.JobCancel(err)
	}
	// nil completes the job; a *trigger.HostError (or anything unforeseen)
	// is retried with River's back-off.
	return err
}

// Timeout bounds a job attempt, above the hook's own timeout.
func (w *HookWorker) Timeout(*river.Job[trigger.HookJobArgs]) time.Duration {
	return JobTimeout(w.Triggers.NonBlockingTimeout())
}

// Register adds every keyhook worker to workers.
func Register(workers *river.Workers, t *trigger.Engine) error {
	return river.AddWorkerSafely(workers, &HookWorker{Triggers: t})
}
