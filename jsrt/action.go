package jsrt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
)

// ActionCall is one execution of an Action's handler.
type ActionCall struct {
	// Script is the action's built code (a CommonJS bundle).
	Script  string
	Trigger keyhook.TriggerID
	// Continue calls onContinuePostLogin (the post-login redirect's
	// return) instead of onExecutePostLogin.
	Continue bool
	// Event is the event object as JSON-shaped Go values (map[string]any,
	// []any, string, float64, bool, nil, Undefined). It is copied into
	// native JS objects; the script cannot change the caller's copy.
	Event map[string]any
	// Cache backs api.cache: the caller keeps one per action and trigger.
	// Nil gives an empty cache that lives for this execution only.
	Cache *ActionCache
	// Issuer is the iss claim of the tokens api.redirect.encodeToken makes
	// (the tenant's issuer URL).
	Issuer string
	// Timeout bounds this execution; 0 means Options.DefaultTimeout.
	Timeout time.Duration
	// Slot names the action and version ("action:<id>:<version>"); see
	// Spec.Slot.
	Slot string
}

// Command is one api.* call, in the order the action made it. Args are the
// call's arguments as JSON-shaped Go values, copied (JSON.stringify
// semantics: undefined becomes nil, functions are dropped); secrets given
// to api.redirect.encodeToken and validateToken are replaced by
// "[redacted]".
type Command struct {
	Method string `json:"method"`
	Args   []any  `json:"args"`
}

// ActionError is how an action failed: what it threw or rejected with,
// or a runtime limit (ErrNameTimeout, ErrNameLimit).
type ActionError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Stack   string `json:"stack,omitempty"`
}

func (e *ActionError) Error() string { return e.Name + ": " + e.Message }

// ActionResult is what an action execution produced.
type ActionResult struct {
	// Commands are the api.* calls made, also when the action then failed.
	Commands []Command
	// Logs is the captured console output, bounded.
	Logs string
	// Error is non-nil when the handler threw, rejected, timed out, hit a
	// limit, or could not be loaded or found.
	Error *ActionError
	// HostErr is non-nil when the action did not run because of the host,
	// not the script: ErrClosed when the engine is closed. Error then
	// describes the same failure.
	HostErr error
	// Duration is the whole call; BootDuration the part spent building a
	// runtime and initialising the module, when this call paid for it.
	Duration     time.Duration
	BootDuration time.Duration
}

// handlerName is the export an action's trigger calls.
func handlerName(t keyhook.TriggerID, cont bool) (string, bool) {
	switch t {
	case keyhook.TriggerPostLogin:
		if cont {
			return "onContinuePostLogin", true
		}
		return "onExecutePostLogin", true
	case keyhook.TriggerCredentialsExchange:
		return "onExecuteCredentialsExchange", !cont
	case keyhook.TriggerPreUserRegistration:
		return "onExecutePreUserRegistration", !cont
	case keyhook.TriggerPostUserRegistration:
		return "onExecutePostUserRegistration", !cont
	case keyhook.TriggerPostChangePassword:
		return "onExecutePostChangePassword", !cont
	case keyhook.TriggerSendPhoneMessage:
		return "onExecuteSendPhoneMessage", !cont
	}
	return "", false
}

// RunAction runs an action's handler for call.Trigger. It never panics
// and never returns a Go error: every failure is in ActionResult.Error.
func (e *Engine) RunAction(ctx context.Context, call ActionCall) (res ActionResult) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			e.logger.ErrorContext(ctx, "jsrt: panic while running action", "panic", r)
			res.Error = &ActionError{Name: "Error", Message: fmt.Sprintf("internal error in the script runtime: %v", r)}
		}
		res.Duration = time.Since(start)
	}()
	handler, ok := handlerName(call.Trigger, call.Continue)
	if !ok {
		return ActionResult{Error: &ActionError{Name: "Error", Message: fmt.Sprintf("actions cannot run for trigger %q", call.Trigger)}}
	}

	timeout := call.Timeout
	if timeout <= 0 {
		timeout = e.opts.DefaultTimeout
	}
	g := e.newGuard(ctx, timeout)
	defer g.finish()

	select {
	case e.sem <- struct{}{}:
	case <-g.done:
		xerr := g.failure("waiting for a free execution slot")
		return ActionResult{Error: &ActionError{Name: xerr.Name, Message: xerr.Message}}
	}
	defer func() { <-e.sem }()

	p, err := e.program(Spec{Convention: ConventionAction, Trigger: call.Trigger, Script: call.Script, Slot: call.Slot})
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return ActionResult{Error: &ActionError{Name: "SyntaxError", Message: se.Error()}}
		}
		out := ActionResult{Error: &ActionError{Name: "Error", Message: err.Error()}}
		if errors.Is(err, ErrClosed) {
			out.HostErr = err
		}
		return out
	}
	sb, boot, xerr := e.take(g, p)
	if xerr != nil {
		out := ActionResult{BootDuration: boot, Error: &ActionError{Name: xerr.Name, Message: xerr.Message, Stack: sb.stackOf(xerr)}}
		if sb != nil {
			out.Logs = sb.console.String()
		}
		return out
	}
	res = sb.runAction(g, handler, call)
	res.BootDuration = boot
	e.release(p, sb, sb.finish(g))
	return res
}

// runAction calls the module's export handler with a fresh event and api
// and drives the loop until the promise it returns settles.
func (sb *sandbox) runAction(g *guard, handler string, call ActionCall) (res ActionResult) {
	vm := sb.vm
	sb.begin(g)
	cache := call.Cache
	if cache == nil {
		cache = NewActionCache()
	}
	sb.act = &actionRun{cache: cache, issuer: call.Issuer}
	defer func() {
		if r := recover(); r != nil {
			sb.broken = true
			sb.settled = false
			sb.xerr = &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error while running the script: %v", r)}
		}
		sb.loop.shutdown()
		res.Commands = sb.act.commands
		res.Logs = sb.console.String()
		if sb.xerr != nil {
			res.Error = &ActionError{Name: sb.xerr.Name, Message: sb.xerr.Message, Stack: sb.stackOf(sb.xerr)}
		}
		sb.act = nil
	}()

	var fn goja.Callable
	if exports, ok := sb.module.Get("exports").(*goja.Object); ok {
		fn, _ = goja.AssertFunction(exports.Get(handler))
	}
	if fn == nil {
		sb.settle(&keyhook.ExecutionError{Name: "TypeError", Message: "The action does not export a function " + handler})
		return res
	}
	event := vm.NewObject()
	if call.Event != nil {
		event = toJS(vm, call.Event).(*goja.Object)
	}
	sb.act.event = event
	api := sb.newAPI()

	ret, err := fn(goja.Undefined(), event, api)
	returned := false // a value that is not a promise: done once the microtasks ran
	if err != nil {
		sb.settle(sb.errorFrom(g, err))
	} else if obj, ok := ret.(*goja.Object); ok {
		if _, isPromise := obj.Export().(*goja.Promise); isPromise {
			onFulfilled := vm.ToValue(func(goja.FunctionCall) goja.Value {
				sb.settle(nil)
				return goja.Undefined()
			})
			onRejected := vm.ToValue(func(c goja.FunctionCall) goja.Value {
				sb.settle(sb.errorFromValue(c.Argument(0)))
				return goja.Undefined()
			})
			if _, err := sb.promiseThen(obj, onFulfilled, onRejected); err != nil {
				sb.settle(sb.errorFrom(g, err))
			}
		} else {
			returned = true
		}
	} else {
		returned = true
	}
	if xerr := sb.unhandledRejection(); xerr != nil {
		sb.settle(xerr)
	}
	if returned {
		sb.settle(nil)
	}
	if !sb.settled {
		if err := sb.loop.run(g); err != nil {
			sb.settle(sb.errorFrom(g, err))
		}
	}
	if hit := g.failure(""); hit != nil && !sb.settled {
		sb.settle(hit)
	}
	if !sb.settled {
		sb.settle(&keyhook.ExecutionError{Name: ErrNameTimeout,
			Message: "Action did not complete: the promise " + handler + " returned never settled and no work is pending"})
	}
	return res
}
