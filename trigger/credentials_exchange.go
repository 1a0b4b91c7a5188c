package trigger

import (
	"context"
	"slices"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/jsrt"
)

// CredentialsExchange is the input of the credentials-exchange trigger: a
// client_credentials token about to be signed.
type CredentialsExchange struct {
	Client   *keyhook.Client
	Audience string
	// Scope is what the client grant allows for this request.
	Scope []string
	// Config, when set, is the request's configuration view (nil: the
	// engine takes one).
	Config *configcache.View
}

// CredentialsExchangeResult is what the chain decided.
type CredentialsExchangeResult struct {
	Scope      []string
	Claims     map[string]any
	Executions []keyhook.HookExecution
}

// CredentialsExchange runs the credentials-exchange chain. A denial or a
// failing step returns a *DenyError along with the executions so far.
func (e *Engine) CredentialsExchange(ctx context.Context, in CredentialsExchange) (CredentialsExchangeResult, error) {
	out := CredentialsExchangeResult{Scope: in.Scope}
	h, secrets, err := e.enabledHook(ctx, keyhook.TriggerCredentialsExchange, in.Config)
	if err != nil || h == nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.chainTimeout())
	defer cancel()
	res, exec := e.runHook(ctx, h, credentialsExchangeArgs(e.Tenant, in, secrets), e.stepTimeout())
	out.Executions = append(out.Executions, exec)
	if res.Err != nil {
		return out, credentialsExchangeDeny(res.Err)
	}
	out.Scope, out.Claims = applyCredentialsExchange(in.Scope, res.Value)
	return out, nil
}

func credentialsExchangeArgs(tenant string, in CredentialsExchange, secrets map[string]string) []any {
	meta := map[string]any{}
	for k, v := range in.Client.ClientMetadata {
		meta[k] = v
	}
	client := map[string]any{
		"id":       in.Client.ClientID,
		"name":     in.Client.Name,
		"tenant":   tenant,
		"metadata": meta,
	}
	var scope any = jsrt.Undefined{} // as Auth0 sends when the grant has no scopes
	if len(in.Scope) > 0 {
		s := make([]any, len(in.Scope))
		for i, v := range in.Scope {
			s[i] = v
		}
		scope = s
	}
	context := map[string]any{"webtask": webtaskContext(secrets)}
	return []any{client, scope, in.Audience, context}
}

// applyCredentialsExchange turns a hook's result into the token's scopes and
// custom claims. A result without "scope" resets the scopes (Auth0: the
// starter code's access_token.scope = scope keeps them); non-namespaced keys
// are ignored. An undefined result keeps the granted scopes. Scope values
// holding NUL or invalid UTF-8 are dropped: no client could ask for them and
// the tenant log could not store them.
func applyCredentialsExchange(granted []string, v any) ([]string, map[string]any) {
	obj, ok := v.(map[string]any)
	if !ok {
		return granted, nil
	}
	var scope []string
	switch s := obj["scope"].(type) {
	case []any:
		for _, x := range s {
			if str, ok := x.(string); ok && str != "" && checkString(str) == nil && !slices.Contains(scope, str) {
				scope = append(scope, str)
			}
		}
	case string:
		for _, str := range strings.Fields(s) {
			if checkString(str) == nil && !slices.Contains(scope, str) {
				scope = append(scope, str)
			}
		}
	}
	var claims map[string]any
	for k, val := range obj {
		if k == "scope" || !Namespaced(k) {
			continue
		}
		if claims == nil {
			claims = map[string]any{}
		}
		claims[k] = val
	}
	return scope, claims
}

func credentialsExchangeDeny(err *keyhook.ExecutionError) *DenyError {
	d := &DenyError{Trigger: keyhook.TriggerCredentialsExchange, Message: err.Message, FriendlyMessage: err.Message}
	switch err.Name {
	case "InvalidScopeError":
		d.Code = "invalid_scope"
	case "InvalidRequestError":
		d.Code = "invalid_request"
	case "ServerError":
		d.Code = "server_error"
	default:
		d.Code = "server_error"
		d.Failure = true
	}
	return d
}
