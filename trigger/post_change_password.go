package trigger

import (
	"context"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// PostChangePassword is a password change that has just been stored.
type PostChangePassword struct {
	User       *keyhook.User
	Connection *keyhook.Connection
}

// EnqueuePostChangePassword records, in the transaction that stores the new
// password, the job that will run the post-change-password hook.
func (e *Engine) EnqueuePostChangePassword(ctx context.Context, tx store.Tx, in PostChangePassword) error {
	user, hookCtx := postChangePasswordArgs(e.Tenant, in)
	return enqueueHook(ctx, tx, HookJobArgs{
		Trigger:    keyhook.TriggerPostChangePassword,
		UserID:     in.User.ID,
		UserName:   in.User.LogName(),
		Connection: in.Connection.Name,
	}, user, hookCtx)
}

func postChangePasswordArgs(tenant string, in PostChangePassword) (map[string]any, map[string]any) {
	u := in.User
	user := map[string]any{"id": u.BareID()}
	setIf(user, "username", u.Username)
	setIf(user, "email", u.Email)
	reset := time.Now().UTC()
	if u.LastPasswordReset != nil {
		reset = *u.LastPasswordReset
	}
	user["last_password_reset"] = reset.Format("2006-01-02T15:04:05.000Z")
	return user, map[string]any{"connection": connectionArg(tenant, in.Connection)}
}
