package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
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

// RunHookJob runs a non-blocking hook job. Its outcome never affects the
// operation that enqueued it; a failure writes the trigger's failure log
// entry (fpurh, fcph). It returns an error only when the failure could not
// be recorded, so the queue retries the job.
func (e *Engine) RunHookJob(ctx context.Context, job HookJobArgs) error {
	h, secrets, err := e.enabledHook(ctx, job.Trigger, nil)
	if err != nil {
		return err
	}
	if h == nil {
		return nil
	}
	args := make([]any, len(job.Args))
	for i, raw := range job.Args {
		if err := json.Unmarshal(raw, &args[i]); err != nil {
			return fmt.Errorf("trigger %s: decode job: %w", job.Trigger, err)
		}
	}
	// The last argument is the hook's context object; secrets join it only
	// now so they never sit in the queue table.
	if c, ok := args[len(args)-1].(map[string]any); ok {
		c["webtask"] = webtaskContext(secrets)
	}
	res, exec := e.runHook(ctx, h, args, e.asyncTimeout())
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
	return tenantlog.Write(ctx, e.Store, entry)
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
