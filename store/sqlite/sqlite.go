package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/riverjobs"
	"github.com/keyhook/keyhook/store/sqlite/internal/dbsqlc"
)

// Config configures Open.
type Config struct {
	// Path is the database file; it is created if missing.
	Path string
	// Sealer encrypts hook secrets, action secrets and signing keys at
	// rest. Required.
	Sealer store.Sealer
	// Logger receives River's logs; slog.Default() if nil.
	Logger *slog.Logger
	// Workers are the job workers. Nil opens an insert-only queue client:
	// jobs can be inserted and listed but JobsStart fails. Workers may be
	// added to the bundle after Open, until JobsStart.
	Workers *river.Workers
	// JobPollInterval is how often River polls for new jobs; 200 ms if zero.
	JobPollInterval time.Duration
	// JobTimeout bounds one job attempt (River's JobTimeout; a worker's own
	// Timeout overrides it). A job still running a margin past it was left
	// by a crash and is retried (riverjobs.RescueAfter). River's defaults
	// (one minute; rescue after one hour) if zero.
	JobTimeout time.Duration
}

// defaultJobPollInterval is short because SQLite has no LISTEN/NOTIFY: polling
// is how a node notices jobs another process inserted.
const defaultJobPollInterval = 200 * time.Millisecond

// maxOpenConns bounds the pool; see the package comment for why it is not 1.
const maxOpenConns = 8

// DB is a keyhook database in one SQLite file.
type DB struct {
	queries
	db *sql.DB
	// prepared holds every query, prepared once on the pool; transactions
	// use them through WithTx.
	prepared *dbsqlc.Queries
	jobs     riverjobs.Queue[*sql.Tx]
	writes   writeLock
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) and migrates the database at cfg.Path, then
// migrates River's tables in it.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: Config.Path is empty")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return nil, fmt.Errorf("sqlite: path %q may not contain '?' or '#'", cfg.Path)
	}
	if cfg.Sealer == nil {
		return nil, errors.New("sqlite: Config.Sealer is nil")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	poll := cfg.JobPollInterval
	if poll <= 0 {
		poll = defaultJobPollInterval
	}

	// The file holds password and client-secret hashes: create it private
	// before SQLite creates it with the umask's mode.
	if f, err := os.OpenFile(cfg.Path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		_ = f.Close()
	}
	db, err := sql.Open("sqlite", dsn(cfg.Path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	prepared, err := dbsqlc.Prepare(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: prepare queries: %w", err)
	}
	closeAll := func() {
		_ = prepared.Close()
		_ = db.Close()
	}
	if err := checkSecretKey(ctx, prepared, cfg.Sealer); err != nil {
		closeAll()
		return nil, err
	}
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: river migrations: %w", err)
	}

	rcfg := &river.Config{
		Logger:            logger,
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, river.FetchCooldownDefault),
		Workers:           cfg.Workers,
		JobTimeout:        cfg.JobTimeout,
		// Running jobs of a crashed node are retried soon after they
		// would have timed out, not after River's default hour.
		RescueStuckJobsAfter: riverjobs.RescueAfter(cfg.JobTimeout),
	}
	if cfg.Workers != nil {
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	}
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("sqlite: river client: %w", err)
	}

	d := &DB{db: db, prepared: prepared, jobs: riverjobs.Queue[*sql.Tx]{Client: client, HasWorkers: cfg.Workers != nil}, writes: newWriteLock()}
	d.queries = queries{db: prepared, sealer: cfg.Sealer, begin: d.beginQueries}
	return d, nil
}

// dsn builds the modernc.org/sqlite connection string. The pragmas run on
// every new connection of the pool.
func dsn(path string) string {
	return path + "?" + strings.Join([]string{
		"_pragma=busy_timeout(10000)", // busyTimeout
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_txlock=immediate",
	}, "&")
}

// InTx runs fn in one IMMEDIATE transaction. It rolls back if fn returns an
// error or panics (and then re-panics).
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return d.runTx(ctx, func(sqlTx *sql.Tx) error {
		t := &tx{sqlTx: sqlTx, river: d.jobs.Client}
		t.queries = queries{db: d.prepared.WithTx(sqlTx), sealer: d.sealer}
		return fn(ctx, t)
	})
}

// beginQueries is queries.begin of the DB: the Store's own updates run in
// a transaction of their own.
func (d *DB) beginQueries(ctx context.Context, fn func(q *queries) error) error {
	return d.runTx(ctx, func(sqlTx *sql.Tx) error {
		return fn(&queries{db: d.prepared.WithTx(sqlTx), sealer: d.sealer})
	})
}

// runTx runs fn in one IMMEDIATE transaction, holding this process's write
// lock throughout.
func (d *DB) runTx(ctx context.Context, fn func(sqlTx *sql.Tx) error) error {
	if err := d.writes.acquire(ctx); err != nil {
		return err
	}
	defer d.writes.release()
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(sqlTx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	committed = true
	return nil
}

// LogCreateBatch inserts the entries in one transaction.
func (d *DB) LogCreateBatch(ctx context.Context, entries []*keyhook.LogEntry) error {
	return d.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, e := range entries {
			if err := tx.LogCreate(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// JobsStart starts working jobs.
func (d *DB) JobsStart(ctx context.Context) error {
	if err := d.jobs.Start(ctx); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// Close stops working jobs (waiting up to 10 s for running ones, then
// cancelling them) and closes the database.
func (d *DB) Close() error {
	already, stopErr := d.jobs.Stop()
	if already {
		return nil
	}
	if err := errors.Join(d.prepared.Close(), d.db.Close()); err != nil {
		return fmt.Errorf("sqlite: close: %w", errors.Join(stopErr, err))
	}
	if stopErr != nil {
		return fmt.Errorf("sqlite: %w", stopErr)
	}
	return nil
}

// tx is a store.Tx over one SQLite transaction.
type tx struct {
	queries
	sqlTx *sql.Tx
	river *river.Client[*sql.Tx]
}

// JobInsert enqueues job in the transaction: it exists only if the
// transaction commits.
func (t *tx) JobInsert(ctx context.Context, job store.JobArgs) error {
	if _, err := t.river.InsertTx(ctx, t.sqlTx, job, nil); err != nil {
		return fmt.Errorf("sqlite: insert job %s: %w", job.Kind(), err)
	}
	return nil
}
