package jsrt

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// Error names the runtime itself puts in HookResult.Err (errors the script
// raises keep the script's own name).
const (
	// ErrNameTimeout marks a deadline, cancellation or a script that can
	// never finish.
	ErrNameTimeout = "TimeoutError"
	// ErrNameLimit marks a resource limit: memory budget, result size,
	// concurrency.
	ErrNameLimit = "LimitError"
)

// ErrClosed is the host failure of a run on a closed Engine
// (HookResult.HostErr).
var ErrClosed = errors.New("jsrt: engine is closed")

const (
	defaultTimeout       = 5 * time.Second
	defaultPoolSize      = 4
	defaultMaxUses       = 1000
	defaultConsoleLimit  = 64 << 10
	defaultResultLimit   = 256 << 10
	defaultMemoryLimit   = 128 << 20
	defaultMaxRuntimes   = 256
	defaultRuntimeMemory = 512 << 20
	defaultIdleTTL       = 5 * time.Minute
	programCacheSize     = 256
	maxCallStackSize     = 1000
	// regexMatchTimeout bounds one backtracking regular-expression match.
	regexMatchTimeout = 100 * time.Millisecond
	hookFileName      = "hook.js"
	actionFileName    = "action.js"
)

// moduleHeader opens the CommonJS wrapper on the user's first line so that
// line numbers stay those of the user's script; only columns on line 1 move.
const moduleHeader = "(function (exports, require, module, __filename, __dirname) {"

// Convention is how a program's module is called.
type Convention uint8

// The calling conventions.
const (
	// ConventionHook is a legacy hook: module.exports = function (..., cb).
	ConventionHook Convention = iota + 1
	// ConventionAction is an Action: exports.onExecute<Trigger> = async
	// (event, api) => {}.
	ConventionAction
)

func (c Convention) fileName() string {
	if c == ConventionAction {
		return actionFileName
	}
	return hookFileName
}

// Spec names a program: the script, how it is called, the trigger it runs
// for and the slot it runs from. Runtimes are built for one Spec and never
// serve another.
type Spec struct {
	Convention Convention
	Trigger    keyhook.TriggerID
	Script     string
	// Slot names what the script belongs to ("hook:<id>", "action:<id>",
	// "action:<id>:draft", …). A slot holds one program per convention and
	// trigger: running another script in it drops the previous program's
	// runtimes at once, so an edit never leaves warm runtimes of the old
	// code behind. Two slots never share runtimes, even with equal scripts.
	// Use distinct slots for code that runs side by side (a draft and the
	// deployed version of an action). Programs without a slot ("") are
	// only dropped by the pool's bounds and idle expiry.
	Slot string
}

func (s Spec) key() [32]byte {
	h := sha256.New()
	h.Write([]byte{byte(s.Convention)})
	h.Write([]byte(s.Trigger))
	h.Write([]byte{0})
	h.Write([]byte(s.Slot))
	h.Write([]byte{0})
	h.Write([]byte(s.Script))
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// scriptRef identifies a Spec by the memory of its script rather than its
// content: the program it maps to holds that very string, so the memory
// cannot be reused for other bytes while the entry exists, and equal
// pointer and length mean equal text. It saves hashing a large bundle on
// every call when the caller passes the same string each time (a cached
// configuration does).
type scriptRef struct {
	data       *byte
	n          int
	convention Convention
	trigger    keyhook.TriggerID
	slot       string
}

func refOf(s Spec) scriptRef {
	return scriptRef{unsafe.StringData(s.Script), len(s.Script), s.Convention, s.Trigger, s.Slot}
}

type slotKey struct {
	slot       string
	convention Convention
	trigger    keyhook.TriggerID
}

// Engine compiles, caches and runs scripts. It is safe for concurrent use.
type Engine struct {
	opts     Options
	logger   *slog.Logger
	sem      chan struct{}
	preludes map[keyhook.TriggerID]*goja.Program

	mu       sync.Mutex
	closed   bool
	programs map[[32]byte]*list.Element
	byRef    map[scriptRef]*program
	lru      *list.List // of *program, most recent first
	slots    map[slotKey]*program
	// idle holds every idle runtime of every program, most recently
	// released first: eviction takes from the back.
	idle *list.List
	// runtimes and weight count the live runtimes (idle and busy) and the
	// sum of their estimated sizes.
	runtimes int
	weight   int64

	// active counts executions and builds in progress; the memory watchdog
	// divides the process-wide allocation rate among them.
	active atomic.Int64
	// refills tracks background builds, janitor the expiry goroutine.
	refills sync.WaitGroup
	janitor sync.WaitGroup
	stop    chan struct{}
	// builds counts runtimes built, for tests of reuse.
	builds atomic.Int64
}

// program is one compiled script with its pool of warm runtimes. The
// fields below prog are guarded by Engine.mu.
type program struct {
	key  [32]byte
	spec Spec
	prog *goja.Program

	el *list.Element // in Engine.lru
	// ref is the program's entry in Engine.byRef and alias the string it
	// points into, kept alive by this reference.
	ref      scriptRef
	alias    string
	lastUsed time.Time
	// idle are the program's warm runtimes, most recently released last.
	idle []*sandbox
	// live counts the program's runtimes, idle and busy.
	live int
	// weight is the last measured size of one of its runtimes; 0 until one
	// was built.
	weight    int64
	refilling bool
	// initBroken stops background builds for a script whose module cannot
	// be initialised; calls then build synchronously and report it.
	initBroken bool
	evicted    bool
}

// New builds an Engine; zero fields of opts take their defaults.
func New(opts Options) *Engine {
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = defaultTimeout
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = defaultPoolSize
	}
	if opts.MaxUses <= 0 {
		opts.MaxUses = defaultMaxUses
	}
	if opts.ConsoleLimit <= 0 {
		opts.ConsoleLimit = defaultConsoleLimit
	}
	if opts.ResultLimit <= 0 {
		opts.ResultLimit = defaultResultLimit
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = defaultMemoryLimit
	}
	if opts.MaxRuntimes <= 0 {
		opts.MaxRuntimes = defaultMaxRuntimes
	}
	if opts.RuntimeMemory <= 0 {
		opts.RuntimeMemory = defaultRuntimeMemory
	}
	if opts.IdleTTL <= 0 {
		opts.IdleTTL = defaultIdleTTL
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	configureRegexp()
	// Compiling nodelib's modules takes a core about a tenth of a second:
	// paid now, in the background, not by the first execution to require
	// one.
	go nodelib.CompileAll()
	e := &Engine{
		opts:     opts,
		logger:   logger,
		sem:      make(chan struct{}, opts.MaxConcurrent),
		preludes: make(map[keyhook.TriggerID]*goja.Program),
		programs: make(map[[32]byte]*list.Element),
		byRef:    make(map[scriptRef]*program),
		lru:      list.New(),
		slots:    make(map[slotKey]*program),
		idle:     list.New(),
		stop:     make(chan struct{}),
	}
	for trigger, src := range preludeSources() {
		e.preludes[trigger] = goja.MustCompile("prelude.js", src, false)
	}
	e.janitor.Add(1)
	go e.expireIdle()
	return e
}

// Close stops background work and drops every cached program and runtime.
// Executions already running finish; later calls fail.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	close(e.stop)
	for el := e.lru.Front(); el != nil; {
		next := el.Next()
		e.evictProgramLocked(el.Value.(*program))
		el = next
	}
	e.mu.Unlock()
	e.refills.Wait()
	e.janitor.Wait()
}

// CheckScript compiles script as a hook or action would and returns a
// *SyntaxError (positions relative to the user's script) when it does not
// parse.
func (e *Engine) CheckScript(script string) error {
	_, err := compileScript(script, hookFileName)
	return err
}

// compileScript compiles script inside the CommonJS wrapper. The script is
// a function body, as in Node: text that closes the wrapper early is a
// syntax error rather than code run at global scope.
func compileScript(script, name string) (*goja.Program, error) {
	src := moduleHeader + script + "\n})"
	// Source maps are disabled: the parser would otherwise follow a
	// sourceMappingURL comment to the host's file system.
	prog, err := parser.ParseFile(nil, name, src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, syntaxErrorAt(script, list[0].Position.Line, list[0].Position.Column, list[0].Message)
		}
		return nil, &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
	}
	if pos, escaped := escapesWrapper(prog); escaped {
		return nil, syntaxErrorAt(script, pos.Line, pos.Column, "Unexpected token '}'")
	}
	compiled, err := goja.CompileAST(prog, false)
	if err != nil {
		var ce *goja.CompilerSyntaxError
		if errors.As(err, &ce) && ce.File != nil {
			pos := ce.File.Position(ce.Offset)
			return nil, syntaxErrorAt(script, pos.Line, pos.Column, ce.Message)
		}
		return nil, &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
	}
	return compiled, nil
}

// escapesWrapper reports whether the wrapped source is anything but the one
// function expression of the wrapper, and where the user's text closed it.
func escapesWrapper(prog *ast.Program) (file.Position, bool) {
	if len(prog.Body) == 1 {
		if stmt, ok := prog.Body[0].(*ast.ExpressionStatement); ok {
			// The wrapper's own closing brace is the source's last but one
			// character.
			if fn, ok := stmt.Expression.(*ast.FunctionLiteral); ok && int(fn.Body.RightBrace)-prog.File.Base() == len(prog.File.Source())-2 {
				return file.Position{}, false
			}
		}
	}
	// The wrapper function is the leftmost operand of the first statement;
	// its closing brace is the user's early one.
	var expr ast.Expression
	if len(prog.Body) > 0 {
		if stmt, ok := prog.Body[0].(*ast.ExpressionStatement); ok {
			expr = stmt.Expression
		}
	}
	for expr != nil {
		switch x := expr.(type) {
		case *ast.FunctionLiteral:
			return prog.File.Position(int(x.Body.RightBrace) - prog.File.Base()), true
		case *ast.BinaryExpression:
			expr = x.Left
		case *ast.CallExpression:
			expr = x.Callee
		case *ast.DotExpression:
			expr = x.Left
		case *ast.BracketExpression:
			expr = x.Left
		case *ast.SequenceExpression:
			if len(x.Sequence) == 0 {
				expr = nil
			} else {
				expr = x.Sequence[0]
			}
		case *ast.ConditionalExpression:
			expr = x.Test
		default:
			expr = nil
		}
	}
	return file.Position{Line: 1, Column: 1}, true
}

// syntaxErrorAt maps a position in the wrapped source back to the user's
// script: columns of line 1 lose the header, and positions in the closing
// line of the wrapper land at the end of the user's last line.
func syntaxErrorAt(script string, line, col int, msg string) *SyntaxError {
	lines := 1
	lastLen := 0
	for _, r := range script {
		if r == '\n' {
			lines++
			lastLen = 0
			continue
		}
		lastLen++
	}
	if line == 1 {
		col -= len(moduleHeader)
	}
	if line > lines {
		line, col = lines, lastLen+1
	}
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	return &SyntaxError{Line: line, Column: col, Message: msg}
}

// program returns the cached compiled program of spec, compiling it on a
// miss. A new program replaces the one its slot held.
func (e *Engine) program(spec Spec) (*program, error) {
	ref := refOf(spec)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if p, ok := e.byRef[ref]; ok {
		e.usedLocked(p)
		e.mu.Unlock()
		return p, nil
	}
	e.mu.Unlock()

	key := spec.key()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if el, ok := e.programs[key]; ok {
		p := el.Value.(*program)
		e.usedLocked(p)
		e.aliasLocked(p, ref, spec.Script)
		e.mu.Unlock()
		return p, nil
	}
	e.mu.Unlock()

	// Compiling outside the lock lets other scripts proceed; two callers
	// compiling the same new script at once is harmless (one result wins).
	prog, err := compileScript(spec.Script, spec.Convention.fileName())
	if err != nil {
		return nil, err
	}
	p := &program{key: key, spec: spec, prog: prog, lastUsed: time.Now()}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if el, ok := e.programs[key]; ok {
		p := el.Value.(*program)
		e.usedLocked(p)
		return p, nil
	}
	if spec.Slot != "" {
		sk := slotKey{spec.Slot, spec.Convention, spec.Trigger}
		if old := e.slots[sk]; old != nil {
			e.evictProgramLocked(old)
		}
		e.slots[sk] = p
	}
	p.el = e.lru.PushFront(p)
	e.programs[key] = p.el
	e.aliasLocked(p, ref, spec.Script)
	for e.lru.Len() > programCacheSize {
		e.evictProgramLocked(e.lru.Back().Value.(*program))
	}
	return p, nil
}

func (e *Engine) usedLocked(p *program) {
	e.lru.MoveToFront(p.el)
	p.lastUsed = time.Now()
}

// aliasLocked points ref (the latest string seen for p) at p, replacing
// the previous one.
func (e *Engine) aliasLocked(p *program, ref scriptRef, script string) {
	if p.ref == ref {
		return
	}
	if e.byRef[p.ref] == p {
		delete(e.byRef, p.ref)
	}
	p.ref, p.alias = ref, script
	e.byRef[ref] = p
}

// evictProgramLocked forgets p and drops its idle runtimes; its busy ones
// are dropped when they finish.
func (e *Engine) evictProgramLocked(p *program) {
	if p.evicted {
		return
	}
	p.evicted = true
	e.lru.Remove(p.el)
	delete(e.programs, p.key)
	if e.byRef[p.ref] == p {
		delete(e.byRef, p.ref)
	}
	sk := slotKey{p.spec.Slot, p.spec.Convention, p.spec.Trigger}
	if e.slots[sk] == p {
		delete(e.slots, sk)
	}
	for len(p.idle) > 0 {
		e.dropIdleLocked(p.idle[len(p.idle)-1])
	}
}

// Forget drops the programs of slot (every convention and trigger) with
// their warm runtimes: call it when what the slot names is deleted.
// Runtimes executing now finish and are then dropped.
func (e *Engine) Forget(slot string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for sk, p := range e.slots {
		if sk.slot == slot {
			e.evictProgramLocked(p)
		}
	}
}

// Prepare compiles spec and initialises one warm runtime for it, so that
// the next execution pays neither the compilation nor the module's
// initialisation. It returns a *SyntaxError for a script that does not
// compile and a *ScriptError when the module's initialisation fails.
func (e *Engine) Prepare(ctx context.Context, spec Spec) error {
	p, err := e.program(spec)
	if err != nil {
		return err
	}
	e.mu.Lock()
	warm := len(p.idle) > 0
	e.mu.Unlock()
	if warm {
		return nil
	}
	g := e.newGuard(ctx, e.opts.DefaultTimeout)
	defer g.finish()
	sb, _, xerr := e.take(g, p)
	if xerr != nil {
		return &ScriptError{Name: xerr.Name, Message: xerr.Message, Stack: sb.stackOf(xerr)}
	}
	e.release(p, sb, true)
	return nil
}

// ScriptError is a script's failure outside an execution (Prepare).
type ScriptError struct {
	Name    string
	Message string
	Stack   string
}

func (e *ScriptError) Error() string { return e.Name + ": " + e.Message }

// RunHook runs a legacy hook. It never panics and never returns a Go error:
// every failure is in HookResult.Err.
func (e *Engine) RunHook(ctx context.Context, call HookCall) (res HookResult) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			e.logger.ErrorContext(ctx, "jsrt: panic while running hook", "panic", r)
			res.Value = nil
			res.Err = &keyhook.ExecutionError{Name: "Error", Message: fmt.Sprintf("internal error in the script runtime: %v", r)}
		}
		res.Duration = time.Since(start)
	}()

	timeout := call.Timeout
	if timeout <= 0 {
		timeout = e.opts.DefaultTimeout
	}
	g := e.newGuard(ctx, timeout)
	defer g.finish()

	select {
	case e.sem <- struct{}{}:
	case <-g.done:
		return HookResult{Err: g.failure("waiting for a free execution slot")}
	}
	defer func() { <-e.sem }()

	p, err := e.program(Spec{Convention: ConventionHook, Trigger: call.Trigger, Script: call.Script, Slot: call.Slot})
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return HookResult{Err: &keyhook.ExecutionError{
				Name:    "SyntaxError",
				Message: "Unable to compile the extensibility code as javascript: " + se.Error(),
			}}
		}
		out := HookResult{Err: &keyhook.ExecutionError{Name: "Error", Message: err.Error()}}
		if errors.Is(err, ErrClosed) {
			out.HostErr = err
		}
		return out
	}
	sb, _, xerr := e.take(g, p)
	if xerr != nil {
		out := HookResult{Err: xerr}
		if sb != nil {
			out.Logs = sb.console.String()
		}
		return out
	}
	res = sb.runHook(g, call.Args)
	e.release(p, sb, sb.finish(g))
	return res
}
