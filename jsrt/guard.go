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
	heapAllocsMetric = "/gc/heap/allocs:bytes"
	memorySampleRate = 5 * time.Millisecond
)

// guard enforces one execution's deadline, its context and its memory
// budget. When a limit fires it records why, closes done and interrupts the
// attached runtime; goja's Interrupt stops JS between instructions, which is
// why the native amplifiers are capped separately (limits.go).
//
// The memory budget is approximate: Go has no per-goroutine allocation
// counter, so the watchdog samples the process-wide heap allocation counter
// and charges each active execution an equal share of what was allocated
// since the last sample. A lone runaway script is charged everything it
// allocates; under heavy concurrency a runaway is stopped later and, rarely,
// a long well-behaved execution may be charged for its neighbours.
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
	sample := []metrics.Sample{{Name: heapAllocsMetric}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	last := read()
	var charged float64
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
			share := g.e.active.Load()
			if share < 1 {
				share = 1
			}
			charged += float64(now-last) / float64(share)
			last = now
			if charged > float64(g.e.opts.MemoryLimit) {
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
