package trigger

import (
	"context"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// PostUserRegistration is a user that has just been stored.
type PostUserRegistration struct {
	User            *keyhook.User
	Connection      *keyhook.Connection
	RequestLanguage string
	ClientID        string
}

// EnqueuePostUserRegistration records, in the transaction that stores the
// user, the job that will run the post-user-registration hook after commit.
func (e *Engine) EnqueuePostUserRegistration(ctx context.Context, tx store.Tx, in PostUserRegistration) error {
	user, hookCtx := postUserRegistrationArgs(e.Tenant, in)
	return enqueueHook(ctx, tx, HookJobArgs{
		Trigger:    keyhook.TriggerPostUserRegistration,
		UserID:     in.User.ID,
		UserName:   in.User.LogName(),
		Connection: in.Connection.Name,
		ClientID:   in.ClientID,
	}, user, hookCtx)
}

func postUserRegistrationArgs(tenant string, in PostUserRegistration) (map[string]any, map[string]any) {
	u := in.User
	user := map[string]any{
		"id":                  u.BareID(),
		"tenant":              tenant,
		"emailVerified":       u.EmailVerified,
		"phoneNumberVerified": u.PhoneVerified,
		"user_metadata":       deepCopy(metadataOrEmpty(u.UserMetadata)),
		"app_metadata":        deepCopy(metadataOrEmpty(u.AppMetadata)),
	}
	setIf(user, "username", u.Username)
	setIf(user, "email", u.Email)
	setIf(user, "phoneNumber", u.PhoneNumber)
	lang := in.RequestLanguage
	if lang == "" {
		lang = "en-us"
	}
	return user, map[string]any{"requestLanguage": lang, "connection": connectionArg(tenant, in.Connection)}
}
