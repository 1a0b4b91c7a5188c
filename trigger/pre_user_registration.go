package trigger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/keyhook/keyhook"
)

// PreUserRegistration is a signup about to store User. Password is the
// plaintext the user chose (hooks see it, as in Auth0).
type PreUserRegistration struct {
	User            *keyhook.User
	Password        string
	Connection      *keyhook.Connection
	RequestLanguage string
	IP              string
	// Client is the application signing up, when known.
	Client    *keyhook.Client
	UserAgent string
	Hostname  string
}

// PreUserRegistrationResult carries the metadata the chain asked to set; nil
// maps mean unchanged.
type PreUserRegistrationResult struct {
	UserMetadata map[string]any
	AppMetadata  map[string]any
	Executions   []keyhook.HookExecution
	// Actions is nil when no action ran.
	Actions *Actions
}

// PreUserRegistration runs the pre-user-registration chain: the legacy
// hook, then the bound actions, each seeing the metadata the earlier steps
// set.
func (e *Engine) PreUserRegistration(ctx context.Context, in PreUserRegistration) (out PreUserRegistrationResult, err error) {
	f, err := e.loadFlow(ctx, keyhook.TriggerPreUserRegistration, nil)
	if err != nil || f.empty() {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.chainTimeout())
	defer cancel()
	r := newRun(keyhook.TriggerPreUserRegistration)
	defer func() {
		out.Executions = r.hooks
		out.Actions = r.actions(e.save(ctx, r))
	}()
	if f.hook != nil {
		user, hookCtx := preUserRegistrationArgs(e.Tenant, in, f.hookSecrets)
		res := e.hookStep(ctx, r, f.hook, []any{user, hookCtx}, e.stepTimeout())
		if res.Err != nil {
			return out, registrationDeny(keyhook.TriggerPreUserRegistration, res.Err)
		}
		um, am, err := applyPreUserRegistration(res.Value)
		if err != nil {
			xerr := &keyhook.ExecutionError{Name: "Error", Message: err.Error()}
			r.hooks[len(r.hooks)-1].Error = xerr
			r.exec.Steps[len(r.exec.Steps)-1].Error = xerr
			return out, &DenyError{Trigger: keyhook.TriggerPreUserRegistration, Code: "extensibility_error",
				Message: err.Error(), FriendlyMessage: err.Error(), Failure: true}
		}
		out.UserMetadata, out.AppMetadata = um, am
	}
	var umPatch, amPatch map[string]any
	for i := range f.actions {
		um := mergeMetadata(in.User.UserMetadata, nil)
		if out.UserMetadata != nil {
			um = mergeMetadata(out.UserMetadata, nil)
		}
		am := mergeMetadata(in.User.AppMetadata, nil)
		if out.AppMetadata != nil {
			am = mergeMetadata(out.AppMetadata, nil)
		}
		event := map[string]any{
			"user":       preRegistrationUserEvent(in.User, mergeMetadata(um, umPatch), mergeMetadata(am, amPatch)),
			"connection": connectionEvent(in.Connection),
			"request":    Request{IP: in.IP, Method: "POST", Hostname: in.Hostname, UserAgent: in.UserAgent, Language: in.RequestLanguage}.event(),
			"tenant":     map[string]any{"id": e.Tenant},
		}
		if in.Client != nil {
			event["client"] = clientEvent(in.Client)
		}
		res := e.actionStep(ctx, r, &f.actions[i], event, e.stepTimeout())
		for _, c := range res.Commands {
			switch c.Method {
			case "api.access.deny":
				reason, userMessage := argString(c, 0), argString(c, 1)
				if userMessage == "" {
					userMessage = reason
				}
				return out, &DenyError{Trigger: keyhook.TriggerPreUserRegistration, Code: "extensibility_error",
					Message: reason, FriendlyMessage: userMessage, UserMessage: userMessage}
			case "api.validation.error":
				msg := argString(c, 1)
				return out, &DenyError{Trigger: keyhook.TriggerPreUserRegistration, Code: "extensibility_error",
					Message: argString(c, 0) + ": " + msg, FriendlyMessage: msg, UserMessage: msg}
			case "api.user.setUserMetadata":
				umPatch = setMetadata(umPatch, c)
			case "api.user.setAppMetadata":
				amPatch = setMetadata(amPatch, c)
			}
		}
		if res.Error != nil {
			d := stepFailure(keyhook.TriggerPreUserRegistration, "extensibility_error", res.Error)
			d.FriendlyMessage = "Signup failed: an action of the pre-user-registration flow failed"
			return out, d
		}
	}
	if umPatch != nil {
		base := in.User.UserMetadata
		if out.UserMetadata != nil {
			base = out.UserMetadata
		}
		out.UserMetadata = mergeMetadata(base, umPatch)
	}
	if amPatch != nil {
		base := in.User.AppMetadata
		if out.AppMetadata != nil {
			base = out.AppMetadata
		}
		out.AppMetadata = mergeMetadata(base, amPatch)
	}
	for _, m := range []map[string]any{out.UserMetadata, out.AppMetadata} {
		if m == nil {
			continue
		}
		if err := checkMetadataNames(m); err != nil {
			return out, &DenyError{Trigger: keyhook.TriggerPreUserRegistration, Code: "extensibility_error",
				Message: err.Error(), FriendlyMessage: err.Error(), Failure: true}
		}
		if err := checkText(m); err != nil {
			return out, &DenyError{Trigger: keyhook.TriggerPreUserRegistration, Code: "extensibility_error",
				Message: err.Error(), FriendlyMessage: err.Error(), Failure: true}
		}
	}
	return out, nil
}

// preRegistrationUserEvent is event.user of pre-user-registration: the
// user about to be stored, without an id yet.
func preRegistrationUserEvent(u *keyhook.User, um, am map[string]any) map[string]any {
	m := map[string]any{"user_metadata": um, "app_metadata": am}
	setIf(m, "email", u.Email)
	setIf(m, "username", u.Username)
	setIf(m, "phone_number", u.PhoneNumber)
	setIf(m, "name", u.Name)
	setIf(m, "nickname", u.Nickname)
	setIf(m, "given_name", u.GivenName)
	setIf(m, "family_name", u.FamilyName)
	setIf(m, "picture", u.Picture)
	return m
}

// connectionEvent is event.connection.
func connectionEvent(c *keyhook.Connection) map[string]any {
	if c == nil {
		return map[string]any{}
	}
	return map[string]any{"id": c.ID, "name": c.Name, "strategy": c.Strategy, "metadata": map[string]any{}}
}

func preUserRegistrationArgs(tenant string, in PreUserRegistration, secrets map[string]string) (map[string]any, map[string]any) {
	u := in.User
	user := map[string]any{
		"tenant":              tenant,
		"emailVerified":       u.EmailVerified,
		"phoneNumberVerified": u.PhoneVerified,
		"user_metadata":       deepCopy(metadataOrEmpty(u.UserMetadata)),
		"app_metadata":        deepCopy(metadataOrEmpty(u.AppMetadata)),
	}
	setIf(user, "id", u.BareID())
	setIf(user, "username", u.Username)
	setIf(user, "password", in.Password)
	setIf(user, "email", u.Email)
	setIf(user, "phoneNumber", u.PhoneNumber)
	lang := in.RequestLanguage
	if lang == "" {
		lang = "en-us"
	}
	ctx := map[string]any{
		"requestLanguage": lang,
		"renderLanguage":  lang,
		"request":         map[string]any{"ip": in.IP, "language": lang},
		"connection":      connectionArg(tenant, in.Connection),
		"webtask":         webtaskContext(secrets),
	}
	return user, ctx
}

func connectionArg(tenant string, c *keyhook.Connection) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "tenant": tenant}
}

// applyPreUserRegistration reads {user: {user_metadata, app_metadata}}; other
// properties are ignored, as in Auth0.
func applyPreUserRegistration(v any) (um, am map[string]any, err error) {
	obj, _ := v.(map[string]any)
	user, _ := obj["user"].(map[string]any)
	if user == nil {
		return nil, nil, nil
	}
	if m, ok := user["user_metadata"].(map[string]any); ok {
		if err := checkMetadataNames(m); err != nil {
			return nil, nil, fmt.Errorf("user_metadata: %w", err)
		}
		if err := checkText(m); err != nil {
			return nil, nil, fmt.Errorf("user_metadata: %w", err)
		}
		um = m
	}
	if m, ok := user["app_metadata"].(map[string]any); ok {
		if err := checkMetadataNames(m); err != nil {
			return nil, nil, fmt.Errorf("app_metadata: %w", err)
		}
		if err := checkText(m); err != nil {
			return nil, nil, fmt.Errorf("app_metadata: %w", err)
		}
		am = m
	}
	return um, am, nil
}

// checkMetadataNames applies Auth0's rule: property names must not start
// with "$" nor contain ".", at any depth.
func checkMetadataNames(m map[string]any) error {
	for k, v := range m {
		if strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
			return fmt.Errorf("metadata property name %q must not start with $ or contain a dot", k)
		}
		if sub, ok := v.(map[string]any); ok {
			if err := checkMetadataNames(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// registrationDeny maps a registration hook's error: PreUserRegistrationError
// is a deliberate denial whose friendlyMessage the user sees; any other
// error blocks the signup without surfacing its text.
func registrationDeny(t keyhook.TriggerID, err *keyhook.ExecutionError) *DenyError {
	d := &DenyError{Trigger: t, Code: "extensibility_error", Message: err.Message}
	if err.Name == "PreUserRegistrationError" {
		d.FriendlyMessage = err.FriendlyMessage
		if d.FriendlyMessage == "" {
			d.FriendlyMessage = err.Message
		}
		return d
	}
	d.Failure = true
	d.FriendlyMessage = "The signup could not be completed (an extensibility hook failed)."
	return d
}

// deepCopy copies JSON-shaped values so a hook's view never aliases stored
// state.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	default:
		return v
	}
}

// checkText refuses what a script may put in a string but the stores may
// not hold: a NUL character (PostgreSQL refuses it in text and jsonb) and
// invalid UTF-8 (a lone surrogate of a JavaScript string), in any value or
// property name at any depth. Requests are checked at the HTTP boundary;
// this is the same rule for what hooks hand back.
func checkText(v any) error {
	switch x := v.(type) {
	case string:
		return checkString(x)
	case map[string]any:
		for k, val := range x {
			if err := checkString(k); err != nil {
				return fmt.Errorf("property name: %w", err)
			}
			if err := checkText(val); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	case []any:
		for _, val := range x {
			if err := checkText(val); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkString(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("a string is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("a string contains a NUL character")
	}
	return nil
}
