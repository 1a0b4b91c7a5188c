// Package jsrt runs sandboxed JavaScript in-process with goja: legacy hooks
// (module.exports = function (..., cb)) with Auth0's prelude error classes,
// and Actions (exports.onExecute<Trigger> = async (event, api) => {}) whose
// api.* calls are recorded as commands for the caller to apply.
//
// Runtime model, as in the warm Node containers Auth0 runs: a runtime
// belongs to one program, a compiled script with its calling convention,
// trigger and slot (Spec). Its module body runs once, when the runtime is
// built, and each execution then calls the exported handler with fresh
// arguments (the hook's arguments and cb, or event and api). Module scope —
// top-level variables, what the module put on globalThis or on builtins,
// required modules — may therefore persist between executions of the same
// program, on whichever of its warm runtimes serves them; code must not
// rely on it either way (Auth0 documents the same for Actions). Nothing
// crosses programs: a runtime never serves another script, trigger,
// convention or slot, so two hooks, two actions or two versions of one
// action never see each other's state. What an execution starts is its
// own: the event loop and its timers, host requests, the console buffer and
// counters, the deadline and interrupt, and the recorded commands; leftover
// timers are dropped when the execution ends. A runtime is discarded after
// a timeout, cancellation, memory or other limit, an internal error, or
// Options.MaxUses executions, and when its program's slot runs other code
// (an edit) or is forgotten (Engine.Forget). Pools are bounded globally by
// count and by an estimate of memory, and idle runtimes expire (pool.go).
//
// The sandbox also holds a small event loop (timers, promises, async
// functions), per-execution deadlines, bounded console output and result
// size, caps on the native amplifiers Interrupt cannot stop, a memory
// watchdog, a require that serves only the built-in modules BuiltinModules lists,
// and fetch through the caller's guarded HTTP client.
//
// Node's library: require strips "node:", serves the modules host.js
// writes first and nodelib's npm polyfills (assert, buffer, events, path,
// punycode, querystring, stream, stream/web, string_decoder, url with
// whatwg-url, util) otherwise, each loaded once per runtime. Still written
// by hand, in js/host.js over Go natives, and why:
//   - crypto (hashes, HMAC, KeyObject, sign/verify for RSA, RSA-PSS, ECDSA
//     and Ed25519, randomness; keys.go, natives.go): the primitives belong
//     to Go's vetted code, not to JavaScript in an interpreter;
//   - fetch, Headers, Request, Response and the http/https request shims
//     (fetch.go): every outbound request must go through the guarded
//     client, and Go already speaks HTTP;
//   - zlib: Go's compress packages, with an output cap against bombs;
//   - net (isIP), tls and fs: only what the sandbox allows (net.isIP) or
//     modules that load and refuse to be used, so packages that require
//     them at load time still load;
//   - console, timers, process, os: the sandbox's own bookkeeping (bounded
//     output, deadlines, nothing outliving an execution) and fixed values
//     rather than the machine's;
//   - TextEncoder/TextDecoder, atob/btoa: small, hot and cheaper in Go;
//   - Event, EventTarget, AbortController, AbortSignal, DOMException, Blob:
//     small, and needed before any module loads (fetch and the shims use
//     them), where nodelib's modules would cost a load each.
//
// URL stays whatwg-url (nodelib's url): a Go-backed URL would be faster
// (a new URL costs about 700 µs in goja) but goja_nodejs's is built on
// net/url and is not WHATWG-conformant, and no conformant Go parser is
// among the dependencies; fetch and the http shims parse their URLs in Go
// (net/url) so that they do not load it.
//
// It may import the domain package, jsrt/nodelib, goja with its
// regular-expression engine regexp2, github.com/google/uuid and the
// standard library.
package jsrt

import (
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
	// PoolSize is the number of idle warm runtimes kept per program (4).
	PoolSize int
	// MaxUses recycles a runtime after this many executions (1000).
	MaxUses int
	// MaxRuntimes bounds the runtimes of all programs together (256).
	MaxRuntimes int
	// RuntimeMemory bounds the estimated memory of all runtimes together
	// (512 MiB); pool.go says how a runtime's size is estimated.
	RuntimeMemory int64
	// IdleTTL drops a runtime or compiled program unused this long (5 min).
	IdleTTL time.Duration
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
	// Slot names the hook ("hook:<id>"); see Spec.Slot.
	Slot string
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
