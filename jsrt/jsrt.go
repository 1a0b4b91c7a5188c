// Package jsrt runs sandboxed JavaScript in-process with goja: compiled
// programs cached per script hash, pools of warm runtimes reused across
// executions of the same program (isolation.go documents what keeps those
// executions from observing each other), a small event loop
// (timers, promises, async functions), per-execution deadlines, bounded
// console output and result size, caps on the native amplifiers Interrupt
// cannot stop, a memory watchdog, and a require that serves only allowed
// built-in modules. The legacy Hook calling convention (module.exports =
// function(..., cb)) with Auth0's prelude error classes lives here too.
//
// It may import the domain package, goja with its regular-expression engine
// regexp2, github.com/google/uuid and the standard library.
package jsrt

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/keyhook/keyhook"
)

// Options configure an Engine. Zero values pick the defaults noted.
type Options struct {
	// DefaultTimeout bounds one execution when the call gives none (5 s).
	DefaultTimeout time.Duration
	// MaxConcurrent bounds executions running at once (4 × GOMAXPROCS).
	MaxConcurrent int
	// PoolSize is the number of idle warm runtimes kept per script (4).
	PoolSize int
	// MaxUses recycles a runtime after this many executions (1000).
	MaxUses int
	// ConsoleLimit bounds captured console output per execution (64 KiB).
	ConsoleLimit int
	// ResultLimit bounds the JSON size of a result (256 KiB).
	ResultLimit int
	// MemoryLimit is the heap-allocation budget of one execution (128 MiB).
	MemoryLimit int64
	// HTTPClient serves fetch(); nil means scripts have no fetch.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// SyntaxError is a script that does not compile.
type SyntaxError struct {
	Line    int
	Column  int
	Message string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// HookCall is one run of a legacy hook.
type HookCall struct {
	Script string
	// Trigger selects the prelude error classes of the extensibility point.
	Trigger keyhook.TriggerID
	// Args are the hook's arguments before cb, as JSON-shaped Go values
	// (map[string]any, []any, string, float64, bool, nil). They are copied
	// into native JS values; the script cannot change the caller's copies.
	Args []any
	// Timeout bounds this execution; 0 means Options.DefaultTimeout.
	Timeout time.Duration
}

// HookResult is what a hook run produced.
type HookResult struct {
	// Value is cb's second argument, JSON-shaped; nil when undefined.
	Value any
	// Err is non-nil when the hook called cb(err), threw, rejected, timed out,
	// called back twice, or hit a limit.
	Err *keyhook.ExecutionError
	// HostErr is non-nil when the hook did not run because of the host, not
	// the script: ErrClosed when the engine is closed. Err then describes
	// the same failure, for callers that treat both alike.
	HostErr error
	// Logs is the captured console output, bounded.
	Logs     string
	Duration time.Duration
}

var _ = context.Background
