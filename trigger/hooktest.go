package trigger

import (
	"context"
	"errors"
	"fmt"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
)

// TestResult is a test-runner run of a saved hook.
type TestResult struct {
	Response any
	Logs     string
	Duration float64 // ms
	Error    *keyhook.ExecutionError
}

// ErrTestPayload is a payload that does not have the shape the hook's
// extensibility point receives.
var ErrTestPayload = errors.New("invalid test payload")

// TestHook runs a saved hook once against payload (the Runner shape of its
// extensibility point; nil uses the point's sample) and persists nothing.
//
// For the non-blocking points, whose result Auth0 ignores, a hook that calls
// back without a result shows the event it was given, as Auth0's Runner
// does for the starter code.
func (e *Engine) TestHook(ctx context.Context, h *keyhook.Hook, secrets map[string]string, payload map[string]any) (TestResult, error) {
	if payload == nil {
		payload = SamplePayload(h.TriggerID)
	}
	args, err := testArgs(h.TriggerID, payload, secrets)
	if err != nil {
		return TestResult{}, err
	}
	res, _ := e.runHook(ctx, h, args, e.stepTimeout())
	out := TestResult{Response: res.Value, Logs: res.Logs, Duration: float64(res.Duration.Microseconds()) / 1000, Error: res.Err}
	if res.Err == nil && res.Value == nil &&
		(h.TriggerID == keyhook.TriggerPostUserRegistration || h.TriggerID == keyhook.TriggerPostChangePassword) {
		out.Response = stripWebtask(payload)
	}
	return out, nil
}

// testArgs validates payload as Auth0's compilers validate the body and
// turns it into the hook's arguments.
func testArgs(t keyhook.TriggerID, p map[string]any, secrets map[string]string) ([]any, error) {
	bad := func(format string, a ...any) ([]any, error) {
		return nil, fmt.Errorf("%w: %s", ErrTestPayload, fmt.Sprintf(format, a...))
	}
	p = deepCopy(p).(map[string]any)
	switch t {
	case keyhook.TriggerCredentialsExchange:
		client, ok := p["client"].(map[string]any)
		if !ok {
			return bad("payload.client must be an object")
		}
		scope, present := p["scope"]
		if present && scope != nil {
			if _, ok := scope.([]any); !ok {
				return bad("payload.scope must be an array when present")
			}
		}
		if !present {
			scope = jsrt.Undefined{}
		}
		audience, ok := p["audience"].(string)
		if !ok {
			return bad("payload.audience must be a string")
		}
		c, _ := p["context"].(map[string]any)
		if c == nil {
			c = map[string]any{}
		}
		c["webtask"] = webtaskContext(secrets)
		return []any{client, scope, audience, c}, nil
	case keyhook.TriggerPreUserRegistration, keyhook.TriggerPostUserRegistration, keyhook.TriggerPostChangePassword:
		user, ok := p["user"].(map[string]any)
		if !ok {
			return bad("payload.user must be an object")
		}
		c, ok := p["context"].(map[string]any)
		if !ok {
			return bad("payload.context must be an object")
		}
		if _, ok := c["connection"].(map[string]any); !ok {
			return bad("payload.context.connection must be an object")
		}
		c["webtask"] = webtaskContext(secrets)
		return []any{user, c}, nil
	case keyhook.TriggerSendPhoneMessage:
		recipient, ok := p["recipient"].(string)
		if !ok {
			return bad("payload.recipient must be a string")
		}
		text, ok := p["text"].(string)
		if !ok {
			return bad("payload.text must be a string")
		}
		c, ok := p["context"].(map[string]any)
		if !ok {
			return bad("payload.context must be an object")
		}
		if mt := c["message_type"]; mt != "sms" && mt != "voice" {
			return bad("payload.context.message_type must be sms or voice")
		}
		if a := c["action"]; a != "enrollment" && a != "second-factor-authentication" {
			return bad("payload.context.action must be enrollment or second-factor-authentication")
		}
		for _, k := range []string{"language", "code", "ip", "user_agent"} {
			if _, ok := c[k].(string); !ok {
				return bad("payload.context.%s must be a string", k)
			}
		}
		if _, ok := c["user"].(map[string]any); !ok {
			return bad("payload.context.user must be an object")
		}
		c["webtask"] = webtaskContext(secrets)
		return []any{recipient, text, c}, nil
	}
	return bad("unknown trigger %q", t)
}

func stripWebtask(p map[string]any) map[string]any {
	out := deepCopy(p).(map[string]any)
	if c, ok := out["context"].(map[string]any); ok {
		delete(c, "webtask")
	}
	return out
}

// SamplePayload is the Runner's sample body of an extensibility point, as
// Auth0's documentation gives it.
func SamplePayload(t keyhook.TriggerID) map[string]any {
	connection := map[string]any{"id": "con_xxxxxxxxxxxxxxxx", "name": "Username-Password-Authentication", "tenant": "my-tenant"}
	switch t {
	case keyhook.TriggerCredentialsExchange:
		return map[string]any{
			"audience": "https://my-tenant.auth0.com/api/v2/",
			"client": map[string]any{
				"id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "client-name", "tenant": "my-tenant",
				"metadata": map[string]any{"plan": "full"},
			},
			"scope": []any{"read:connections"},
		}
	case keyhook.TriggerPreUserRegistration:
		return map[string]any{
			"user": map[string]any{
				"tenant": "my-tenant", "username": "user1", "password": "xxxxxxx", "email": "user1@foo.com",
				"emailVerified": false, "phoneNumber": "1-000-000-0000", "phoneNumberVerified": false,
				"user_metadata": map[string]any{"hobby": "surfing"}, "app_metadata": map[string]any{"plan": "full"},
			},
			"context": map[string]any{"requestLanguage": "en-us", "connection": connection},
		}
	case keyhook.TriggerPostUserRegistration:
		return map[string]any{
			"user": map[string]any{
				"tenant": "my-tenant", "username": "user1", "email": "user1@foo.com",
				"emailVerified": true, "phoneNumber": "1-000-000-0000", "phoneNumberVerified": true,
				"user_metadata": map[string]any{"hobby": "surfing"}, "app_metadata": map[string]any{"plan": "full"},
			},
			"context": map[string]any{"requestLanguage": "en-us", "connection": connection},
		}
	case keyhook.TriggerPostChangePassword:
		return map[string]any{
			"user": map[string]any{
				"id": "abc123", "username": "user1", "email": "user1@foo.com",
				"last_password_reset": "2019-02-27T14:14:29.206Z",
			},
			"context": map[string]any{"connection": connection},
		}
	case keyhook.TriggerSendPhoneMessage:
		return map[string]any{
			"recipient": "1-808-555-5555",
			"text":      "Here is your one time password: 999111",
			"context": map[string]any{
				"message_type": "sms", "action": "enrollment", "language": "en", "code": "123456",
				"ip": "127.0.0.1", "user_agent": "Mozilla/5.0",
				"client": map[string]any{"client_id": "1235", "name": "Test Application", "client_metadata": map[string]any{}},
				"user": map[string]any{
					"user_id": "auth0|test12345", "name": "Billie Magnusson", "email": "billie@email.com",
					"app_metadata": map[string]any{}, "user_metadata": map[string]any{},
				},
			},
		}
	}
	return map[string]any{}
}
