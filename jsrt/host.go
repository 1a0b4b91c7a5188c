package jsrt

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

//go:embed js/host.js
var hostSource string

// hostProgram is the compiled bootstrap shared by every runtime; a
// *goja.Program is immutable and safe to run in many runtimes at once.
var hostProgram = sync.OnceValue(func() *goja.Program {
	ast, err := parser.ParseFile(nil, "host.js", hostSource, 0, parser.WithDisableSourceMaps)
	if err != nil {
		panic(fmt.Sprintf("jsrt: host.js does not parse: %v", err))
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		panic(fmt.Sprintf("jsrt: host.js does not compile: %v", err))
	}
	return prog
})

// hostState is what the Go side of the host APIs keeps per sandbox; ctx
// is per execution and ends with it.
type hostState struct {
	require goja.Value
	reset   goja.Callable
	ctx     context.Context
	cancel  context.CancelFunc
}

func (h *hostState) begin() {
	h.ctx, h.cancel = context.WithCancel(context.Background())
}

// installHost captures the intrinsics the host relies on (before any user
// code can replace them), caps the native amplifiers and runs the JS
// bootstrap that defines the globals and require.
func (sb *sandbox) installHost() error {
	vm := sb.vm
	global := vm.GlobalObject()
	sb.errorCtor = global.Get("Error").(*goja.Object)
	sb.rangeErrorCtor = global.Get("RangeError").(*goja.Object)
	sb.typeErrorCtor = global.Get("TypeError").(*goja.Object)
	promiseProto := global.Get("Promise").(*goja.Object).Get("prototype").(*goja.Object)
	then, ok := goja.AssertFunction(promiseProto.Get("then"))
	if !ok {
		return errors.New("Promise.prototype.then is not a function")
	}
	sb.promiseThen = then

	sb.host = &hostState{}
	sb.host.begin()

	if err := sb.installCaps(); err != nil {
		return err
	}

	natives := vm.NewObject()
	set := func(name string, fn func(goja.FunctionCall) goja.Value) {
		_ = natives.Set(name, fn)
	}
	set("write", func(call goja.FunctionCall) goja.Value {
		sb.console.add(call.Argument(0).String(), call.Argument(1).String())
		return goja.Undefined()
	})
	set("consoleFull", func(goja.FunctionCall) goja.Value {
		return sb.vm.ToValue(sb.console.drop())
	})
	set("consoleMethod", func(call goja.FunctionCall) goja.Value {
		level := call.Argument(0).String()
		format, ok := goja.AssertFunction(call.Argument(1))
		if !ok {
			panic(sb.throwType("consoleMethod: format is not a function"))
		}
		m := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			if sb.console.drop() {
				return goja.Undefined()
			}
			line, err := format(goja.Undefined(), call.Arguments...)
			if err != nil {
				panic(err)
			}
			sb.console.add(level, line.String())
			return goja.Undefined()
		})
		_ = m.(*goja.Object).DefineDataProperty("name", vm.ToValue(level), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		return m
	})
	set("timer", func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(sb.throwType("The \"callback\" argument must be of type function"))
		}
		ms := call.Argument(1).ToFloat()
		if math.IsNaN(ms) || ms < 1 {
			ms = 0
		}
		ms = math.Min(ms, float64(math.MaxInt32))
		var args []goja.Value
		if a, ok := call.Argument(2).(*goja.Object); ok {
			_ = vm.ExportTo(a, &args)
		}
		id, err := sb.loop.addTimer(fn, time.Duration(ms*float64(time.Millisecond)), args, call.Argument(3).ToBoolean())
		if err != nil {
			panic(sb.throwRange(err.Error()))
		}
		return vm.ToValue(id)
	})
	set("touch", func(goja.FunctionCall) goja.Value {
		sb.hostTouched = true
		return goja.Undefined()
	})
	set("clearTimer", func(call goja.FunctionCall) goja.Value {
		sb.loop.clearTimer(call.Argument(0).ToInteger())
		return goja.Undefined()
	})
	set("refTimer", func(call goja.FunctionCall) goja.Value {
		sb.loop.setRef(call.Argument(0).ToInteger(), call.Argument(1).ToBoolean())
		return goja.Undefined()
	})
	set("hasNodelib", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(nodelib.Has(call.Argument(0).String()))
	})
	set("loadNodelib", func(call goja.FunctionCall) goja.Value {
		m, err := nodelib.Load(vm, call.Argument(0).String(), call.Argument(1))
		if err != nil {
			// The module's own exception (or the execution's interrupt)
			// goes on as it was thrown.
			var ex *goja.Exception
			if errors.As(err, &ex) {
				panic(ex)
			}
			var ie *goja.InterruptedError
			if errors.As(err, &ie) {
				panic(ie)
			}
			panic(sb.throwError(err.Error()))
		}
		return m
	})
	sb.installCodecs(natives)
	sb.installCrypto(natives)
	sb.installKeys(natives)
	sb.installMisc(natives)
	sb.installZlib(natives)
	if sb.e.opts.HTTPClient != nil {
		sb.installFetch(natives)
	}

	boot, err := vm.RunProgram(hostProgram())
	if err != nil {
		return fmt.Errorf("host bootstrap: %w", err)
	}
	bootFn, ok := goja.AssertFunction(boot)
	if !ok {
		return errors.New("host bootstrap is not a function")
	}
	out, err := bootFn(goja.Undefined(), natives)
	if err != nil {
		return fmt.Errorf("host bootstrap: %w", err)
	}
	res, ok := out.(*goja.Object)
	if !ok {
		return errors.New("host bootstrap returned no object")
	}
	sb.host.require = res.Get("require")
	if sb.host.reset, ok = goja.AssertFunction(res.Get("reset")); !ok {
		return errors.New("host bootstrap returned no reset")
	}
	return nil
}

func (sb *sandbox) newError(ctor *goja.Object, msg string) *goja.Object {
	obj, err := sb.vm.New(ctor, sb.vm.ToValue(msg))
	if err != nil {
		return sb.vm.NewTypeError(msg)
	}
	return obj
}

func (sb *sandbox) throwRange(msg string) *goja.Object { return sb.newError(sb.rangeErrorCtor, msg) }
func (sb *sandbox) throwType(msg string) *goja.Object  { return sb.newError(sb.typeErrorCtor, msg) }
func (sb *sandbox) throwError(msg string) *goja.Object { return sb.newError(sb.errorCtor, msg) }

// consoleBuffer captures console output up to a byte limit. Past the limit
// writes are only counted: the JavaScript side asks drop before formatting
// its arguments, so output nobody will read costs no formatting.
type consoleBuffer struct {
	limit   int
	b       strings.Builder
	full    bool
	dropped int // writes cut or dropped after the limit was reached
}

const truncatedNote = "…truncated"

func newConsoleBuffer(limit int) *consoleBuffer { return &consoleBuffer{limit: limit} }

func (c *consoleBuffer) add(level, line string) {
	_ = level // every level goes to the same stream, as webtask logs did
	if c.full {
		c.dropped++
		return
	}
	sep := 0
	if c.b.Len() > 0 {
		sep = 1
	}
	if c.b.Len()+sep+len(line) <= c.limit {
		if sep == 1 {
			c.b.WriteByte('\n')
		}
		c.b.WriteString(line)
		return
	}
	c.full = true
	c.dropped++
	if room := c.limit - c.b.Len() - sep; room > 0 {
		if sep == 1 {
			c.b.WriteByte('\n')
		}
		c.b.WriteString(validPrefix(line, room))
	}
}

// drop reports whether the buffer is full, counting the write the caller
// then skips.
func (c *consoleBuffer) drop() bool {
	if c.full {
		c.dropped++
	}
	return c.full
}

// String is the captured output; when the limit was reached it ends with a
// line saying so and how many writes were cut or dropped.
func (c *consoleBuffer) String() string {
	if !c.full {
		return c.b.String()
	}
	note := truncatedNote + " (" + strconv.Itoa(c.dropped) + " console writes cut or dropped)"
	if c.b.Len() == 0 {
		return note
	}
	return c.b.String() + "\n" + note
}

func (c *consoleBuffer) reset() {
	c.b.Reset()
	c.full = false
	c.dropped = 0
}

// validPrefix cuts s to at most n bytes without splitting a UTF-8 sequence.
func validPrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
