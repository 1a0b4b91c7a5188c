// Package trigger runs the extensibility chain of each trigger: the enabled
// legacy hook, then the bound actions (later: blocking webhooks), with per-step
// and per-chain timeouts, deny handling, and changes applied only when the
// whole chain allows. Non-blocking triggers are enqueued as jobs in the
// caller's transaction and run later by delivery workers.
//
// One file per trigger holds its input, its result and how a step's answer
// applies.
//
// It imports the domain package, store, configcache, jsrt and tenantlog.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/tenantlog"
)

// Engine runs triggers. Its fields are its dependencies; the zero timeouts
// take DESIGN §3's defaults.
type Engine struct {
	Store store.Store
	// Config serves each trigger's enabled hook from memory while the
	// configuration version is unchanged; nil reads the store every time.
	Config *configcache.Cache
	JS     *jsrt.Engine
	// Tenant is the tenant name hooks see (client.tenant, connection.tenant).
	Tenant string
	// StepTimeout bounds one hook (5 s); ChainTimeout one blocking chain (10 s).
	StepTimeout  time.Duration
	ChainTimeout time.Duration
	// AsyncTimeout bounds a non-blocking hook attempt (60 s).
	AsyncTimeout time.Duration
	// Logs stores the failure entries of non-blocking hooks with group
	// commit; nil writes each in a transaction of its own.
	Logs *tenantlog.Writer
	// Issuer is the tenant's issuer URL, the iss of api.redirect.encodeToken.
	Issuer string
	// Logger records what fails outside a step (storing an execution);
	// nil is slog.Default().
	Logger *slog.Logger

	actionCaches
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// DenyError is a chain that refused the operation. Code is the error code
// the API answers with (invalid_scope, invalid_request, server_error,
// extensibility_error); Message goes to the tenant log; FriendlyMessage is
// what the end user may see.
type DenyError struct {
	Trigger         keyhook.TriggerID
	Code            string
	Message         string
	FriendlyMessage string
	// Failure is true when the step failed (threw, timed out, hit a limit)
	// rather than deliberately denied.
	Failure bool
	// UserMessage, when set, is what an API answers the caller with: an
	// action's api.access.deny(reason, userMessage) or
	// api.validation.error(code, message). Message stays the log's.
	UserMessage string
}

func (e *DenyError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Trigger, e.Code, e.Message)
}

// IsDeny reports whether err is a *DenyError and returns it.
func IsDeny(err error) (*DenyError, bool) {
	var d *DenyError
	ok := errors.As(err, &d)
	return d, ok
}

func (e *Engine) stepTimeout() time.Duration {
	if e.StepTimeout > 0 {
		return e.StepTimeout
	}
	return 5 * time.Second
}

func (e *Engine) chainTimeout() time.Duration {
	if e.ChainTimeout > 0 {
		return e.ChainTimeout
	}
	return 10 * time.Second
}

// NonBlockingTimeout bounds one attempt of a non-blocking hook:
// AsyncTimeout, or 60 s.
func (e *Engine) NonBlockingTimeout() time.Duration {
	if e.AsyncTimeout > 0 {
		return e.AsyncTimeout
	}
	return 60 * time.Second
}

// enabledHook returns the enabled hook of a trigger with its secrets, or nil.
// The returned values may be shared with other requests: read only. view is
// the caller's look at the configuration cache when it already has one (the
// token endpoint), so the version is read once per request.
func (e *Engine) enabledHook(ctx context.Context, t keyhook.TriggerID, view *configcache.View) (*keyhook.Hook, map[string]string, error) {
	if view == nil && e.Config != nil {
		var err error
		if view, err = e.Config.View(ctx); err != nil {
			return nil, nil, fmt.Errorf("trigger %s: %w", t, err)
		}
	}
	if view != nil {
		h, secrets, err := view.EnabledHook(ctx, t)
		if err != nil {
			return nil, nil, fmt.Errorf("trigger %s: load hook: %w", t, err)
		}
		return h, secrets, nil
	}
	h, err := e.Store.HookGetEnabled(ctx, t)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("trigger %s: load hook: %w", t, err)
	}
	secrets, err := e.Store.HookSecretsGet(ctx, h.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("trigger %s: load hook secrets: %w", t, err)
	}
	return h, secrets, nil
}

// runHook runs one hook step with the step timeout, bounded by the chain's
// remaining time through ctx, and records its execution.
func (e *Engine) runHook(ctx context.Context, h *keyhook.Hook, args []any, timeout time.Duration) (jsrt.HookResult, keyhook.HookExecution) {
	res := e.JS.RunHook(ctx, jsrt.HookCall{Script: h.Code(), Trigger: h.TriggerID, Args: args, Timeout: timeout, Slot: "hook:" + h.ID})
	exec := keyhook.HookExecution{
		HookID:     h.ID,
		Name:       h.Name,
		TriggerID:  h.TriggerID,
		DurationMS: float64(res.Duration.Microseconds()) / 1000,
		Error:      res.Err,
		Logs:       res.Logs,
	}
	return res, exec
}

// webtaskContext is the context.webtask object legacy hooks read secrets
// from. It carries no request data of ours.
func webtaskContext(secrets map[string]string) map[string]any {
	s := make(map[string]any, len(secrets))
	for k, v := range secrets {
		s[k] = v
	}
	return map[string]any{
		"secrets": s,
		"meta":    map[string]any{},
		"headers": map[string]any{},
		"query":   map[string]any{},
		"params":  map[string]any{},
	}
}

// setIf adds a string field only when it is non-empty, as Auth0 omits
// absent profile fields.
func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func metadataOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
