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

	// mu is held for reading while sending on queue and for writing by
	// Close, so no Write sends on a closed queue.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending
	done   chan struct{}

	batches atomic.Int64 // batches and single entries written
}

// pending is one entry waiting for the flusher, and where its outcome goes.
type pending struct {
	entry  *keyhook.LogEntry
	result chan error
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
	return &Writer{
		st:       st,
		maxBatch: cfg.MaxBatch,
		timeout:  cfg.FlushTimeout,
		queue:    make(chan *pending, cfg.QueueSize),
		done:     make(chan struct{}),
	}
}

// Write stores e, filling its id and date, and returns once it is durable
// or refused. The caller's cancellation does not reach the entry: a client
// that disconnects still gets its request logged, so Write may outlast ctx.
// After Close, Write stores e in a transaction of its own.
func (w *Writer) Write(ctx context.Context, e *keyhook.LogEntry) error {
	fill(e)
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return Write(context.WithoutCancel(ctx), w.st, e)
	}
	p := &pending{entry: e, result: make(chan error, 1)}
	w.queue <- p
	w.mu.RUnlock()
	return <-p.result
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
// it, answers the waiters, and starts over. It never waits to fill a batch;
// entries arriving during a commit form the next one.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]*pending, 0, w.maxBatch)
	for p := range w.queue {
		batch = append(batch[:0], p)
	more:
		for len(batch) < w.maxBatch {
			select {
			case p, ok := <-w.queue:
				if !ok {
					break more
				}
				batch = append(batch, p)
			default:
				break more
			}
		}
		w.flush(batch)
		clear(batch)
	}
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
