package trigger

import (
	"context"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
)

// PostLogin is a login about to be answered with tokens: the user has
// authenticated; the chain may add claims, change the access token's
// scopes, set metadata, deny, ask for MFA or redirect (the last two are
// recorded: the browser flow that acts on them comes later).
type PostLogin struct {
	User       *keyhook.User
	Client     *keyhook.Client
	Connection *keyhook.Connection
	// Protocol is event.transaction.protocol (oauth2-password for the
	// password grants, as Auth0 names the resource owner password flow).
	Protocol string
	// Audience is the API the access token is for ("" for /userinfo only).
	Audience string
	// Auth0API is set when Audience is keyhook's own Management API:
	// claims without a namespace are refused there.
	Auth0API bool
	// Scope is the access token's scopes before the chain.
	Scope []string
	// RequestedScopes are the scopes the client asked for.
	RequestedScopes []string
	Request         Request
	// Config, when set, is the request's configuration view.
	Config *configcache.View
}

// PostLoginResult is what the chain decided.
type PostLoginResult struct {
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	// Scope is the access token's scopes after the chain.
	Scope []string
	// User is the user after the chain's metadata changes were stored (the
	// input's user when there were none).
	User *keyhook.User
	// Multifactor lists api.multifactor.enable's providers, Redirect
	// api.redirect.sendUserTo's URL: recorded only until the browser flow
	// acts on them.
	Multifactor []string
	Redirect    string
	// Actions is nil when no action ran.
	Actions *Actions
}

// PostLogin runs the post-login chain (bound actions; legacy hooks have no
// post-login point). A denial or a failing step returns a *DenyError; the
// caller answers access_denied. Metadata changes are stored once, after the
// whole chain allowed the login.
func (e *Engine) PostLogin(ctx context.Context, in PostLogin) (out PostLoginResult, err error) {
	out.Scope, out.User = in.Scope, in.User
	f, err := e.loadFlow(ctx, keyhook.TriggerPostLogin, in.Config)
	if err != nil || len(f.actions) == 0 {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.chainTimeout())
	defer cancel()
	r := newRun(keyhook.TriggerPostLogin)
	defer func() { out.Actions = r.actions(e.save(ctx, r)) }()

	var umPatch, amPatch map[string]any
	for i := range f.actions {
		event := e.postLoginEvent(in, mergeMetadata(in.User.UserMetadata, umPatch), mergeMetadata(in.User.AppMetadata, amPatch))
		res := e.actionStep(ctx, r, &f.actions[i], event, e.stepTimeout())
		for _, c := range res.Commands {
			switch c.Method {
			case "api.access.deny":
				reason := argString(c, 0)
				return out, &DenyError{Trigger: keyhook.TriggerPostLogin, Code: "access_denied", Message: reason,
					FriendlyMessage: reason, UserMessage: reason}
			case "api.idToken.setCustomClaim":
				if name := argString(c, 0); actionClaimAllowed(name, false) {
					out.IDTokenClaims = setClaim(out.IDTokenClaims, name, arg(c, 1))
				}
			case "api.accessToken.setCustomClaim":
				if name := argString(c, 0); actionClaimAllowed(name, in.Auth0API) {
					out.AccessTokenClaims = setClaim(out.AccessTokenClaims, name, arg(c, 1))
				}
			case "api.accessToken.addScope":
				out.Scope = addScope(out.Scope, argString(c, 0))
			case "api.accessToken.removeScope":
				out.Scope = removeScope(out.Scope, argString(c, 0))
			case "api.user.setUserMetadata":
				umPatch = setMetadata(umPatch, c)
			case "api.user.setAppMetadata":
				amPatch = setMetadata(amPatch, c)
			case "api.multifactor.enable":
				out.Multifactor = append(out.Multifactor, argString(c, 0))
			case "api.redirect.sendUserTo":
				out.Redirect = argString(c, 0)
			}
		}
		if res.Error != nil {
			return out, stepFailure(keyhook.TriggerPostLogin, "access_denied", res.Error)
		}
	}
	if umPatch == nil && amPatch == nil {
		return out, nil
	}
	for _, m := range []map[string]any{umPatch, amPatch} {
		if err := checkMetadataNames(m); err != nil {
			return out, &DenyError{Trigger: keyhook.TriggerPostLogin, Code: "access_denied", Message: err.Error(), Failure: true}
		}
		if err := checkText(m); err != nil {
			return out, &DenyError{Trigger: keyhook.TriggerPostLogin, Code: "access_denied", Message: err.Error(), Failure: true}
		}
	}
	// One write for all actions' changes, applied to the stored user under
	// its row lock so concurrent changes to other keys are kept.
	updated, err := e.Store.UserUpdate(context.WithoutCancel(ctx), in.User.ID, func(u *keyhook.User) error {
		if umPatch != nil {
			u.UserMetadata = mergeMetadata(u.UserMetadata, umPatch)
		}
		if amPatch != nil {
			u.AppMetadata = mergeMetadata(u.AppMetadata, amPatch)
		}
		u.UpdatedAt = time.Now().UTC()
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("trigger post-login: store metadata: %w", err)
	}
	out.User = updated
	return out, nil
}

func setClaim(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// postLoginEvent is a post-login action's event (trigger version v3).
func (e *Engine) postLoginEvent(in PostLogin, um, am map[string]any) map[string]any {
	u := in.User
	user := map[string]any{
		"user_id":        u.ID,
		"email_verified": u.EmailVerified,
		"created_at":     formatTime(u.CreatedAt),
		"updated_at":     formatTime(u.UpdatedAt),
		"user_metadata":  um,
		"app_metadata":   am,
		"identities": []any{map[string]any{
			"connection": u.Connection, "provider": u.Provider(), "user_id": u.BareID(), "isSocial": false,
		}},
		"multifactor":     []any{},
		"enrolledFactors": []any{},
	}
	setIf(user, "email", u.Email)
	setIf(user, "username", u.Username)
	setIf(user, "phone_number", u.PhoneNumber)
	if u.PhoneNumber != "" {
		user["phone_verified"] = u.PhoneVerified
	}
	setIf(user, "name", u.Name)
	setIf(user, "nickname", u.Nickname)
	setIf(user, "given_name", u.GivenName)
	setIf(user, "family_name", u.FamilyName)
	setIf(user, "picture", u.Picture)
	if u.LastPasswordReset != nil {
		user["last_password_reset"] = formatTime(*u.LastPasswordReset)
	}
	event := map[string]any{
		"user":       user,
		"client":     clientEvent(in.Client),
		"connection": connectionEvent(in.Connection),
		"request":    in.Request.event(),
		"stats":      map[string]any{"logins_count": float64(u.LoginsCount)},
		"tenant":     map[string]any{"id": e.Tenant},
		"transaction": map[string]any{
			"protocol":         in.Protocol,
			"requested_scopes": anyList(in.RequestedScopes),
			"metadata":         map[string]any{},
		},
		"authentication": map[string]any{
			"methods": []any{map[string]any{"name": "pwd", "timestamp": formatTime(time.Now())}},
		},
		"authorization": map[string]any{"roles": []any{}},
	}
	if in.Audience != "" {
		event["resource_server"] = map[string]any{"identifier": in.Audience}
	}
	return event
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
