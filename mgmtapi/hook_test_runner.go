package mgmtapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/keyhook/keyhook/trigger"
)

// testHook is keyhook's extension POST /api/v2/hooks/{id}/test: it runs the
// saved hook once with its secrets against the body's payload (or the
// extensibility point's sample) and persists nothing. It takes create:hooks,
// like Auth0's POST /actions/actions/{id}/test.
func (h *Handler) testHook(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	var payload map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		o, err := parseObject(b, []string{"payload"})
		if err != nil {
			return err
		}
		if o.has("payload") && !o.isNull("payload") {
			if _, err := field(o, "payload", &payload); err != nil {
				return err
			}
		}
	}
	// Plain reads: a test run writes nothing, so it takes no write
	// transaction (on SQLite that would queue every token request behind it).
	ctx := r.Context()
	hook, err := h.Store.HookGet(ctx, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errHookNotFound)
	}
	secrets, err := h.Store.HookSecretsGet(ctx, hook.ID)
	if err != nil {
		return fmt.Errorf("get hook secrets: %w", notFoundAs(err, errHookNotFound))
	}
	if h.Triggers == nil {
		return newError(http.StatusNotImplemented, "", "The hook test runner is not configured")
	}
	res, err := h.Triggers.TestHook(r.Context(), hook, secrets, payload)
	if errors.Is(err, trigger.ErrTestPayload) {
		return badBody("%s", err.Error())
	}
	if err != nil {
		return fmt.Errorf("test hook: %w", err)
	}
	var execErr any
	if res.Error != nil {
		execErr = map[string]any{
			"name":            res.Error.Name,
			"message":         res.Error.Message,
			"friendlyMessage": res.Error.FriendlyMessage,
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"payload": map[string]any{
			"response": res.Response,
			"logs":     res.Logs,
			"stats":    map[string]any{"duration_ms": res.Duration},
			"error":    execErr,
		},
	})
	return nil
}
