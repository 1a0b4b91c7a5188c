// Package delivery holds the River workers that run non-blocking
// extensibility work after the change that caused it has committed. Today
// that is legacy hooks at post-user-registration and post-change-password;
// retries with back-off, dead letters and redrive build on the same workers.
//
// It imports trigger and River's core package (not its drivers).
package delivery

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook/trigger"
)

// HookWorker runs one non-blocking hook job.
type HookWorker struct {
	river.WorkerDefaults[trigger.HookJobArgs]
	Triggers *trigger.Engine
	// Timeout is River's own bound on a job, kept above the hook's timeout so
	// the script is interrupted by jsrt first and its failure logged.
	JobTimeout time.Duration
}

// Work runs the hook; the hook's own failure is logged by the engine and
// does not fail the job.
func (w *HookWorker) Work(ctx context.Context, job *river.Job[trigger.HookJobArgs]) error {
	return w.Triggers.RunHookJob(ctx, job.Args)
}

// Timeout bounds a job attempt.
func (w *HookWorker) Timeout(*river.Job[trigger.HookJobArgs]) time.Duration {
	if w.JobTimeout > 0 {
		return w.JobTimeout
	}
	return 90 * time.Second
}

// Register adds every keyhook worker to workers.
func Register(workers *river.Workers, t *trigger.Engine) error {
	return river.AddWorkerSafely(workers, &HookWorker{Triggers: t})
}
