package postgres

import (
	"context"
	"fmt"

	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/riverjobs"
)

// JobList lists jobs oldest first.
func (d *DB) JobList(ctx context.Context, p store.JobListParams) ([]store.Job, error) {
	jobs, err := riverjobs.List(ctx, d.jobs.Client, p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return jobs, nil
}

// JobGet returns one job.
func (d *DB) JobGet(ctx context.Context, id int64) (*store.Job, error) {
	j, err := riverjobs.Get(ctx, d.jobs.Client, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return j, nil
}

// JobRetry makes a job available to be worked again now.
func (d *DB) JobRetry(ctx context.Context, id int64) (*store.Job, error) {
	j, err := riverjobs.Retry(ctx, d.jobs.Client, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return j, nil
}
