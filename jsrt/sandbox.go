package jsrt

import (
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
)

// sandbox is one goja runtime built for one program: host APIs, prelude,
// and the script's module, initialised once when the runtime is built. It
// then serves up to Options.MaxUses executions of that program, one at a
// time, each calling the module's exported handler with fresh arguments.
// What the module keeps in its own scope, in globals or on builtins stays
// from one execution to the next, as in a warm Node process; what an
// execution starts on the event loop does not.
type sandbox struct {
	e       *Engine
	p       *program
	vm      *goja.Runtime
	loop    *eventLoop
	console *consoleBuffer
	host    *hostState
	// module is the CommonJS module object; fn is a hook's exported
	// function, taken once the module is initialised.
	module *goja.Object
	fn     goja.Callable
	// g is the guard of the current phase (build, then each execution);
	// wrapped builtins poll it so native loops that call back into them
	// stop once a limit fires.
	g *guard

	errorCtor      *goja.Object
	rangeErrorCtor *goja.Object
	typeErrorCtor  *goja.Object
	promiseThen    goja.Callable
	origStringify  goja.Callable // the native JSON.stringify, before capping

	uses int
	// weight is the runtime's estimated size (pool.go).
	weight int64
	// idleEl is the runtime's place in Engine.idle while it is idle.
	idleEl    *list.Element
	idleSince time.Time
	// broken marks a runtime that hit an internal error; it is discarded.
	broken bool
	// hostTouched is set by host.js when an execution used per-execution
	// host state (console counters) that finish must clear.
	hostTouched bool

	// act is the action execution in progress; apiProtos the namespace
	// prototypes of the runtime's api objects, built on first use.
	act       *actionRun
	apiProtos []apiProto

	rejections []*goja.Promise
	// stacks holds the stack of each error made from a thrown Error.
	stacks map[*keyhook.ExecutionError]string

	// Outcome of the execution: the first of cb, throw or rejection wins.
	settled    bool
	resultJSON string
	hasResult  bool
	xerr       *keyhook.ExecutionError
}

// build creates a runtime for p and initialises the script's module in it:
// runtime, host, prelude, the module body, and for a hook the check that
// it exports a function. A module that throws or fails to load is the
// error of the execution that pays for the build. What the module body
// starts on the event loop stays on it for the first execution to drive.
func (e *Engine) build(g *guard, p *program) (sb *sandbox, xerr *keyhook.ExecutionError) {
	e.builds.Add(1)
	reserved := e.reserve(p)
	before := heapAllocs()
	vm := goja.New()
	g.attach(vm)
	sb = &sandbox{e: e, p: p, vm: vm, g: g, console: newConsoleBuffer(e.opts.ConsoleLimit)}
	sb.loop = newEventLoop(sb)
	defer func() {
		if r := recover(); r != nil {
			xerr = &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error while loading the script: %v", r)}
		}
		fired := g.detach()
		if xerr == nil && fired {
			xerr = g.failure("")
		}
		if xerr != nil {
			sb.loop.shutdown()
			e.settleWeight(p, reserved, 0, false)
			return
		}
		share := max(e.active.Load(), 1)
		sb.weight = max(int64(heapAllocs()-before)/share, minRuntimeWeight)
		e.settleWeight(p, reserved, sb.weight, true)
	}()
	vm.SetMaxCallStackSize(maxCallStackSize)
	vm.SetPromiseRejectionTracker(sb.trackRejection)

	if err := sb.installHost(); err != nil {
		return sb, sb.errorFrom(g, err)
	}
	if p.spec.Convention == ConventionHook {
		prelude := e.preludes[p.spec.Trigger]
		if prelude == nil {
			prelude = e.preludes[""]
		}
		if _, err := vm.RunProgram(prelude); err != nil {
			return sb, sb.errorFrom(g, err)
		}
	}
	wrapper, err := vm.RunProgram(p.prog)
	if err != nil {
		return sb, sb.errorFrom(g, err)
	}
	wrapperFn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return sb, &keyhook.ExecutionError{Name: "Error", Message: "internal error: module wrapper is not a function"}
	}
	name := p.spec.Convention.fileName()
	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	_ = module.Set("id", ".")
	_ = module.Set("filename", "/"+name)
	_ = module.Set("loaded", false)
	if _, err := wrapperFn(exports, exports, sb.host.require, module, vm.ToValue("/"+name), vm.ToValue("/")); err != nil {
		return sb, sb.errorFrom(g, err)
	}
	_ = module.Set("loaded", true)
	if xerr := sb.unhandledRejection(); xerr != nil {
		return sb, xerr
	}
	sb.module = module
	if p.spec.Convention == ConventionHook {
		fn, ok := goja.AssertFunction(module.Get("exports"))
		if !ok {
			return sb, &keyhook.ExecutionError{Name: "Error", Message: "Script does not export a function"}
		}
		sb.fn = fn
	}
	return sb, nil
}

// begin resets the per-execution state before an execution. The first
// execution keeps the loop, console and host context of the build, which
// hold what the module body started.
func (sb *sandbox) begin(g *guard) {
	if sb.uses > 0 {
		sb.console.reset()
		sb.loop = newEventLoop(sb)
		sb.host.begin()
	}
	sb.uses++
	sb.g = g
	sb.settled, sb.hasResult, sb.resultJSON, sb.xerr = false, false, "", nil
	sb.rejections = nil
	sb.stacks = nil
	g.attach(sb.vm)
}

// finish ends an execution: it detaches the guard and reports whether the
// runtime may serve another execution. It does not after a timeout,
// cancellation or limit (the runtime may hold a pending interrupt or be
// half way through something), an internal error, or MaxUses executions.
func (sb *sandbox) finish(g *guard) bool {
	fired := g.detach()
	if fired || sb.broken || sb.uses >= sb.e.opts.MaxUses {
		return false
	}
	if sb.hostTouched {
		if _, err := sb.host.reset(goja.Undefined()); err != nil {
			return false
		}
		sb.hostTouched = false
	}
	return true
}

// runHook calls the hook's exported function with args and cb and drives
// the loop until the outcome is known.
func (sb *sandbox) runHook(g *guard, args []any) (res HookResult) {
	vm := sb.vm
	sb.begin(g)
	defer func() {
		if r := recover(); r != nil {
			sb.broken = true
			res = HookResult{Err: &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error while running the script: %v", r)}}
		}
		sb.loop.shutdown()
		res.Logs = sb.console.String()
	}()

	jsArgs := make([]goja.Value, 0, len(args)+1)
	for _, a := range args {
		jsArgs = append(jsArgs, toJS(vm, a))
	}
	called := 0
	cb := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		called++
		if called > 1 {
			// A second call is a bug in the script even if the first
			// outcome was already taken; it replaces that outcome.
			sb.settled = true
			sb.hasResult = false
			sb.xerr = &keyhook.ExecutionError{Name: "Error", Message: "callback was called more than once"}
			return goja.Undefined()
		}
		if sb.settled {
			return goja.Undefined()
		}
		errArg := call.Argument(0)
		if errArg.ToBoolean() {
			sb.settle(sb.errorFromValue(errArg))
			return goja.Undefined()
		}
		s, xerr := sb.exportJSON(call.Argument(1))
		if xerr != nil {
			sb.settle(xerr)
			return goja.Undefined()
		}
		sb.settled = true
		sb.resultJSON, sb.hasResult = s, s != ""
		return goja.Undefined()
	})
	jsArgs = append(jsArgs, cb)

	ret, err := sb.fn(goja.Undefined(), jsArgs...)
	if err != nil {
		sb.settle(sb.errorFrom(g, err))
	} else if obj, ok := ret.(*goja.Object); ok {
		if _, isPromise := obj.Export().(*goja.Promise); isPromise {
			onRejected := vm.ToValue(func(call goja.FunctionCall) goja.Value {
				sb.settle(sb.errorFromValue(call.Argument(0)))
				return goja.Undefined()
			})
			if _, err := sb.promiseThen(obj, goja.Undefined(), onRejected); err != nil {
				sb.settle(sb.errorFrom(g, err))
			}
		}
	}
	if xerr := sb.unhandledRejection(); xerr != nil {
		sb.settle(xerr)
	}
	if !sb.settled {
		if err := sb.loop.run(g); err != nil {
			sb.settle(sb.errorFrom(g, err))
		}
	}
	if hit := g.failure(""); hit != nil && !sb.settled {
		sb.settle(hit)
	}

	switch {
	case sb.xerr != nil:
		return HookResult{Err: sb.xerr}
	case !sb.settled:
		return HookResult{Err: &keyhook.ExecutionError{Name: ErrNameTimeout,
			Message: "Script execution did not complete: the callback was never called and no work is pending"}}
	case !sb.hasResult:
		return HookResult{}
	}
	var v any
	if err := json.Unmarshal([]byte(sb.resultJSON), &v); err != nil {
		return HookResult{Err: &keyhook.ExecutionError{Name: "Error", Message: "result is not valid JSON: " + err.Error()}}
	}
	return HookResult{Value: v}
}

// checkInterrupt throws once the current guard has fired; the VM's own
// interrupt takes over as soon as control returns to JS.
func (sb *sandbox) checkInterrupt() {
	select {
	case <-sb.g.done:
		panic(sb.throwRange("Script execution was interrupted"))
	default:
	}
}

func (sb *sandbox) settle(xerr *keyhook.ExecutionError) {
	if sb.settled {
		return
	}
	sb.settled = true
	sb.xerr = xerr
}

func (sb *sandbox) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		sb.rejections = append(sb.rejections, p)
	case goja.PromiseRejectionHandle:
		for i, q := range sb.rejections {
			if q == p {
				sb.rejections = append(sb.rejections[:i], sb.rejections[i+1:]...)
				break
			}
		}
	}
}

// unhandledRejection reports a rejection still unhandled once the microtask
// queue has drained, as Node does.
func (sb *sandbox) unhandledRejection() *keyhook.ExecutionError {
	if len(sb.rejections) == 0 {
		return nil
	}
	p := sb.rejections[0]
	sb.rejections = nil
	xerr := sb.errorFromValue(p.Result())
	if sb.settled {
		sb.console.add("error", "Unhandled promise rejection after the execution completed: "+xerr.Name+": "+xerr.Message)
		return nil
	}
	return xerr
}

// stackOf is the stack of the Error xerr was made from, or "".
func (sb *sandbox) stackOf(xerr *keyhook.ExecutionError) string {
	if sb == nil {
		return ""
	}
	return sb.stacks[xerr]
}

// errorFrom turns an error returned by goja into the script's error.
func (sb *sandbox) errorFrom(g *guard, err error) *keyhook.ExecutionError {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if x, ok := ie.Value().(*keyhook.ExecutionError); ok {
			out := *x
			return &out
		}
		if hit := g.failure(""); hit != nil {
			return hit
		}
		return &keyhook.ExecutionError{Name: ErrNameTimeout, Message: "Script execution was interrupted"}
	}
	if hit := g.failure(""); hit != nil {
		return hit
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return sb.errorFromValue(ex.Value())
	}
	var se *goja.StackOverflowError
	if errors.As(err, &se) {
		return &keyhook.ExecutionError{Name: "RangeError", Message: "Maximum call stack size exceeded"}
	}
	return &keyhook.ExecutionError{Name: "Error", Message: err.Error()}
}

// errorFromValue follows the Auth0 adapter: an Error keeps its own name,
// message and friendlyMessage; anything else becomes an Error whose message
// is value.message or String(value).
func (sb *sandbox) errorFromValue(v goja.Value) (out *keyhook.ExecutionError) {
	defer func() {
		if r := recover(); r != nil {
			out = &keyhook.ExecutionError{Name: "Error", Message: "Unknown error"}
		}
	}()
	obj, isObj := v.(*goja.Object)
	if isObj && sb.vm.InstanceOf(v, sb.errorCtor) {
		out = &keyhook.ExecutionError{Name: "Error"}
		if n := obj.Get("name"); n != nil && !goja.IsUndefined(n) && !goja.IsNull(n) {
			out.Name = n.String()
		}
		if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) && !goja.IsNull(m) {
			out.Message = m.String()
		}
		if f := obj.Get("friendlyMessage"); f != nil && !goja.IsUndefined(f) && !goja.IsNull(f) {
			out.FriendlyMessage = f.String()
		}
		if st := obj.Get("stack"); st != nil && !goja.IsUndefined(st) && !goja.IsNull(st) {
			if sb.stacks == nil {
				sb.stacks = make(map[*keyhook.ExecutionError]string)
			}
			sb.stacks[out] = st.String()
		}
		return out
	}
	out = &keyhook.ExecutionError{Name: "Error"}
	if isObj {
		if m := obj.Get("message"); m != nil && m.ToBoolean() {
			out.Message = m.String()
			return out
		}
	}
	if v == nil {
		v = goja.Undefined()
	}
	out.Message = v.String()
	if out.Message == "" {
		out.Message = "Unknown error"
	}
	return out
}

// exportJSON serialises v with JSON.stringify semantics within the result
// limit; "" means undefined.
func (sb *sandbox) exportJSON(v goja.Value) (string, *keyhook.ExecutionError) {
	tooLarge := &keyhook.ExecutionError{Name: ErrNameLimit, Message: fmt.Sprintf(
		"Script result exceeds the %s limit", humanBytes(int64(sb.e.opts.ResultLimit)))}
	out, err := sb.boundedStringify(v, goja.Undefined(), goja.Undefined(), int64(sb.e.opts.ResultLimit))
	if errors.Is(err, errJSONTooLarge) {
		return "", tooLarge
	}
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			x := sb.errorFromValue(ex.Value())
			if x.Name == "RangeError" && strings.Contains(x.Message, "JSON output") {
				return "", tooLarge
			}
			return "", x
		}
		return "", &keyhook.ExecutionError{Name: "Error", Message: err.Error()}
	}
	if goja.IsUndefined(out) {
		return "", nil
	}
	s := out.String()
	if len(s) > sb.e.opts.ResultLimit {
		return "", tooLarge
	}
	return s, nil
}
