// Package riverjobs holds what both stores do with their River client: its
// start/stop lifecycle and the job-inspection part of the store contract
// (JobList, JobGet, JobRetry). It is generic over River's transaction type,
// so store/sqlite and store/postgres share it: these go through River's own
// API, not SQL of ours.
//
// It imports store and River's core packages.
package riverjobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keyhook/keyhook/store"
)

// defaultListLimit is JobListParams.Limit's default.
const defaultListLimit = 100

// List lists jobs oldest first.
func List[TTx any](ctx context.Context, c *river.Client[TTx], p store.JobListParams) ([]store.Job, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderAsc)
	if p.Kind != "" {
		params = params.Kinds(p.Kind)
	}
	if p.State != "" {
		if !validState(p.State) {
			return nil, fmt.Errorf("unknown job state %q", p.State)
		}
		params = params.States(rivertype.JobState(p.State))
	}
	res, err := c.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	jobs := make([]store.Job, 0, len(res.Jobs))
	for _, row := range res.Jobs {
		jobs = append(jobs, fromRow(row))
	}
	return jobs, nil
}

// Get returns one job, or an error wrapping store.ErrNotFound.
func Get[TTx any](ctx context.Context, c *river.Client[TTx], id int64) (*store.Job, error) {
	row, err := c.JobGet(ctx, id)
	if err != nil {
		return nil, jobErr("get", id, err)
	}
	j := fromRow(row)
	return &j, nil
}

// Retry makes a job available to be worked again now.
func Retry[TTx any](ctx context.Context, c *river.Client[TTx], id int64) (*store.Job, error) {
	row, err := c.JobRetry(ctx, id)
	if err != nil {
		return nil, jobErr("retry", id, err)
	}
	j := fromRow(row)
	return &j, nil
}

func jobErr(op string, id int64, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("%s job %d: %w", op, id, store.ErrNotFound)
	}
	return fmt.Errorf("%s job %d: %w", op, id, err)
}

func validState(s string) bool {
	for _, st := range rivertype.JobStates() {
		if string(st) == s {
			return true
		}
	}
	return false
}

func fromRow(row *rivertype.JobRow) store.Job {
	j := store.Job{
		ID:          row.ID,
		Kind:        row.Kind,
		Queue:       row.Queue,
		State:       string(row.State),
		Attempt:     row.Attempt,
		MaxAttempts: row.MaxAttempts,
		Args:        row.EncodedArgs,
		Errors:      make([]store.JobError, 0, len(row.Errors)),
		CreatedAt:   row.CreatedAt.UTC(),
		ScheduledAt: row.ScheduledAt.UTC(),
	}
	if row.FinalizedAt != nil {
		f := row.FinalizedAt.UTC()
		j.FinalizedAt = &f
	}
	for _, e := range row.Errors {
		j.Errors = append(j.Errors, store.JobError{Attempt: e.Attempt, At: e.At.UTC(), Error: e.Error})
	}
	return j
}

// Queue is a store's River client and its lifecycle: started at most once,
// stopped once by Close.
type Queue[TTx any] struct {
	Client *river.Client[TTx]
	// HasWorkers is false for an insert-only client.
	HasWorkers bool

	mu      sync.Mutex
	started bool
	stopped bool
}

// Start starts working jobs.
func (q *Queue[TTx]) Start(ctx context.Context) error {
	if !q.HasWorkers {
		return errors.New("store opened without workers; jobs can only be inserted")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return errors.New("store is closed")
	}
	if err := q.Client.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	q.started = true
	return nil
}

// rescueMargin is how long past its timeout a job may still be marked
// running before River takes it for one a crash left behind: the worker
// needs a moment to return after its context is cancelled.
const rescueMargin = 10 * time.Second

// RescueAfter is River's RescueStuckJobsAfter for jobs bounded by
// jobTimeout (River's JobTimeout): a job still running that long after it
// started was left by a crashed node and is retried. Zero (River's
// defaults: one minute, one hour) when jobTimeout is zero.
func RescueAfter(jobTimeout time.Duration) time.Duration {
	if jobTimeout <= 0 {
		return 0
	}
	return jobTimeout + rescueMargin
}

// stopTimeout bounds how long Stop waits for running jobs to finish before
// cancelling them.
const stopTimeout = 10 * time.Second

// Stop stops working jobs, waiting up to 10 s for running ones and then
// cancelling them. It reports whether the queue had already been stopped,
// so the caller closes its database once.
func (q *Queue[TTx]) Stop() (already bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return true, nil
	}
	q.stopped = true
	if !q.started {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	err = q.Client.Stop(ctx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		err = q.Client.StopAndCancel(ctx)
		cancel()
	}
	if err != nil {
		return false, fmt.Errorf("stop jobs: %w", err)
	}
	return false, nil
}
