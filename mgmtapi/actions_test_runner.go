package mgmtapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/trigger"
)

// The Actions test runner, POST /api/v2/actions/actions/{id}/test: it runs
// the action's draft once, deployed or not, and answers what the run did.
//
// The body is {payload, phase?}. A payload whose only property is "event"
// holds the event (what Auth0's API clients send); any other payload is the
// event itself (the dashboard's sample). The event is the trigger's sample
// (trigger.SampleActionEvent) with the payload merged over it, objects
// property by property and anything else replaced, so a test names only
// what it cares about; event.secrets is the draft's secrets with the
// payload's on top. phase "continue" calls onContinuePostLogin instead of
// onExecutePostLogin (a keyhook extension; Auth0's dashboard has no way to
// test it).
//
// A draft still pending or building is waited for, up to
// Handler.ActionTestBuildWait (30 s by default), reading the store every
// 100 ms; a failed build, or one not done by then, answers 400.
//
// The run is real where it reaches out (fetch goes through the engine's
// guarded client) and persists nothing: api.* calls are only recorded and
// shown as commands (no metadata write), api.cache is a cache of this run
// only, and no execution or tenant log entry is written. The draft runs in
// its own slot ("action:<id>:draft"), so a test never shares warm runtimes
// or module state with the deployed version. It runs under the engine's
// per-step time limit (--hook-timeout).

// defaultActionTestBuildWait bounds the wait for a draft's build: Auth0's
// builds take seconds; a draft not built by then is most likely stuck
// (no build worker running), and the caller can test again later.
const defaultActionTestBuildWait = 30 * time.Second

// actionTestPoll is how often a waiting test reads the draft's status.
const actionTestPoll = 100 * time.Millisecond

// actionTestPhases are the values of phase: which handler runs.
const (
	phaseExecute  = "execute"
	phaseContinue = "continue"
)

// actionTestCommand is one api.* call as the runner shows it.
type actionTestCommand struct {
	Method string `json:"method"`
	Args   []any  `json:"args"`
}

// actionTestError is how the run failed, as Auth0's runner shows it.
type actionTestError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Stack   string `json:"stack"`
}

type actionTestResult struct {
	Commands []actionTestCommand `json:"commands"`
	Logs     string              `json:"logs"`
	Stats    map[string]float64  `json:"stats"`
	Error    *actionTestError    `json:"error"`
}

// parseActionTestBody reads {payload, phase?} into the event the payload
// gives and whether onContinuePostLogin is asked for.
func parseActionTestBody(b []byte) (map[string]any, bool, error) {
	o, err := parseObject(b, []string{"payload", "phase"})
	if err != nil {
		return nil, false, err
	}
	if !o.has("payload") {
		return nil, false, missing("payload")
	}
	var payload map[string]any
	if _, err := field(o, "payload", &payload); err != nil {
		return nil, false, err
	}
	phase := phaseExecute
	if _, err := field(o, "phase", &phase); err != nil {
		return nil, false, err
	}
	if phase != phaseExecute && phase != phaseContinue {
		return nil, false, payloadError("'No enum match for: \"%s\"' on property phase (Allowed values: %s, %s)", phase, phaseExecute, phaseContinue)
	}
	event, where := payload, "payload"
	if inner, ok := payload["event"]; ok && len(payload) == 1 {
		m, ok := inner.(map[string]any)
		if !ok {
			return nil, false, payloadError("'Expected type object but found type %s' on property payload.event", valueKind(inner))
		}
		event, where = m, "payload.event"
	}
	if s, ok := event["secrets"]; ok {
		if _, ok := s.(map[string]any); !ok {
			return nil, false, payloadError("'Expected type object but found type %s' on property %s.secrets", valueKind(s), where)
		}
	}
	return event, phase == phaseContinue, nil
}

// valueKind names the JSON type of a decoded JSON value.
func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}

// mergeEvent merges src over dst, in place: objects property by property,
// anything else (arrays and null included) replaced by src's.
func mergeEvent(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeEvent(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// builtDraft returns the action once its draft is built, waiting for a
// pending or building draft up to the handler's bound.
func (h *Handler) builtDraft(ctx context.Context, id string) (*keyhook.Action, error) {
	wait := h.ActionTestBuildWait
	if wait <= 0 {
		wait = defaultActionTestBuildWait
	}
	deadline := time.Now().Add(wait)
	for {
		// A plain read: the run writes nothing, so it takes no write
		// transaction.
		a, err := h.Store.ActionGet(ctx, id)
		if err != nil {
			return nil, notFoundAs(err, errActionNotFound)
		}
		switch a.Status {
		case keyhook.ActionBuilt:
			return a, nil
		case keyhook.ActionFailed:
			return nil, newError(http.StatusBadRequest, "",
				"A draft must be in the 'built' state before it can be tested; its build failed: %s", a.BuildError)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, newError(http.StatusBadRequest, "",
				"A draft must be in the 'built' state before it can be tested; it is still %s after %s.", a.Status, wait)
		}
		t := time.NewTimer(min(actionTestPoll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for the build of action %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// testEvent is the event a test of action a runs with: the trigger's
// sample on this server, the draft's secrets, and the payload's event over
// them.
func (h *Handler) testEvent(a *keyhook.Action, t keyhook.TriggerID, payload map[string]any) map[string]any {
	ev := trigger.SampleActionEvent(t, h.Tenant)
	if u, err := url.Parse(h.Issuer); err == nil && u.Hostname() != "" {
		if req, ok := ev["request"].(map[string]any); ok {
			req["hostname"] = u.Hostname()
		}
	}
	secrets := make(map[string]any, len(a.Secrets))
	for _, s := range a.Secrets {
		secrets[s.Name] = s.Value
	}
	ev["secrets"] = secrets
	return mergeEvent(ev, payload)
}

func (h *Handler) testAction(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	payload, cont, err := parseActionTestBody(b)
	if err != nil {
		return err
	}
	if h.JS == nil {
		return newError(http.StatusNotImplemented, "", "The action test runner is not configured")
	}
	ctx := r.Context()
	a, err := h.builtDraft(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if len(a.SupportedTriggers) == 0 {
		return fmt.Errorf("action %s supports no trigger", a.ID)
	}
	t := a.SupportedTriggers[0].ID
	if cont && t != keyhook.TriggerPostLogin {
		return payloadError("'phase %q runs onContinuePostLogin, which only post-login actions have' on property phase", phaseContinue)
	}
	res := h.JS.RunAction(ctx, jsrt.ActionCall{
		Script:   a.Bundle,
		Trigger:  t,
		Continue: cont,
		Event:    h.testEvent(a, t, payload),
		Cache:    jsrt.NewActionCache(),
		Issuer:   h.Issuer,
		Slot:     "action:" + a.ID + ":draft",
	})
	if res.HostErr != nil {
		return fmt.Errorf("test action %s: %w", a.ID, res.HostErr)
	}
	out := actionTestResult{Commands: make([]actionTestCommand, 0, len(res.Commands)), Logs: res.Logs}
	for _, c := range res.Commands {
		args := c.Args
		if args == nil {
			args = []any{}
		}
		out.Commands = append(out.Commands, actionTestCommand{Method: c.Method, Args: args})
	}
	if res.Error != nil {
		out.Error = &actionTestError{Name: res.Error.Name, Message: res.Error.Message, Stack: res.Error.Stack}
	}
	// Auth0's stat names, those keyhook measures: the request, the engine
	// call, and the call split into building a runtime (boot) and the rest
	// (the handler, plus compiling the script on a draft's first run).
	out.Stats = map[string]float64{
		"total_request_duration_ms":           milliseconds(time.Since(start)),
		"total_runtime_execution_duration_ms": milliseconds(res.Duration),
		"boot_duration_ms":                    milliseconds(res.BootDuration),
		"action_duration_ms":                  milliseconds(res.Duration - res.BootDuration),
	}
	writeJSON(w, http.StatusOK, map[string]any{"payload": out})
	return nil
}

// milliseconds is d in milliseconds to the microsecond: a warm action runs
// in well under one.
func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
