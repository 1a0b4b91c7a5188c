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
	// Auth0API is set when the audience is an API of keyhook's own (the
	// Management API): actions cannot set claims without a namespace there.
	Auth0API bool
	Request  Request
}

// Request is what actions see of the HTTP request behind an operation
// (event.request).
type Request struct {
	IP        string
	Method    string
	Hostname  string
	UserAgent string
	Language  string
}

func (r Request) event() map[string]any {
	m := map[string]any{"ip": r.IP, "method": r.Method, "geoip": map[string]any{}}
	setIf(m, "hostname", r.Hostname)
	setIf(m, "user_agent", r.UserAgent)
	setIf(m, "language", r.Language)
	return m
}

// CredentialsExchangeResult is what the chain decided.
type CredentialsExchangeResult struct {
	Scope      []string
	Claims     map[string]any
	Executions []keyhook.HookExecution
	// Actions is nil when no action ran.
	Actions *Actions
}

// CredentialsExchange runs the credentials-exchange chain: the legacy
// hook, then the bound actions, each seeing the scopes and claims the
// earlier steps left. A denial or a failing step returns a *DenyError
// along with the executions so far.
func (e *Engine) CredentialsExchange(ctx context.Context, in CredentialsExchange) (out CredentialsExchangeResult, err error) {
	out.Scope = in.Scope
	f, err := e.loadFlow(ctx, keyhook.TriggerCredentialsExchange, in.Config)
	if err != nil || f.empty() {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.chainTimeout())
	defer cancel()
	r := newRun(keyhook.TriggerCredentialsExchange)
	defer func() {
		out.Executions = r.hooks
		out.Actions = r.actions(e.save(ctx, r))
	}()
	if f.hook != nil {
		res := e.hookStep(ctx, r, f.hook, credentialsExchangeArgs(e.Tenant, in, f.hookSecrets), e.stepTimeout())
		if res.Err != nil {
			return out, credentialsExchangeDeny(res.Err)
		}
		out.Scope, out.Claims = applyCredentialsExchange(in.Scope, res.Value)
	}
	for i := range f.actions {
		claims := map[string]any{}
		for k, v := range out.Claims {
			claims[k] = deepCopy(v)
		}
		event := map[string]any{
			"accessToken":     map[string]any{"scope": anyList(out.Scope), "customClaims": claims},
			"client":          clientEvent(in.Client),
			"resource_server": map[string]any{"identifier": in.Audience},
			"request":         in.Request.event(),
			"tenant":          map[string]any{"id": e.Tenant},
			"transaction":     map[string]any{"requested_scopes": anyList(in.Scope)},
		}
		res := e.actionStep(ctx, r, &f.actions[i], event, e.stepTimeout())
		for _, c := range res.Commands {
			switch c.Method {
			case "api.access.deny":
				code := argString(c, 0)
				if code != "invalid_scope" && code != "invalid_request" && code != "server_error" {
					code = "server_error"
				}
				reason := argString(c, 1)
				return out, &DenyError{Trigger: keyhook.TriggerCredentialsExchange, Code: code, Message: reason, FriendlyMessage: reason}
			case "api.accessToken.setCustomClaim":
				if name := argString(c, 0); actionClaimAllowed(name, in.Auth0API) {
					if out.Claims == nil {
						out.Claims = map[string]any{}
					}
					out.Claims[name] = arg(c, 1)
				}
			case "api.transaction.addTargetScope":
				if s := argString(c, 0); slices.Contains(in.Scope, s) {
					out.Scope = addScope(out.Scope, s)
				}
			case "api.transaction.removeTargetScope":
				out.Scope = removeScope(out.Scope, argString(c, 0))
			case "api.transaction.setTargetScopes":
				var scope []string
				for _, s := range stringsOf(arg(c, 0)) {
					if slices.Contains(in.Scope, s) {
						scope = addScope(scope, s)
					}
				}
				out.Scope = scope
			case "api.transaction.clearTargetScopes":
				out.Scope = nil
			}
		}
		if res.Error != nil {
			return out, stepFailure(keyhook.TriggerCredentialsExchange, "server_error", res.Error)
		}
	}
	return out, nil
}

// clientEvent is event.client.
func clientEvent(c *keyhook.Client) map[string]any {
	meta := map[string]any{}
	for k, v := range c.ClientMetadata {
		meta[k] = v
	}
	return map[string]any{"client_id": c.ClientID, "name": c.Name, "metadata": meta}
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
