package trigger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite"
)

func TestHostFailure(t *testing.T) {
	t.Parallel()
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	expired, cancel2 := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel2()
	hookErr := &keyhook.ExecutionError{Name: "Error", Message: "slack is down"}
	timeout := &keyhook.ExecutionError{Name: jsrt.ErrNameTimeout, Message: "Script execution was cancelled"}
	closed := &keyhook.ExecutionError{Name: "Error", Message: jsrt.ErrClosed.Error()}

	tests := []struct {
		name string
		ctx  context.Context
		res  jsrt.HookResult
		want error // nil: the outcome is the hook's own
	}{
		{"success", live, jsrt.HookResult{}, nil},
		{"success as the job is cancelled", cancelled, jsrt.HookResult{}, nil},
		{"hook fails", live, jsrt.HookResult{Err: hookErr}, nil},
		{"hook times out on its own", live, jsrt.HookResult{Err: &keyhook.ExecutionError{Name: jsrt.ErrNameTimeout, Message: "Script execution did not complete within 60 seconds"}}, nil},
		{"shutdown cancels the run", cancelled, jsrt.HookResult{Err: timeout}, context.Canceled},
		{"queue's timeout ends the run", expired, jsrt.HookResult{Err: timeout}, context.DeadlineExceeded},
		{"hook fails as the job is cancelled", cancelled, jsrt.HookResult{Err: hookErr}, context.Canceled},
		{"runtime closed", live, jsrt.HookResult{Err: closed, HostErr: jsrt.ErrClosed}, jsrt.ErrClosed},
	}
	for _, tt := range tests {
		got := hostFailure(tt.ctx, tt.res)
		if tt.want == nil {
			if got != nil {
				t.Errorf("%s: hostFailure = %v, want nil (the hook's own outcome)", tt.name, got)
			}
			continue
		}
		if !errors.Is(got, tt.want) {
			t.Errorf("%s: hostFailure = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// jobBundle is one engine over a real SQLite file, for RunHookJob.
type jobBundle struct {
	testBundle
	path string
	js   *jsrt.Engine
}

// setupJob enables script (unless empty) at post-user-registration, with
// asyncTimeout as the hook's bound.
func setupJob(t *testing.T, script string, asyncTimeout time.Duration) *jobBundle {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keyhook.db")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	js := jsrt.New(jsrt.Options{})
	t.Cleanup(js.Close)
	b := &jobBundle{
		testBundle: testBundle{store: st, engine: &Engine{Store: st, JS: js, Tenant: "my-tenant", AsyncTimeout: asyncTimeout}},
		path:       path,
		js:         js,
	}
	if script != "" {
		b.hook(t, keyhook.TriggerPostUserRegistration, script, nil)
	}
	return b
}

func postUserRegistrationJob(t *testing.T) HookJobArgs {
	t.Helper()
	u := &keyhook.User{ID: "auth0|abc", Email: "a@b.test"}
	conn := &keyhook.Connection{ID: "con_1", Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0"}
	user, hookCtx := postUserRegistrationArgs("my-tenant", PostUserRegistration{User: u, Connection: conn})
	job := HookJobArgs{Trigger: keyhook.TriggerPostUserRegistration, UserID: u.ID, Connection: conn.Name}
	for _, a := range []any{user, hookCtx} {
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		job.Args = append(job.Args, raw)
	}
	return job
}

// TestRunHookJobOutcomes: a hook's own failure is logged and completes the
// job; a failure of the host (shutdown, the queue's timeout, a closed
// runtime, a database error) is returned as a *HostError for the queue to
// retry, and is not logged as the hook's failure.
func TestRunHookJobOutcomes(t *testing.T) {
	t.Parallel()
	const (
		succeeds = `module.exports = function (user, context, cb) { cb(null, {id: user.id}); };`
		fails    = `module.exports = function (user, context, cb) { cb(new Error('slack is down for ' + user.id)); };`
		throws   = `module.exports = function (user, context, cb) { throw new TypeError('bad ' + user.email); };`
		// waits outlives every deadline below, including the hook's own.
		waits = `module.exports = function (user, context, cb) { setTimeout(function () { cb(null, user); }, 30000); };`
	)
	cancelSoon := func(t *testing.T, _ *jobBundle) context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		time.AfterFunc(200*time.Millisecond, cancel)
		return ctx
	}
	tests := []struct {
		name    string
		script  string        // the enabled post-user-registration hook; "" for none
		timeout time.Duration // the hook's own; 10 s (ample for a slow machine) if zero
		prepare func(t *testing.T, b *jobBundle) context.Context
		// wantHost is what the *HostError wraps (errors.Is); nil when the
		// run must end in the hook's own outcome.
		wantHost error
		wantLog  string // the fpurh entry's description; "" for none
	}{
		{name: "hook succeeds", script: succeeds},
		{name: "no hook enabled"},
		{name: "hook calls back with an error", script: fails, wantLog: "slack is down for abc"},
		{name: "hook throws", script: throws, wantLog: "bad a@b.test"},
		{name: "hook times out", script: waits, timeout: time.Second, wantLog: "Script execution did not complete within 1 second"},
		{name: "shutdown cancels the run", script: waits, prepare: cancelSoon, wantHost: context.Canceled},
		{name: "queue's timeout ends the run", script: waits, wantHost: context.DeadlineExceeded,
			prepare: func(t *testing.T, _ *jobBundle) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			}},
		{name: "job cancelled before it starts", script: succeeds, wantHost: context.Canceled,
			prepare: func(*testing.T, *jobBundle) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			}},
		{name: "runtime closed", script: fails, wantHost: jsrt.ErrClosed,
			prepare: func(_ *testing.T, b *jobBundle) context.Context {
				b.js.Close()
				return context.Background()
			}},
		{name: "log entry cannot be written", script: fails, wantHost: errLogsBroken,
			prepare: func(t *testing.T, b *jobBundle) context.Context {
				breakLogs(t, b.path)
				return context.Background()
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			b := setupJob(t, tt.script, timeout)
			ctx := context.Background()
			if tt.prepare != nil {
				ctx = tt.prepare(t, b)
			}
			err := b.engine.RunHookJob(ctx, postUserRegistrationJob(t))
			var host *HostError
			switch {
			case tt.wantHost == nil && err != nil:
				t.Fatalf("RunHookJob = %v, want nil", err)
			case tt.wantHost == errLogsBroken:
				if !errors.As(err, &host) || !strings.Contains(err.Error(), errLogsBroken.Error()) {
					t.Fatalf("RunHookJob = %v, want a *HostError for the failed log write", err)
				}
			case tt.wantHost != nil:
				if !errors.As(err, &host) || !errors.Is(err, tt.wantHost) {
					t.Fatalf("RunHookJob = %v, want a *HostError wrapping %v", err, tt.wantHost)
				}
			}
			if host != nil && host.Trigger != keyhook.TriggerPostUserRegistration {
				t.Errorf("HostError.Trigger = %q", host.Trigger)
			}
			if tt.wantHost == errLogsBroken {
				return // the logs table cannot be read either
			}
			logs, _, err := b.store.LogList(context.Background(), store.LogListParams{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantLog == "" {
				if len(logs) != 0 {
					t.Fatalf("logs = %+v, want none", logs)
				}
				return
			}
			if len(logs) != 1 || logs[0].Type != keyhook.LogFailedPostUserRegistrationHook ||
				!strings.HasPrefix(logs[0].Description, tt.wantLog) || logs[0].UserID != "auth0|abc" {
				t.Fatalf("logs = %+v, want one fpurh entry %q", logs, tt.wantLog)
			}
		})
	}
}

// errLogsBroken is the database error breakLogs makes every log write fail
// with.
var errLogsBroken = errors.New("disk I/O error (test)")

// breakLogs makes the database refuse every new tenant log entry, as a
// failing disk would, through a second connection to the same file.
func breakLogs(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER break_logs BEFORE INSERT ON logs BEGIN SELECT RAISE(ABORT, '` + errLogsBroken.Error() + `'); END`); err != nil {
		t.Fatal(err)
	}
}

// TestRunHookJobBadArgs: a job whose arguments cannot be decoded is a
// *JobArgsError (never retried), not a host failure.
func TestRunHookJobBadArgs(t *testing.T) {
	t.Parallel()
	b := setupJob(t, `module.exports = function (user, context, cb) { cb(); };`, 10*time.Second)
	for name, args := range map[string][]json.RawMessage{
		"no arguments":    nil,
		"not JSON":        {json.RawMessage(`{"id":`)},
		"second not JSON": {json.RawMessage(`{}`), json.RawMessage(`nope`)},
	} {
		err := b.engine.RunHookJob(context.Background(), HookJobArgs{Trigger: keyhook.TriggerPostUserRegistration, Args: args})
		var bad *JobArgsError
		var host *HostError
		if !errors.As(err, &bad) || errors.As(err, &host) {
			t.Errorf("%s: RunHookJob = %v, want a *JobArgsError", name, err)
		}
	}
}
