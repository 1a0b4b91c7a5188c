package sqlite

import (
	"context"
	"fmt"
	"time"
)

// writeLock serialises this process's writers before they reach SQLite.
// SQLite allows one writer; a second one gets SQLITE_BUSY and its busy
// handler sleeps (1 ms, 2 ms, 5 ms, …) even when the lock is free again a
// few microseconds later. Queuing on a Go semaphore instead hands the lock
// over at once, which matters on the token endpoint, where every request
// writes a log entry. Other processes sharing the file (and River's own
// statements) still meet busy_timeout.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

// acquire waits as long as busy_timeout would, so code that wrongly writes
// through the Store inside InTx fails after a while instead of hanging.
func (l writeLock) acquire(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(busyTimeout)
	defer t.Stop()
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sqlite: waiting for the write lock: %w", ctx.Err())
	case <-t.C:
		return fmt.Errorf("sqlite: waiting for the write lock: timed out after %s (a write through the Store inside InTx?)", busyTimeout)
	}
}

func (l writeLock) release() { <-l }

// busyTimeout matches the busy_timeout pragma of dsn.
const busyTimeout = 10 * time.Second
