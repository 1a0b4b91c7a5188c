package jsrt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
)

// sandbox is one goja runtime with its host APIs, prelude and the script's
// module wrapper, built for one program. A reusable program's sandbox
// serves up to Options.MaxUses executions, one at a time; every execution
// re-runs the module wrapper, and isolation.go decides after each one
// whether the runtime may serve another.
type sandbox struct {
	e       *Engine
	p       *program
	vm      *goja.Runtime
	loop    *eventLoop
	console *consoleBuffer
	host    *hostState
	// wrapper is the CommonJS function the script's program evaluates to.
	wrapper goja.Callable
	fn      goja.Callable
	// g is the guard of the current phase (build, then each execution);
	// wrapped builtins poll it so native loops that call back into them
	// stop once a limit fires.
	g *guard

	errorCtor      *goja.Object
	rangeErrorCtor *goja.Object
	typeErrorCtor  *goja.Object
	promiseThen    goja.Callable
	origStringify  goja.Callable // the native JSON.stringify, before capping

	// iso is the isolation baseline; nil for a program that is not reusable.
	iso  *isolation
	uses int
	// eager installs the lazily capped builtins at build time: they change
	// intrinsics when installed, which must happen before the snapshot.
	eager bool
	// tainted marks an execution that did something the snapshot cannot
	// see (indirect eval); the runtime is discarded after it.
	tainted bool
	// hostTouched is set by host.js when an execution built per-execution
	// host state that reset must drop.
	hostTouched bool

	rejections []*goja.Promise

	// Outcome of the execution: the first of cb, throw or rejection wins.
	settled    bool
	resultJSON string
	hasResult  bool
	xerr       *keyhook.ExecutionError
}

// build creates a sandbox for p: runtime, host, prelude and the script's
// wrapper, hardened and snapshotted when p is reusable. The script's own
// code does not run here; each execution runs the module body.
func (e *Engine) build(g *guard, p *program) (sb *sandbox, xerr *keyhook.ExecutionError) {
	e.builds.Add(1)
	vm := goja.New()
	g.attach(vm)
	defer g.detach()
	sb = &sandbox{e: e, p: p, vm: vm, g: g, console: newConsoleBuffer(e.opts.ConsoleLimit), eager: p.reusable}
	sb.loop = newEventLoop(sb)
	defer func() {
		if r := recover(); r != nil {
			xerr = &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error while loading the script: %v", r)}
		}
	}()
	vm.SetMaxCallStackSize(maxCallStackSize)
	vm.SetPromiseRejectionTracker(sb.trackRejection)

	roots, err := sb.installHost()
	if err != nil {
		return sb, sb.errorFrom(g, err)
	}
	prelude := e.preludes[p.trigger]
	if prelude == nil {
		prelude = e.preludes[""]
	}
	if _, err := vm.RunProgram(prelude); err != nil {
		return sb, sb.errorFrom(g, err)
	}
	wrapper, err := vm.RunProgram(p.prog)
	if err != nil {
		return sb, sb.errorFrom(g, err)
	}
	wrapperFn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return sb, &keyhook.ExecutionError{Name: "Error", Message: "internal error: module wrapper is not a function"}
	}
	sb.wrapper = wrapperFn
	if p.reusable {
		// The wrapper itself is reachable from module code as
		// arguments.callee, and require is passed to it.
		rootList := []any{sb.host.require, wrapper}
		if ro, ok := roots.(*goja.Object); ok {
			for i, n := int64(0), ro.Get("length").ToInteger(); i < n; i++ {
				rootList = append(rootList, ro.Get(strconv.FormatInt(i, 10)))
			}
		}
		if err := sb.installIsolation(vm.NewArray(rootList...)); err != nil {
			return sb, sb.errorFrom(g, err)
		}
	}
	sb.rejections = nil
	return sb, nil
}

// begin resets the per-execution state before an execution.
func (sb *sandbox) begin(g *guard) {
	sb.uses++
	sb.g = g
	sb.settled, sb.hasResult, sb.resultJSON, sb.xerr = false, false, "", nil
	sb.rejections = nil
	sb.fn = nil
	sb.console.reset()
	sb.loop = newEventLoop(sb)
	sb.host.begin()
	g.attach(sb.vm)
}

// reusable reports whether the sandbox may serve another execution; it
// runs after the execution and after the guard is detached.
func (sb *sandbox) reusable() bool {
	if sb.iso == nil || sb.tainted || sb.uses >= sb.e.opts.MaxUses {
		return false
	}
	if !sb.iso.clean() {
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

// runHook runs the module body, calls module.exports(args..., cb) and
// drives the loop until the outcome is known.
func (sb *sandbox) runHook(g *guard, args []any) (res HookResult) {
	vm := sb.vm
	sb.begin(g)
	defer func() {
		if r := recover(); r != nil {
			sb.tainted = true
			res = HookResult{Err: &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error while running the script: %v", r)}}
		}
		sb.loop.shutdown()
		res.Logs = sb.console.String()
	}()

	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	_ = module.Set("id", ".")
	_ = module.Set("filename", "/"+scriptName)
	_ = module.Set("loaded", false)
	if _, err := sb.wrapper(exports, exports, sb.host.require, module, vm.ToValue("/"+scriptName), vm.ToValue("/")); err != nil {
		return HookResult{Err: sb.errorFrom(g, err)}
	}
	_ = module.Set("loaded", true)
	if xerr := sb.unhandledRejection(); xerr != nil {
		return HookResult{Err: xerr}
	}
	fn, ok := goja.AssertFunction(module.Get("exports"))
	if !ok {
		return HookResult{Err: &keyhook.ExecutionError{Name: "Error", Message: "Script does not export a function"}}
	}
	sb.fn = fn
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
		sb.console.add("error", "Unhandled promise rejection after the callback: "+xerr.Name+": "+xerr.Message)
		return nil
	}
	return xerr
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
