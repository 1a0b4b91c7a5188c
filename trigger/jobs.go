package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
)

// HookJobArgs is the background job of a non-blocking hook: the trigger and
// the exact arguments (before cb, without context.webtask) the hook is to be
// called with. The hook itself is looked up when the job runs, so a hook
// disabled in between does not run.
type HookJobArgs struct {
	Trigger keyhook.TriggerID `json:"trigger"`
	Args    []json.RawMessage `json:"args"`
	// Log describes the operation for the failure log entry.
	UserID     string `json:"user_id,omitempty"`
	UserName   string `json:"user_name,omitempty"`
	Connection string `json:"connection,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
}

// Kind names the job for River.
func (HookJobArgs) Kind() string { return "keyhook.hook" }

func enqueueHook(ctx context.Context, tx store.Tx, job HookJobArgs, args ...any) error {
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("trigger %s: encode job: %w", job.Trigger, err)
		}
		job.Args = append(job.Args, b)
	}
	if err := tx.JobInsert(ctx, job); err != nil {
		return fmt.Errorf("trigger %s: enqueue: %w", job.Trigger, err)
	}
	return nil
}

// HostError is a non-blocking hook job that did not reach an outcome of
// the hook's own because of the host: the runtime was closed, the job's
// context ended (shutdown, the queue's own timeout), or the database failed
// while loading the hook or writing its failure's log entry. It is not the
// hook's failure: nothing is logged, and the queue is to retry the job.
type HostError struct {
	Trigger keyhook.TriggerID
	Err     error
}

func (e *HostError) Error() string { return fmt.Sprintf("trigger %s: %v", e.Trigger, e.Err) }

func (e *HostError) Unwrap() error { return e.Err }

// JobArgsError is a hook job whose arguments cannot be decoded: no retry
// can succeed.
type JobArgsError struct {
	Trigger keyhook.TriggerID
	Err     error
}

func (e *JobArgsError) Error() string {
	return fmt.Sprintf("trigger %s: decode job: %v", e.Trigger, e.Err)
}

func (e *JobArgsError) Unwrap() error { return e.Err }

// RunHookJob runs a non-blocking hook job. Its outcome never affects the
// operation that enqueued it. It returns nil when the hook ran to its own
// outcome: success, or a failure (it threw, timed out, called back with an
// error) recorded in the trigger's failure log entry (fpurh, fcph). It
// returns a *HostError when the host kept the hook from an outcome of its
// own, and a *JobArgsError for a job that can never run.
func (e *Engine) RunHookJob(ctx context.Context, job HookJobArgs) error {
	if len(job.Args) == 0 {
		return &JobArgsError{Trigger: job.Trigger, Err: errors.New("no arguments")}
	}
	args := make([]any, len(job.Args))
	for i, raw := range job.Args {
		if err := json.Unmarshal(raw, &args[i]); err != nil {
			return &JobArgsError{Trigger: job.Trigger, Err: err}
		}
	}
	h, secrets, err := e.enabledHook(ctx, job.Trigger, nil)
	if err != nil {
		return &HostError{Trigger: job.Trigger, Err: err}
	}
	if h == nil {
		return nil
	}
	// The last argument is the hook's context object; secrets join it only
	// now so they never sit in the queue table.
	if c, ok := args[len(args)-1].(map[string]any); ok {
		c["webtask"] = webtaskContext(secrets)
	}
	res, exec := e.runHook(ctx, h, args, e.NonBlockingTimeout())
	if err := hostFailure(ctx, res); err != nil {
		return &HostError{Trigger: job.Trigger, Err: err}
	}
	if res.Err == nil {
		return nil
	}
	entry := &keyhook.LogEntry{
		Type:       failureLogType(job.Trigger),
		Date:       time.Now().UTC(),
		UserID:     job.UserID,
		UserName:   job.UserName,
		Connection: job.Connection,
		ClientID:   job.ClientID,
	}
	entry.Description = res.Err.Message
	tenantlog.WithExecutions(entry, []keyhook.HookExecution{exec})
	if err := tenantlog.WriteOutsideTx(ctx, e.Logs, e.Store, entry); err != nil {
		return &HostError{Trigger: job.Trigger, Err: err}
	}
	return nil
}

// hostFailure returns why a non-blocking hook run that ended with res did
// not reach an outcome of the hook's own, or nil when res is the hook's.
// ctx is the job's: when it has ended, a failure is the interruption
// (shutdown, or the queue's timeout, which is longer than the hook's own),
// not the hook. A success stands even when ctx ended just after it.
func hostFailure(ctx context.Context, res jsrt.HookResult) error {
	if res.Err == nil {
		return nil
	}
	if res.HostErr != nil {
		return res.HostErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hook interrupted: %w", err)
	}
	return nil
}

func failureLogType(t keyhook.TriggerID) string {
	switch t {
	case keyhook.TriggerPostUserRegistration:
		return keyhook.LogFailedPostUserRegistrationHook
	case keyhook.TriggerPostChangePassword:
		return keyhook.LogFailedPostChangePasswordHook
	}
	return "f" + string(t)
}
