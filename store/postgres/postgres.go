package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
	"github.com/keyhook/keyhook/store/riverjobs"
)

// Config configures Open.
type Config struct {
	// URL is a PostgreSQL connection string (postgres://… or key=value).
	URL string
	// Schema, when set, holds all of keyhook's and River's tables; it is
	// created if missing. Empty means the connection's search_path (public).
	// Tests use a schema each for isolation.
	Schema string
	// Sealer encrypts hook secrets, action secrets and signing keys at
	// rest. Required.
	Sealer store.Sealer
	// Logger receives River's logs; slog.Default() if nil.
	Logger *slog.Logger
	// Workers are the job workers. Nil opens an insert-only queue client:
	// jobs can be inserted and listed but JobsStart fails. Workers may be
	// added to the bundle after Open, until JobsStart.
	Workers *river.Workers
	// JobPollInterval is how often River polls for jobs as a fallback to
	// LISTEN/NOTIFY; River's default (1 s) if zero.
	JobPollInterval time.Duration
	// JobTimeout bounds one job attempt (River's JobTimeout; a worker's own
	// Timeout overrides it). A job still running a margin past it was left
	// by a crash and is retried (riverjobs.RescueAfter). River's defaults
	// (one minute; rescue after one hour) if zero.
	JobTimeout time.Duration
}

// DB is a keyhook database in PostgreSQL.
type DB struct {
	queries
	pool *pgxpool.Pool
	jobs riverjobs.Queue[pgx.Tx]
}

var _ store.Store = (*DB)(nil)

// schemaName is what Config.Schema may be: it is used as an identifier.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects, creates the schema if configured, and migrates keyhook's
// and River's tables in one transaction under an advisory lock, so nodes
// starting together migrate once.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.URL == "" {
		return nil, errors.New("postgres: Config.URL is empty")
	}
	if cfg.Sealer == nil {
		return nil, errors.New("postgres: Config.Sealer is nil")
	}
	if cfg.Schema != "" && !schemaName.MatchString(cfg.Schema) {
		return nil, fmt.Errorf("postgres: schema %q is not a lower-case identifier", cfg.Schema)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}

	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	driver := riverpgxv5.New(pool)
	if err := migrate(ctx, pool, driver, cfg.Schema, logger); err != nil {
		pool.Close()
		return nil, err
	}
	if err := checkSecretKey(ctx, dbsqlc.New(pool), cfg.Sealer); err != nil {
		pool.Close()
		return nil, err
	}

	rcfg := &river.Config{
		Logger:            logger,
		Schema:            cfg.Schema,
		FetchPollInterval: cfg.JobPollInterval,
		Workers:           cfg.Workers,
		JobTimeout:        cfg.JobTimeout,
		// Running jobs of a crashed node are retried soon after they
		// would have timed out, not after River's default hour.
		RescueStuckJobsAfter: riverjobs.RescueAfter(cfg.JobTimeout),
	}
	if cfg.JobPollInterval > 0 {
		rcfg.FetchCooldown = min(cfg.JobPollInterval, river.FetchCooldownDefault)
	}
	if cfg.Workers != nil {
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	}
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: river client: %w", err)
	}

	d := &DB{pool: pool, jobs: riverjobs.Queue[pgx.Tx]{Client: client, HasWorkers: cfg.Workers != nil}}
	d.queries = queries{db: dbsqlc.New(pool), sealer: cfg.Sealer, begin: d.beginQueries}
	return d, nil
}

// InTx runs fn in one READ COMMITTED transaction. It rolls back if fn
// returns an error or panics (and then re-panics).
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return d.runTx(ctx, func(pgTx pgx.Tx) error {
		t := &tx{pgTx: pgTx, river: d.jobs.Client}
		t.queries = queries{db: dbsqlc.New(pgTx), sealer: d.sealer}
		return fn(ctx, t)
	})
}

// beginQueries is queries.begin of the DB: the Store's own updates run in
// a transaction of their own.
func (d *DB) beginQueries(ctx context.Context, fn func(q *queries) error) error {
	return d.runTx(ctx, func(pgTx pgx.Tx) error {
		return fn(&queries{db: dbsqlc.New(pgTx), sealer: d.sealer})
	})
}

// runTx runs fn in one READ COMMITTED transaction.
func (d *DB) runTx(ctx context.Context, fn func(pgTx pgx.Tx) error) error {
	pgTx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// A fresh context: ctx may be the reason we are rolling back.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = pgTx.Rollback(rctx)
			cancel()
		}
	}()
	if err := fn(pgTx); err != nil {
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	committed = true
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// JobsStart starts working jobs.
func (d *DB) JobsStart(ctx context.Context) error {
	if err := d.jobs.Start(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Close stops working jobs (waiting up to 10 s for running ones, then
// cancelling them) and closes the pool.
func (d *DB) Close() error {
	already, stopErr := d.jobs.Stop()
	if already {
		return nil
	}
	d.pool.Close()
	if stopErr != nil {
		return fmt.Errorf("postgres: %w", stopErr)
	}
	return nil
}

// tx is a store.Tx over one PostgreSQL transaction.
type tx struct {
	queries
	pgTx  pgx.Tx
	river *river.Client[pgx.Tx]
}

// JobInsert enqueues job in the transaction: it exists only if the
// transaction commits.
func (t *tx) JobInsert(ctx context.Context, job store.JobArgs) error {
	if _, err := t.river.InsertTx(ctx, t.pgTx, job, nil); err != nil {
		return fmt.Errorf("postgres: insert job %s: %w", job.Kind(), err)
	}
	return nil
}
