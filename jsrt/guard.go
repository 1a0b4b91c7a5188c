package jsrt

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
)

const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	memorySampleRate  = 5 * time.Millisecond
)

// guard enforces one execution's deadline, its context and its memory
// budget. When a limit fires it records why, closes done and interrupts the
// attached runtime; goja's Interrupt stops JS between instructions, which is
// why the native amplifiers are capped separately (limits.go).
//
// The memory budget is approximate: Go has no per-goroutine allocation
// counter, so the watchdog samples the process-wide size of heap objects and
// charges each active execution an equal share of how far the heap has grown
// above its lowest point since the execution began. Garbage the collector
// reclaims is not charged, so a long script that allocates and drops is not
// stopped; one that holds memory is. Under heavy concurrency a runaway is
// stopped later and, rarely, an execution may be charged for a neighbour's
// growth.
type guard struct {
	e       *Engine
	ctx     context.Context
	timeout time.Duration
	done    chan struct{}
	end     chan struct{}
	endOnce sync.Once

	mu  sync.Mutex
	vm  *goja.Runtime
	hit *keyhook.ExecutionError
}

func (e *Engine) newGuard(ctx context.Context, timeout time.Duration) *guard {
	g := &guard{
		e:       e,
		ctx:     ctx,
		timeout: timeout,
		done:    make(chan struct{}),
		end:     make(chan struct{}),
	}
	e.active.Add(1)
	go g.watch()
	return g
}

func (g *guard) watch() {
	timer := time.NewTimer(g.timeout)
	defer timer.Stop()
	ticker := time.NewTicker(memorySampleRate)
	defer ticker.Stop()
	sample := []metrics.Sample{{Name: heapObjectsMetric}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	low := read()
	for {
		select {
		case <-g.end:
			return
		case <-g.ctx.Done():
			err := g.ctx.Err()
			if errors.Is(err, context.DeadlineExceeded) {
				g.fire(&keyhook.ExecutionError{Name: ErrNameTimeout, Message: "Script execution did not complete before the request deadline"})
			} else {
				g.fire(&keyhook.ExecutionError{Name: ErrNameTimeout, Message: "Script execution was cancelled"})
			}
			return
		case <-timer.C:
			g.fire(&keyhook.ExecutionError{Name: ErrNameTimeout, Message: "Script execution did not complete within " + humanDuration(g.timeout)})
			return
		case <-ticker.C:
			now := read()
			if now < low {
				low = now
			}
			share := g.e.active.Load()
			if share < 1 {
				share = 1
			}
			if float64(now-low)/float64(share) > float64(g.e.opts.MemoryLimit) {
				g.fire(&keyhook.ExecutionError{Name: ErrNameLimit, Message: fmt.Sprintf(
					"Script execution exceeded its memory budget of %s", humanBytes(g.e.opts.MemoryLimit))})
				return
			}
		}
	}
}

func (g *guard) fire(xerr *keyhook.ExecutionError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hit != nil {
		return
	}
	g.hit = xerr
	close(g.done)
	if g.vm != nil {
		g.vm.Interrupt(xerr)
	}
}

// attach makes vm the runtime a firing limit interrupts.
func (g *guard) attach(vm *goja.Runtime) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.vm = vm
	if g.hit != nil {
		vm.Interrupt(g.hit)
	}
}

// detach stops a later limit from interrupting the attached runtime and
// reports whether one already fired (then the runtime may hold a pending
// interrupt and must not be reused).
func (g *guard) detach() (fired bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.vm = nil
	return g.hit != nil
}

// failure is the recorded limit, or nil.
func (g *guard) failure(during string) *keyhook.ExecutionError {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hit == nil {
		return nil
	}
	out := *g.hit
	if during != "" {
		out.Message += " (" + during + ")"
	}
	return &out
}

func (g *guard) finish() {
	g.endOnce.Do(func() {
		close(g.end)
		g.e.active.Add(-1)
	})
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		n := int64(d / time.Second)
		if n == 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", n)
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d milliseconds", int64(d/time.Millisecond))
	default:
		return d.String()
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
