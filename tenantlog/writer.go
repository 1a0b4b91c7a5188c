package tenantlog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// Writer stores log entries that belong to no transaction of their
// caller's (a token issued, a failed signup) with group commit: one flusher
// goroutine commits whatever entries are waiting in one transaction, so
// concurrent requests share a commit instead of each waiting for its own,
// and each Write still returns only once its entry is durable.
//
// An entry that must commit atomically with a change is written with Write
// inside that change's transaction instead.
type Writer struct {
	st       store.Store
	maxBatch int
	timeout  time.Duration
	linger   time.Duration

	// mu is held for reading while sending on queue and for writing by
	// Close, so no Write sends on a closed queue.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending
	done   chan struct{}
	// seq numbers entries as Begin hands them over; awaited is the highest
	// number a caller waits for, and waiting tells a lingering flusher it
	// moved, so the flusher can tell a current waiter from one whose entry
	// was committed already.
	seq     atomic.Uint64
	awaited atomic.Uint64
	waiting chan struct{}

	batches atomic.Int64 // batches and single entries written
}

// pending is one entry waiting for the flusher, and where its outcome goes.
type pending struct {
	entry  *keyhook.LogEntry
	seq    uint64
	result chan error
}

// Pending is an entry handed to the Writer by Begin.
type Pending struct {
	result chan error
	w      *Writer // nil when the entry was written at once (after Close)
	seq    uint64
}

// Wait returns once the entry is durable or refused.
func (p *Pending) Wait() error {
	select {
	case err := <-p.result:
		return err
	default:
	}
	if p.w != nil {
		p.w.awaiting(p.seq)
	}
	return <-p.result
}

// WriterConfig tunes a Writer; zero values take the defaults.
type WriterConfig struct {
	// QueueSize bounds the entries waiting for the flusher (1024); Write
	// blocks while the queue is full.
	QueueSize int
	// MaxBatch bounds the entries committed in one transaction (256).
	MaxBatch int
	// FlushTimeout bounds the work on one batch, retries included (10 s).
	FlushTimeout time.Duration
	// Linger is how long the flusher waits for more entries before a
	// commit while entries arrive concurrently (the last batch had more
	// than one, or more were queued when it ended); a lone request never
	// waits, and a linger ends as soon as a caller waits for its entry.
	// Larger batches cost fewer commits per entry. The default, 2 ms, is
	// less than the time a token request spends signing while requests
	// arrive concurrently (one RSA-2048 signature of CPU, shared), so a
	// token request that hands its entry over before signing (Begin) does
	// not wait for it, and a request that waits ends the linger at once.
	// Negative never waits.
	Linger time.Duration
}

// NewWriter starts a Writer's flusher on st. Close stops it; st must stay
// open until then.
func NewWriter(st store.Store, cfg WriterConfig) *Writer {
	w := newWriter(st, cfg)
	go w.run()
	return w
}

func newWriter(st store.Store, cfg WriterConfig) *Writer {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 10 * time.Second
	}
	if cfg.Linger == 0 {
		cfg.Linger = 2 * time.Millisecond
	}
	return &Writer{
		st:       st,
		maxBatch: cfg.MaxBatch,
		timeout:  cfg.FlushTimeout,
		linger:   cfg.Linger,
		queue:    make(chan *pending, cfg.QueueSize),
		done:     make(chan struct{}),
		waiting:  make(chan struct{}, 1),
	}
}

// Write stores e, filling its id and date, and returns once it is durable
// or refused. The caller's cancellation does not reach the entry: a client
// that disconnects still gets its request logged, so Write may outlast ctx.
// After Close, Write stores e in a transaction of its own.
func (w *Writer) Write(ctx context.Context, e *keyhook.LogEntry) error {
	return w.Begin(ctx, e).Wait()
}

// WriteOutsideTx stores e outside any transaction and returns once it is
// durable, through w's group commit, or in a transaction of its own on st
// when w is nil (handlers built without a writer, as tests build them).
// The caller's cancellation does not reach the entry either way.
func WriteOutsideTx(ctx context.Context, w *Writer, st store.Querier, e *keyhook.LogEntry) error {
	if w != nil {
		return w.Write(ctx, e)
	}
	return Write(context.WithoutCancel(ctx), st, e)
}

// Begin hands e to the writer and returns at once, so the caller can work on
// while the entry commits; it answers its request only after Wait. e must
// not be changed until Wait returns. Otherwise as Write.
func (w *Writer) Begin(ctx context.Context, e *keyhook.LogEntry) *Pending {
	fill(e)
	result := make(chan error, 1)
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		result <- Write(context.WithoutCancel(ctx), w.st, e)
		return &Pending{result: result}
	}
	seq := w.seq.Add(1)
	w.queue <- &pending{entry: e, seq: seq, result: result}
	w.mu.RUnlock()
	return &Pending{result: result, w: w, seq: seq}
}

// awaiting records that the caller of entry seq is blocked on it.
func (w *Writer) awaiting(seq uint64) {
	for {
		cur := w.awaited.Load()
		if seq <= cur || w.awaited.CompareAndSwap(cur, seq) {
			break
		}
	}
	select {
	case w.waiting <- struct{}{}:
	default:
	}
}

// Close stores every queued entry, answers its waiter and stops the
// flusher.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
	return nil
}

// run is the flusher: it takes whatever is queued, up to maxBatch, commits
// it, answers the waiters, and starts over; entries arriving during a
// commit form the next batch.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]*pending, 0, w.maxBatch)
	busy := false
	for p := range w.queue {
		batch = w.collect(append(batch[:0], p), busy)
		w.flush(batch)
		busy = len(batch) > 1 || len(w.queue) > 0
		clear(batch)
	}
}

// collect adds what is queued to batch, up to maxBatch. When linger is set
// (entries are arriving concurrently) it then waits for more, up to
// w.linger, but no longer than until a caller waits for its entry: a
// waiting request gains nothing from a bigger batch.
func (w *Writer) collect(batch []*pending, linger bool) []*pending {
	batch, open := w.drain(batch)
	if !open || !linger || w.linger <= 0 {
		return batch
	}
	t := time.NewTimer(w.linger)
	defer t.Stop()
	for len(batch) < w.maxBatch {
		select {
		case p, ok := <-w.queue:
			if !ok {
				return batch
			}
			batch = append(batch, p)
		case <-w.waiting:
			if w.awaited.Load() < oldest(batch) {
				continue // a waiter whose entry an earlier batch answered
			}
			// The waiter's entry was queued before it waited.
			batch, _ = w.drain(batch)
			return batch
		case <-t.C:
			return batch
		}
	}
	return batch
}

func oldest(batch []*pending) uint64 {
	low := batch[0].seq
	for _, p := range batch[1:] {
		low = min(low, p.seq)
	}
	return low
}

// drain adds what is queued now to batch, up to maxBatch, and reports
// whether the queue is still open.
func (w *Writer) drain(batch []*pending) ([]*pending, bool) {
	for len(batch) < w.maxBatch {
		select {
		case p, ok := <-w.queue:
			if !ok {
				return batch, false
			}
			batch = append(batch, p)
		default:
			return batch, true
		}
	}
	return batch, true
}

// flush commits batch in one transaction and answers every waiter. When
// the batch fails while the database still answers, some entry was refused
// (a duplicate id, a value it cannot store): each entry is then written
// alone, so only the refused one fails. When the database does not answer
// (unreachable, closed), its error is every waiter's answer at once.
func (w *Writer) flush(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	entries := make([]*keyhook.LogEntry, len(batch))
	for i, p := range batch {
		entries[i] = p.entry
	}
	w.batches.Add(1)
	err := w.st.LogCreateBatch(ctx, entries)
	if err == nil || len(batch) == 1 || w.st.Ping(ctx) != nil {
		if err != nil {
			err = fmt.Errorf("tenantlog: write %d entries: %w", len(batch), err)
		}
		for _, p := range batch {
			p.result <- err
		}
		return
	}
	for _, p := range batch {
		w.batches.Add(1)
		p.result <- Write(ctx, w.st, p.entry)
	}
}
