package jsrt

import (
	"context"
	"runtime/metrics"
	"time"

	"github.com/keyhook/keyhook"
)

// Pools of warm runtimes.
//
// Each program keeps up to Options.PoolSize idle runtimes. Across all
// programs the engine keeps at most Options.MaxRuntimes runtimes and an
// estimated Options.RuntimeMemory bytes of them, idle and busy together:
// before a runtime is built and after one is put back, idle runtimes are
// dropped least recently used first until both bounds hold. Busy runtimes
// are never dropped, so the bounds can be exceeded while more executions
// run at once than they allow (Options.MaxConcurrent bounds that). Idle
// runtimes and unused compiled programs expire after Options.IdleTTL.
//
// A runtime's size is estimated when it is built: the bytes the process
// allocated on the heap while it was built and its module initialised
// (runtime/metrics /gc/heap/allocs:bytes, which stops nothing), divided
// among the executions and builds in progress at the time, at least
// minRuntimeWeight. It over-counts what the runtime keeps (garbage made
// during the build is counted) and does not follow growth of module state
// in later executions; the memory watchdog bounds each execution's growth.

const (
	heapAllocsMetric = "/gc/heap/allocs:bytes"
	// firstRuntimeWeight is the estimate reserved for a program's first
	// runtime, before one was measured.
	firstRuntimeWeight = 1 << 20
	minRuntimeWeight   = 64 << 10
)

// PoolStats is a snapshot of an Engine's caches.
type PoolStats struct {
	// Programs is the number of compiled programs cached.
	Programs int
	// Runtimes counts live runtimes, idle and busy; Idle the idle ones.
	Runtimes int
	Idle     int
	// Memory is the estimated size of the live runtimes in bytes.
	Memory int64
}

// Stats returns a snapshot of the caches.
func (e *Engine) Stats() PoolStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return PoolStats{Programs: e.lru.Len(), Runtimes: e.runtimes, Idle: e.idle.Len(), Memory: e.weight}
}

func heapAllocs() uint64 {
	s := [1]metrics.Sample{{Name: heapAllocsMetric}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// take returns a runtime of p for one execution: the most recently used
// idle one, or one built now, module initialised, within the execution's
// limits; boot is how long that build took. On a failed build the
// runtime is returned too (for its console output) but must not be used.
func (e *Engine) take(g *guard, p *program) (sb *sandbox, boot time.Duration, xerr *keyhook.ExecutionError) {
	e.mu.Lock()
	if n := len(p.idle); n > 0 {
		sb = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		e.idle.Remove(sb.idleEl)
		sb.idleEl = nil
		e.mu.Unlock()
		return sb, 0, nil
	}
	e.mu.Unlock()
	start := time.Now()
	sb, xerr = e.build(g, p)
	return sb, time.Since(start), xerr
}

// reserve counts a runtime about to be built for p and makes room for it.
func (e *Engine) reserve(p *program) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	est := p.weight
	if est == 0 {
		est = firstRuntimeWeight
	}
	e.runtimes++
	p.live++
	e.weight += est
	e.trimLocked()
	return est
}

// settleWeight replaces a build's reserved estimate with its measured size,
// or releases the reservation when the build failed.
func (e *Engine) settleWeight(p *program, reserved, measured int64, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.weight -= reserved
	if !ok {
		e.runtimes--
		p.live--
		return
	}
	e.weight += measured
	p.weight = measured
}

// release returns sb to p's pool after an execution when keep is true and
// the pool has room, and otherwise drops it. A runtime dropped for
// recycling is replaced off the request path when p has no idle runtime.
func (e *Engine) release(p *program, sb *sandbox, keep bool) {
	e.mu.Lock()
	if !keep || p.evicted || e.closed || len(p.idle) >= e.opts.PoolSize {
		e.dropLocked(sb)
		replace := !keep && !p.evicted && !e.closed && len(p.idle) == 0
		e.mu.Unlock()
		if replace {
			e.refill(p)
		}
		return
	}
	p.idle = append(p.idle, sb)
	sb.idleSince = time.Now()
	sb.idleEl = e.idle.PushFront(sb)
	e.trimLocked()
	e.mu.Unlock()
}

// dropLocked forgets a runtime that is not idle.
func (e *Engine) dropLocked(sb *sandbox) {
	e.runtimes--
	sb.p.live--
	e.weight -= sb.weight
	sb.loop.shutdown()
}

// dropIdleLocked removes an idle runtime from its pools and forgets it.
func (e *Engine) dropIdleLocked(sb *sandbox) {
	p := sb.p
	for i, x := range p.idle {
		if x == sb {
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			break
		}
	}
	e.idle.Remove(sb.idleEl)
	sb.idleEl = nil
	e.dropLocked(sb)
}

// trimLocked drops idle runtimes, least recently used first, until the
// global bounds hold or none is idle.
func (e *Engine) trimLocked() {
	for (e.runtimes > e.opts.MaxRuntimes || e.weight > e.opts.RuntimeMemory) && e.idle.Len() > 0 {
		e.dropIdleLocked(e.idle.Back().Value.(*sandbox))
	}
}

// refill builds one runtime for p in the background, at most one build per
// program at a time, so that recycling stays off the request path.
func (e *Engine) refill(p *program) {
	e.mu.Lock()
	if e.closed || p.evicted || p.refilling || p.initBroken || len(p.idle) > 0 {
		e.mu.Unlock()
		return
	}
	p.refilling = true
	e.refills.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.refills.Done()
		g := e.newGuard(context.Background(), e.opts.DefaultTimeout)
		sb, xerr := e.build(g, p)
		g.finish()
		e.mu.Lock()
		p.refilling = false
		if xerr != nil {
			p.initBroken = true
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		e.release(p, sb, true)
	}()
}

// expireIdle expires idle runtimes and unused programs until Close.
func (e *Engine) expireIdle() {
	defer e.janitor.Done()
	tick := time.NewTicker(max(e.opts.IdleTTL/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-tick.C:
			e.expire(now)
		}
	}
}

// expire drops runtimes idle for IdleTTL and programs unused for IdleTTL
// that have no runtime.
func (e *Engine) expire(now time.Time) {
	ttl := e.opts.IdleTTL
	e.mu.Lock()
	defer e.mu.Unlock()
	for el := e.idle.Back(); el != nil; {
		sb := el.Value.(*sandbox)
		if now.Sub(sb.idleSince) < ttl {
			break
		}
		prev := el.Prev()
		e.dropIdleLocked(sb)
		el = prev
	}
	for el := e.lru.Back(); el != nil; {
		p := el.Value.(*program)
		if now.Sub(p.lastUsed) < ttl {
			break
		}
		prev := el.Prev()
		if p.live == 0 {
			e.evictProgramLocked(p)
		}
		el = prev
	}
}
