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

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/keyhook/keyhook"
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
	defaultTimeout      = 5 * time.Second
	defaultPoolSize     = 4
	defaultMaxUses      = 1000
	defaultConsoleLimit = 64 << 10
	defaultResultLimit  = 256 << 10
	defaultMemoryLimit  = 128 << 20
	programCacheSize    = 256
	maxCallStackSize    = 1000
	// regexMatchTimeout bounds one backtracking regular-expression match.
	regexMatchTimeout = 100 * time.Millisecond
	scriptName        = "hook.js"
)

// moduleHeader opens the CommonJS wrapper on the user's first line so that
// line numbers stay those of the user's script; only columns on line 1 move.
const moduleHeader = "(function (exports, require, module, __filename, __dirname) {"

// Engine compiles, caches and runs scripts. It is safe for concurrent use.
type Engine struct {
	opts     Options
	logger   *slog.Logger
	sem      chan struct{}
	preludes map[keyhook.TriggerID]*goja.Program

	mu       sync.Mutex
	closed   bool
	programs map[[32]byte]*list.Element
	lru      *list.List // of *program, most recent first

	// active counts executions in progress; the memory watchdog divides the
	// process-wide allocation rate among them.
	active  atomic.Int64
	refills sync.WaitGroup
	stop    chan struct{}
	// builds counts runtimes built, for tests of reuse.
	builds atomic.Int64
}

// program is one compiled script with its pool of warm sandboxes. Pools
// are per program (script and trigger): a runtime never serves two
// different scripts.
type program struct {
	key     [32]byte
	trigger keyhook.TriggerID
	prog    *goja.Program
	// reusable programs keep a sandbox for up to Options.MaxUses
	// executions (isolation.go); the others use each sandbox once.
	reusable bool
	// idle holds built sandboxes ready for an execution.
	idle      chan *sandbox
	refilling atomic.Bool
	// wanted counts the builds a reusable program's refill still owes.
	wanted atomic.Int32
	// initBroken stops background refills for a script whose runtime
	// cannot be built; calls then build synchronously and report it.
	initBroken atomic.Bool
	evicted    atomic.Bool
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
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	configureRegexp()
	e := &Engine{
		opts:     opts,
		logger:   logger,
		sem:      make(chan struct{}, opts.MaxConcurrent),
		preludes: make(map[keyhook.TriggerID]*goja.Program),
		programs: make(map[[32]byte]*list.Element),
		lru:      list.New(),
		stop:     make(chan struct{}),
	}
	for trigger, src := range preludeSources() {
		e.preludes[trigger] = goja.MustCompile("prelude.js", src, false)
	}
	return e
}

// Close stops background work and drops every cached program and sandbox.
// Executions already running finish; later calls fail.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	close(e.stop)
	for el := e.lru.Front(); el != nil; el = el.Next() {
		el.Value.(*program).evicted.Store(true)
	}
	e.programs = map[[32]byte]*list.Element{}
	e.lru.Init()
	e.mu.Unlock()
	e.refills.Wait()
}

// CheckScript compiles script as a hook would and returns a *SyntaxError
// (positions relative to the user's script) when it does not parse.
func (e *Engine) CheckScript(script string) error {
	_, _, err := compileScript(script)
	return err
}

// compileScript compiles script inside the CommonJS wrapper and reports
// whether its runtimes may be reused (reusableSource).
func compileScript(script string) (*goja.Program, bool, error) {
	src := moduleHeader + script + "\n})"
	// Source maps are disabled: the parser would otherwise follow a
	// sourceMappingURL comment to the host's file system.
	ast, err := parser.ParseFile(nil, scriptName, src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, false, syntaxErrorAt(script, list[0].Position.Line, list[0].Position.Column, list[0].Message)
		}
		return nil, false, &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		var ce *goja.CompilerSyntaxError
		if errors.As(err, &ce) && ce.File != nil {
			pos := ce.File.Position(ce.Offset)
			return nil, false, syntaxErrorAt(script, pos.Line, pos.Column, ce.Message)
		}
		return nil, false, &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
	}
	return prog, reusableSource(ast, script), nil
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

// program returns the cached compiled script, compiling it on a miss.
func (e *Engine) program(trigger keyhook.TriggerID, script string) (*program, error) {
	h := sha256.New()
	h.Write([]byte(trigger))
	h.Write([]byte{0})
	h.Write([]byte(script))
	var key [32]byte
	h.Sum(key[:0])

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if el, ok := e.programs[key]; ok {
		e.lru.MoveToFront(el)
		p := el.Value.(*program)
		e.mu.Unlock()
		return p, nil
	}
	e.mu.Unlock()

	// Compiling outside the lock lets other scripts proceed; two callers
	// compiling the same new script at once is harmless (one result wins).
	prog, reusable, err := compileScript(script)
	if err != nil {
		return nil, err
	}
	p := &program{key: key, trigger: trigger, prog: prog, reusable: reusable, idle: make(chan *sandbox, e.opts.PoolSize)}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if el, ok := e.programs[key]; ok {
		e.lru.MoveToFront(el)
		return el.Value.(*program), nil
	}
	e.programs[key] = e.lru.PushFront(p)
	for e.lru.Len() > programCacheSize {
		old := e.lru.Back()
		op := old.Value.(*program)
		op.evicted.Store(true)
		e.lru.Remove(old)
		delete(e.programs, op.key)
	}
	return p, nil
}

// take returns a sandbox for p: a warm one when the pool has one,
// otherwise one built now within the execution's limits. A single-use
// program's pool is refilled in the background after every take. A
// reusable program's pool grows only by these synchronous builds, to the
// number of executions that ran at once (up to PoolSize); release keeps
// them and replaces the discarded ones in the background.
func (e *Engine) take(g *guard, p *program) (*sandbox, *keyhook.ExecutionError) {
	select {
	case sb := <-p.idle:
		if !p.reusable {
			e.refill(p)
		}
		return sb, nil
	default:
	}
	sb, xerr := e.build(g, p)
	if xerr == nil && !p.reusable {
		e.refill(p)
	}
	return sb, xerr
}

// release returns sb to p's pool after an execution when it may serve
// another, and otherwise drops it and has the pool refilled off the
// request path.
func (e *Engine) release(g *guard, p *program, sb *sandbox) {
	fired := g.detach()
	if fired || p.evicted.Load() || !sb.reusable() {
		e.refill(p)
		return
	}
	select {
	case p.idle <- sb:
	default: // more warm runtimes than the pool keeps
	}
}

// refill builds sandboxes for p in the background, one goroutine per
// program at most, so that building stays off the request path.
//
// A reusable program's runtimes serve many executions, so the pool only
// needs as many as run at once: each request builds one replacement for a
// discarded runtime. Other programs use a runtime once, so their pool is
// kept full.
func (e *Engine) refill(p *program) {
	if p.reusable {
		p.wanted.Add(1)
	}
	if p.initBroken.Load() || p.evicted.Load() || len(p.idle) == cap(p.idle) {
		return
	}
	if !p.refilling.CompareAndSwap(false, true) {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		p.refilling.Store(false)
		return
	}
	e.refills.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.refills.Done()
		defer p.refilling.Store(false)
		for len(p.idle) < cap(p.idle) && !p.evicted.Load() {
			if p.reusable && p.wanted.Add(-1) < 0 {
				p.wanted.Store(0)
				return
			}
			select {
			case <-e.stop:
				return
			default:
			}
			g := e.newGuard(context.Background(), e.opts.DefaultTimeout)
			sb, xerr := e.build(g, p)
			g.finish()
			if xerr != nil {
				p.initBroken.Store(true)
				return
			}
			select {
			case p.idle <- sb:
			default:
				return
			}
		}
	}()
}

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

	p, err := e.program(call.Trigger, call.Script)
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
	sb, xerr := e.take(g, p)
	if xerr != nil {
		out := HookResult{Err: xerr}
		if sb != nil {
			out.Logs = sb.console.String()
		}
		return out
	}
	res = sb.runHook(g, call.Args)
	e.release(g, p, sb)
	return res
}
