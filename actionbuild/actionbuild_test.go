package actionbuild

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

// builderFunc is a Builder from a function: each test says what its build
// does.
type builderFunc func(ctx context.Context, code, runtime string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error)

func (f builderFunc) Build(ctx context.Context, code, runtime string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	return f(ctx, code, runtime, deps)
}

// pinning builds "bundle:<code>" and pins every dependency to 1.2.3.
var pinning = builderFunc(func(_ context.Context, code, _ string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	pinned := make([]keyhook.Dependency, len(deps))
	for i, d := range deps {
		pinned[i] = keyhook.Dependency{Name: d.Name, Version: "1.2.3"}
	}
	return "bundle:" + code, "hash:" + code, pinned, nil
})

// openStore opens a real SQLite store; workers nil opens an insert-only
// queue.
func openStore(t *testing.T, workers *river.Workers) *sqlite.DB {
	t.Helper()
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.Config{
		Path: filepath.Join(t.TempDir(), "k.db"), Sealer: box, Workers: workers,
		JobPollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// save creates or edits a draft as the Management API does: pending, a new
// revision, and the build job in the same transaction.
func save(t *testing.T, st store.Store, a *keyhook.Action) *keyhook.Action {
	t.Helper()
	err := st.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ActionGet(ctx, a.ID)
		var cur *keyhook.Action
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.Status = keyhook.ActionPending
			if err := tx.ActionCreate(ctx, a); err != nil {
				return err
			}
			cur = a
		case err != nil:
			return err
		default:
			cur, err = tx.ActionUpdate(ctx, a.ID, func(cur *keyhook.Action) error {
				cur.Code, cur.Status = a.Code, keyhook.ActionPending
				cur.Revision++
				return nil
			})
			if err != nil {
				return err
			}
		}
		*a = *cur
		return Enqueue(ctx, tx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newDraft(code string) *keyhook.Action {
	return &keyhook.Action{
		ID: keyhook.NewActionID(), Name: "a-" + keyhook.RandomString(6), Code: code, Runtime: "node22",
		SupportedTriggers: []keyhook.TriggerRef{{ID: keyhook.TriggerPostLogin, Version: "v3"}},
		Dependencies:      []keyhook.Dependency{{Name: "lodash", Version: "latest"}},
	}
}

func get(t *testing.T, st store.Store, id string) *keyhook.Action {
	t.Helper()
	a, err := st.ActionGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestBuildJob: a saved draft's job, worked by River, builds it: the
// bundle, the pinned dependencies and built_at are stored.
func TestBuildJob(t *testing.T) {
	t.Parallel()
	workers := river.NewWorkers()
	st := openStore(t, workers)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Register(workers, &Runner{Store: st, Builder: pinning, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	if err := st.JobsStart(t.Context()); err != nil {
		t.Fatal(err)
	}
	a := save(t, st, newDraft("exports.onExecutePostLogin = async () => {};"))
	deadline := time.Now().Add(time.Minute)
	for get(t, st, a.ID).Status != keyhook.ActionBuilt {
		if time.Now().After(deadline) {
			t.Fatalf("draft is %s, want built", get(t, st, a.ID).Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := get(t, st, a.ID)
	if got.Bundle != "bundle:"+a.Code || got.BundleHash != "hash:"+a.Code || got.BuildError != "" {
		t.Fatalf("built draft %+v", got)
	}
	if got.BuiltAt == nil || !got.BuiltAt.Equal(now) {
		t.Fatalf("built_at %v, want %v", got.BuiltAt, now)
	}
	if len(got.Dependencies) != 1 || got.Dependencies[0] != (keyhook.Dependency{Name: "lodash", Version: "1.2.3"}) {
		t.Fatalf("dependencies %v, want lodash pinned", got.Dependencies)
	}
	if got.DeployedVersionID != "" {
		t.Fatal("a build deployed without deploy:true")
	}
}

// TestBuildOutcomes runs jobs directly: failures keep their reason, a
// draft edited during its build keeps the newer revision's state, and
// deploy:true deploys once built.
func TestBuildOutcomes(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)

	t.Run("failed", func(t *testing.T) {
		long := strings.Repeat("é", maxBuildErrorLen)
		r := &Runner{Store: st, Builder: builderFunc(func(context.Context, string, string, []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
			return "", "", nil, errors.New("Cannot find module 'nope' " + long)
		})}
		a := newDraft("x")
		a.DeployWhenBuilt = true
		save(t, st, a)
		if err := r.Run(t.Context(), JobArgs{ActionID: a.ID, Revision: a.Revision}); err != nil {
			t.Fatal(err)
		}
		got := get(t, st, a.ID)
		if got.Status != keyhook.ActionFailed || !strings.HasPrefix(got.BuildError, "Cannot find module 'nope'") ||
			len(got.BuildError) > maxBuildErrorLen+len("…") || got.DeployWhenBuilt || got.DeployedVersionID != "" {
			t.Fatalf("failed draft %+v", got)
		}
	})

	t.Run("edited during the build", func(t *testing.T) {
		a := save(t, st, newDraft("first"))
		started, release := make(chan struct{}), make(chan struct{})
		r := &Runner{Store: st, Builder: builderFunc(func(ctx context.Context, code, rt string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
			close(started)
			<-release
			return pinning(ctx, code, rt, deps)
		})}
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background(), JobArgs{ActionID: a.ID, Revision: a.Revision}) }()
		<-started
		if got := get(t, st, a.ID); got.Status != keyhook.ActionBuilding {
			t.Fatalf("status %s during the build, want building", got.Status)
		}
		edited := save(t, st, &keyhook.Action{ID: a.ID, Code: "second"})
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := get(t, st, a.ID)
		if got.Status != keyhook.ActionPending || got.Bundle != "" || got.Code != "second" {
			t.Fatalf("the stale build wrote its result: %+v", got)
		}
		// The newer revision's job builds the newer code.
		if err := (&Runner{Store: st, Builder: pinning}).Run(t.Context(), JobArgs{ActionID: a.ID, Revision: edited.Revision}); err != nil {
			t.Fatal(err)
		}
		if got := get(t, st, a.ID); got.Status != keyhook.ActionBuilt || got.Bundle != "bundle:second" {
			t.Fatalf("newer revision: %+v", got)
		}
		// Its job run again (River delivers at least once) changes nothing.
		before := get(t, st, a.ID)
		if err := (&Runner{Store: st, Builder: pinning}).Run(t.Context(), JobArgs{ActionID: a.ID, Revision: edited.Revision}); err != nil {
			t.Fatal(err)
		}
		if after := get(t, st, a.ID); after.UpdatedAt != before.UpdatedAt || after.Status != keyhook.ActionBuilt {
			t.Fatalf("a repeated job rewrote the draft: %+v", after)
		}
	})

	t.Run("deploy when built", func(t *testing.T) {
		a := newDraft("deploy me")
		a.DeployWhenBuilt = true
		save(t, st, a)
		if err := (&Runner{Store: st, Builder: pinning}).Run(t.Context(), JobArgs{ActionID: a.ID, Revision: a.Revision}); err != nil {
			t.Fatal(err)
		}
		got := get(t, st, a.ID)
		if got.DeployedVersion != 1 || got.DeployWhenBuilt || !got.AllChangesDeployed {
			t.Fatalf("deploy:true draft after its build: %+v", got)
		}
		v, err := st.ActionVersionGet(t.Context(), a.ID, got.DeployedVersionID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Bundle != "bundle:deploy me" || v.Dependencies[0].Version != "1.2.3" {
			t.Fatalf("deployed version %+v", v)
		}
	})

	t.Run("interrupted", func(t *testing.T) {
		a := save(t, st, newDraft("slow"))
		ctx, cancel := context.WithCancel(t.Context())
		r := &Runner{Store: st, Builder: builderFunc(func(ctx context.Context, _, _ string, _ []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
			cancel()
			return "", "", nil, ctx.Err()
		})}
		if err := r.Run(ctx, JobArgs{ActionID: a.ID, Revision: a.Revision}); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted build: %v, want it returned for a retry", err)
		}
		if got := get(t, st, a.ID); got.Status != keyhook.ActionBuilding || got.BuildError != "" {
			t.Fatalf("interrupted build left %+v", got)
		}
		// The retry builds it.
		if err := (&Runner{Store: st, Builder: pinning}).Run(t.Context(), JobArgs{ActionID: a.ID, Revision: a.Revision}); err != nil {
			t.Fatal(err)
		}
		if got := get(t, st, a.ID); got.Status != keyhook.ActionBuilt {
			t.Fatalf("retried build: %s", got.Status)
		}
	})

	t.Run("deleted action", func(t *testing.T) {
		a := save(t, st, newDraft("gone"))
		if err := st.ActionDelete(t.Context(), a.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := (&Runner{Store: st, Builder: pinning}).Run(t.Context(), JobArgs{ActionID: a.ID, Revision: a.Revision}); err != nil {
			t.Fatalf("job of a deleted action: %v, want it done", err)
		}
	})
}
