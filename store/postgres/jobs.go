package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keyhook/keyhook/store"
)

// defaultJobListLimit is JobListParams.Limit's default.
const defaultJobListLimit = 100

// JobList lists jobs oldest first.
func (d *DB) JobList(ctx context.Context, p store.JobListParams) ([]store.Job, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = defaultJobListLimit
	}
	params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderAsc)
	if p.Kind != "" {
		params = params.Kinds(p.Kind)
	}
	if p.State != "" {
		if !validJobState(p.State) {
			return nil, fmt.Errorf("postgres: unknown job state %q", p.State)
		}
		params = params.States(rivertype.JobState(p.State))
	}
	res, err := d.river.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("postgres: list jobs: %w", err)
	}
	jobs := make([]store.Job, 0, len(res.Jobs))
	for _, row := range res.Jobs {
		jobs = append(jobs, jobFromRow(row))
	}
	return jobs, nil
}

// JobGet returns one job.
func (d *DB) JobGet(ctx context.Context, id int64) (*store.Job, error) {
	row, err := d.river.JobGet(ctx, id)
	if err != nil {
		return nil, jobErr("get", id, err)
	}
	j := jobFromRow(row)
	return &j, nil
}

// JobRetry makes a job available to be worked again now.
func (d *DB) JobRetry(ctx context.Context, id int64) (*store.Job, error) {
	row, err := d.river.JobRetry(ctx, id)
	if err != nil {
		return nil, jobErr("retry", id, err)
	}
	j := jobFromRow(row)
	return &j, nil
}

func jobErr(op string, id int64, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("postgres: %s job %d: %w", op, id, store.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s job %d: %w", op, id, err)
}

func validJobState(s string) bool {
	for _, st := range rivertype.JobStates() {
		if string(st) == s {
			return true
		}
	}
	return false
}

func jobFromRow(row *rivertype.JobRow) store.Job {
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
