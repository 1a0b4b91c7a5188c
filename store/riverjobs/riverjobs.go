// Package riverjobs implements the job-inspection part of the store
// contract (JobList, JobGet, JobRetry) over a River client. It is generic
// over River's transaction type, so store/sqlite and store/postgres share
// it: those methods go through River's own API, not SQL of ours.
//
// It imports store and River's core packages.
package riverjobs

import (
	"context"
	"errors"
	"fmt"

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
