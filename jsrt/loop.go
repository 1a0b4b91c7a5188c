package jsrt

import (
	"container/heap"
	"errors"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// maxTimers bounds the timers one execution may have pending.
const maxTimers = 10000

var errInterrupted = errors.New("jsrt: execution limit reached")

// eventLoop is a per-sandbox loop in the style of k6's: timers live on the
// loop goroutine (the one running JS), host work started by the script
// holds a reference until its completion is delivered back onto the loop,
// and promise jobs run whenever goja leaves its outermost call. Nothing it
// holds survives the execution: shutdown drops timers and makes late
// completions no-ops.
type eventLoop struct {
	sb     *sandbox
	timers timerHeap
	byID   map[int64]*timer
	nextID int64
	seq    int64

	mu          sync.Mutex
	completions []func() error
	pending     int
	closed      bool
	wake        chan struct{}
}

type timer struct {
	id       int64
	when     time.Time
	seq      int64
	fn       goja.Callable
	args     []goja.Value
	interval time.Duration
	repeat   bool
	unref    bool
	index    int
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

func newEventLoop(sb *sandbox) *eventLoop {
	return &eventLoop{sb: sb, byID: make(map[int64]*timer), wake: make(chan struct{}, 1)}
}

// addTimer schedules fn; it runs on the loop goroutine only.
func (l *eventLoop) addTimer(fn goja.Callable, delay time.Duration, args []goja.Value, repeat bool) (int64, error) {
	if len(l.byID) >= maxTimers {
		return 0, errors.New("too many pending timers")
	}
	if delay < 0 {
		delay = 0
	}
	l.nextID++
	l.seq++
	t := &timer{id: l.nextID, when: time.Now().Add(delay), seq: l.seq, fn: fn, args: args, interval: delay, repeat: repeat}
	heap.Push(&l.timers, t)
	l.byID[t.id] = t
	return t.id, nil
}

func (l *eventLoop) clearTimer(id int64) {
	t, ok := l.byID[id]
	if !ok {
		return
	}
	delete(l.byID, id)
	if t.index >= 0 {
		heap.Remove(&l.timers, t.index)
	}
}

func (l *eventLoop) setRef(id int64, ref bool) {
	if t, ok := l.byID[id]; ok {
		t.unref = !ref
	}
}

// reserve registers pending host work and returns the function that
// delivers its completion onto the loop (from any goroutine, once). After
// shutdown a delivery is dropped.
func (l *eventLoop) reserve() func(func() error) {
	l.mu.Lock()
	l.pending++
	l.mu.Unlock()
	var once sync.Once
	return func(fn func() error) {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.closed {
				return
			}
			l.completions = append(l.completions, func() error {
				l.mu.Lock()
				l.pending--
				l.mu.Unlock()
				return fn()
			})
			select {
			case l.wake <- struct{}{}:
			default:
			}
		})
	}
}

func (l *eventLoop) takeCompletion() func() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.completions) == 0 {
		return nil
	}
	fn := l.completions[0]
	l.completions = l.completions[1:]
	return fn
}

// idle reports that nothing can run any more: no referenced timer and no
// host work outstanding.
func (l *eventLoop) idle() bool {
	l.mu.Lock()
	busy := l.pending > 0 || len(l.completions) > 0
	l.mu.Unlock()
	if busy {
		return false
	}
	for _, t := range l.timers {
		if !t.unref {
			return false
		}
	}
	return true
}

// run drives the loop until the execution settles, the loop is idle, a
// macrotask throws, or a limit fires.
func (l *eventLoop) run(g *guard) error {
	sb := l.sb
	for {
		if sb.settled {
			return nil
		}
		select {
		case <-g.done:
			return errInterrupted
		default:
		}
		if fn := l.takeCompletion(); fn != nil {
			if err := fn(); err != nil {
				return err
			}
			if xerr := sb.unhandledRejection(); xerr != nil {
				sb.settle(xerr)
			}
			continue
		}
		now := time.Now()
		if len(l.timers) > 0 && !l.timers[0].when.After(now) {
			t := l.timers[0]
			if t.repeat {
				t.when = now.Add(max(t.interval, time.Millisecond))
				l.seq++
				t.seq = l.seq
				heap.Fix(&l.timers, 0)
			} else {
				heap.Pop(&l.timers)
				delete(l.byID, t.id)
			}
			if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
				return err
			}
			if xerr := sb.unhandledRejection(); xerr != nil {
				sb.settle(xerr)
			}
			continue
		}
		if l.idle() {
			return nil
		}
		var fire <-chan time.Time
		var tm *time.Timer
		if len(l.timers) > 0 {
			tm = time.NewTimer(l.timers[0].when.Sub(now))
			fire = tm.C
		}
		select {
		case <-g.done:
		case <-l.wake:
		case <-fire:
		}
		if tm != nil {
			tm.Stop()
		}
	}
}

// shutdown drops every timer and makes pending host completions no-ops.
func (l *eventLoop) shutdown() {
	l.timers = nil
	l.byID = map[int64]*timer{}
	l.mu.Lock()
	l.closed = true
	l.completions = nil
	l.mu.Unlock()
	if l.sb.host != nil && l.sb.host.cancel != nil {
		l.sb.host.cancel()
	}
}
