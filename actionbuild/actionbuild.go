// Package actionbuild builds the drafts of Auth0 Actions in the background.
// Saving a draft (create or PATCH in the Management API) puts it in status
// pending and, in the same transaction, inserts a build job (Enqueue); the
// job, worked by River on any node, moves the draft to building and then to
// built, with the bundle a deploy snapshots, or to failed, with the reason.
// A result is written only if the draft is still at the revision the build
// read: a draft edited meanwhile has a newer job of its own. A draft created
// with deploy:true is deployed by the job that builds it.
//
// The building itself (resolving npm dependencies, bundling) is a Builder's,
// an interface this package declares for what it needs.
//
// It imports the domain package, store and River's core package.
package actionbuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// Builder turns an action's code and npm dependencies into the one script a
// deploy snapshots. It returns the script, a digest of it, and the
// dependencies pinned to the exact versions it resolved (nil keeps the
// draft's as given). Any error fails the build and is shown in the action
// as the reason (build_error), unless ctx ended: then the job is retried.
type Builder interface {
	Build(ctx context.Context, code, runtime string, deps []keyhook.Dependency) (bundle, hash string, pinned []keyhook.Dependency, err error)
}

// JobArgs is the build job of one revision of an action's draft.
type JobArgs struct {
	ActionID string `json:"action_id"`
	Revision int64  `json:"revision"`
}

// Kind names the job for River.
func (JobArgs) Kind() string { return "keyhook.action_build" }

// Enqueue inserts the build job of a's draft at its current revision in
// tx, so it exists only if the draft's change commits.
func Enqueue(ctx context.Context, tx store.Tx, a *keyhook.Action) error {
	if err := tx.JobInsert(ctx, JobArgs{ActionID: a.ID, Revision: a.Revision}); err != nil {
		return fmt.Errorf("enqueue build of action %s: %w", a.ID, err)
	}
	return nil
}

// maxBuildErrorLen bounds the reason a failed build keeps (a builder's
// error may quote a whole compiler report).
const maxBuildErrorLen = 2048

// Runner runs build jobs.
type Runner struct {
	Store   store.Store
	Builder Builder
	Logger  *slog.Logger
	Now     func() time.Time
}

// errStale ends a job whose draft moved on: it was edited (a newer job
// builds it) or this revision's result is already written.
var errStale = errors.New("the draft changed since this build was queued")

// Run builds the draft of job.ActionID at job.Revision. It returns nil when
// the job is done: built, failed (the reason is in the action), or stale.
// It returns an error, for the queue to retry the job, when the host kept
// the build from an outcome: the database failed, or ctx ended.
func (r *Runner) Run(ctx context.Context, job JobArgs) error {
	a, err := r.Store.ActionUpdate(ctx, job.ActionID, func(a *keyhook.Action) error {
		if a.Revision != job.Revision || (a.Status != keyhook.ActionPending && a.Status != keyhook.ActionBuilding) {
			return errStale
		}
		a.Status = keyhook.ActionBuilding
		return nil
	})
	if errors.Is(err, errStale) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("build action %s: %w", job.ActionID, err)
	}

	bundle, hash, pinned, buildErr := r.Builder.Build(ctx, a.Code, a.Runtime, a.Dependencies)
	if buildErr != nil && ctx.Err() != nil {
		return fmt.Errorf("build action %s: interrupted: %w", job.ActionID, ctx.Err())
	}
	now := r.now()
	deployed := 0
	err = r.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.ActionUpdate(ctx, job.ActionID, func(a *keyhook.Action) error {
			if a.Revision != job.Revision || a.Status != keyhook.ActionBuilding {
				return errStale
			}
			if buildErr != nil {
				a.Status, a.BuildError = keyhook.ActionFailed, reason(buildErr)
				a.Bundle, a.BundleHash = "", ""
				// deploy:true asked for this draft's deploy, not a later one.
				a.DeployWhenBuilt = false
				return nil
			}
			a.Status, a.BuildError = keyhook.ActionBuilt, ""
			a.Bundle, a.BundleHash, a.BuiltAt = bundle, hash, &now
			if pinned != nil {
				a.Dependencies = pinned
			}
			return nil
		})
		if err != nil || a.Status != keyhook.ActionBuilt || !a.DeployWhenBuilt {
			return err
		}
		v, err := tx.ActionDeploy(ctx, a.ID, func(a *keyhook.Action, v *keyhook.ActionVersion) error {
			v.ID = keyhook.NewActionVersionID()
			a.CopyDraftTo(v)
			a.DeployWhenBuilt = false
			a.AllChangesDeployed = true
			return nil
		})
		if err != nil {
			return err
		}
		deployed = v.Number
		return nil
	})
	if errors.Is(err, errStale) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("build action %s: %w", job.ActionID, err)
	}
	r.logger().InfoContext(ctx, "action built", slog.String("action_id", job.ActionID),
		slog.Int64("revision", job.Revision), slog.Bool("ok", buildErr == nil), slog.Int("deployed_version", deployed))
	return nil
}

// reason is the build error as the action shows it: valid UTF-8, bounded.
func reason(err error) string {
	s := err.Error()
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	if len(s) > maxBuildErrorLen {
		cut := maxBuildErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Worker is the River worker of build jobs.
type Worker struct {
	river.WorkerDefaults[JobArgs]
	Runner *Runner
}

// Work runs one build job; an error is retried with River's back-off.
func (w *Worker) Work(ctx context.Context, job *river.Job[JobArgs]) error {
	return w.Runner.Run(ctx, job.Args)
}

// Register adds the build worker to workers.
func Register(workers *river.Workers, r *Runner) error {
	return river.AddWorkerSafely(workers, &Worker{Runner: r})
}
