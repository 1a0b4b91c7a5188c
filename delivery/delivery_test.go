package delivery

import (
	"context"
	"path/filepath"
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

// TestHookWorkerRunsCommittedJobs: a post-change-password job committed with
// the change is worked after commit; the hook's failure becomes an fcph log
// entry and the job still completes (the outcome never affects the request).
func TestHookWorkerRunsCommittedJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "k.db"), Sealer: box, Workers: workers, JobPollInterval: 20 * time.Millisecond})
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
		Script: `module.exports = function (user, context, cb) { console.log('for', user.email); cb(new Error('mailer down for ' + user.id)); };`}); err != nil {
		t.Fatal(err)
	}
	if err := st.JobsStart(ctx); err != nil {
		t.Fatal(err)
	}
	conn := &keyhook.Connection{ID: "con_1", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	u := &keyhook.User{ID: "auth0|abc", Email: "a@b.test"}
	if err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return engine.EnqueuePostChangePassword(ctx, tx, trigger.PostChangePassword{User: u, Connection: conn})
	}); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		logs, _, err := st.LogList(ctx, store.LogListParams{Type: keyhook.LogFailedPostChangePasswordHook})
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) == 1 {
			if logs[0].Description != "mailer down for abc" || logs[0].UserID != u.ID {
				t.Fatalf("log = %+v", logs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the post-change-password job was not worked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		jobs, err := st.JobList(ctx, store.JobListParams{Kind: trigger.HookJobArgs{}.Kind()})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 && jobs[0].State == store.JobStateCompleted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs = %+v, want one completed", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
