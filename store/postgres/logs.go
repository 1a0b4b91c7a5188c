package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

func logFromRow(r dbsqlc.Log) (*keyhook.LogEntry, error) {
	e := &keyhook.LogEntry{
		LogID: r.LogID, Date: r.Date.UTC(), Type: r.Type, Description: r.Description, Connection: r.Connection,
		ConnectionID: r.ConnectionID, ClientID: r.ClientID, ClientName: r.ClientName, IP: r.Ip,
		Hostname: r.Hostname, UserID: r.UserID, UserName: r.UserName, Audience: r.Audience, Scope: r.Scope,
		Strategy: r.Strategy, StrategyType: r.StrategyType, UserAgent: r.UserAgent,
	}
	var j jsonCols
	j.decode(r.Details, &e.Details)
	return e, j.err
}

func (q *queries) LogCreate(ctx context.Context, e *keyhook.LogEntry) error {
	p, err := logParams(e)
	if err != nil {
		return err
	}
	return dbErr("create log", q.db.LogCreate(ctx, p))
}

// LogCreateBatch inserts entries in one transaction, the inserts sent
// pipelined in one round trip. The transaction commits asynchronously
// (synchronous_commit off, for it alone): the entries are in the database
// before it answers, so keyhook crashing loses none, but a crash of the
// database server itself within its WAL writer's delay (about three times
// wal_writer_delay, 600 ms by default) may lose the newest entries, and the
// caller does not wait for a disk flush per batch. Entries written inside a
// caller's transaction (LogCreate on a Tx) keep the database's setting.
func (d *DB) LogCreateBatch(ctx context.Context, entries []*keyhook.LogEntry) error {
	params := make([]dbsqlc.LogCreateBatchParams, len(entries))
	for i, e := range entries {
		p, err := logParams(e)
		if err != nil {
			return err
		}
		params[i] = dbsqlc.LogCreateBatchParams(p)
	}
	return d.runTx(ctx, func(pgTx pgx.Tx) error {
		if _, err := pgTx.Exec(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
			return dbErr("create logs", err)
		}
		var first error
		dbsqlc.New(pgTx).LogCreateBatch(ctx, params).Exec(func(_ int, err error) {
			if first == nil {
				first = err
			}
		})
		return dbErr("create logs", first)
	})
}

// logParams fills e's id and date when unset and returns its insert's
// parameters.
func logParams(e *keyhook.LogEntry) (dbsqlc.LogCreateParams, error) {
	if e.Date.IsZero() {
		e.Date = time.Now()
	}
	e.Date = normTime(e.Date)
	if e.LogID == "" {
		e.LogID = keyhook.NewLogID(e.Date)
	}
	var j jsonArgs
	p := dbsqlc.LogCreateParams{
		LogID: e.LogID, Date: e.Date, Type: e.Type, Description: e.Description,
		Connection: e.Connection, ConnectionID: e.ConnectionID, ClientID: e.ClientID, ClientName: e.ClientName,
		Ip: e.IP, Hostname: e.Hostname, UserID: e.UserID, UserName: e.UserName, Audience: e.Audience,
		Scope: e.Scope, Strategy: e.Strategy, StrategyType: e.StrategyType, UserAgent: e.UserAgent,
		Details: j.encode(e.Details, "{}"),
	}
	if j.err != nil {
		return p, fmt.Errorf("postgres: create log: %w", j.err)
	}
	return p, nil
}

func (q *queries) LogGet(ctx context.Context, logID string) (*keyhook.LogEntry, error) {
	row, err := q.db.LogGet(ctx, logID)
	return oneOf("get log", row, err, logFromRow)
}

// Checkpoint mode's Take: default and maximum.
const (
	defaultTake = 50
	maxTake     = 100
)

// LogList picks the query of its filters and mode (see logs.sql): the one
// filtering by user, else by type, else none; each uses its index. The total
// counts the entries matching the filters; in checkpoint mode it ignores
// From.
func (q *queries) LogList(ctx context.Context, p store.LogListParams) ([]keyhook.LogEntry, int, error) {
	var total int64
	var err error
	switch {
	case p.UserID != "":
		total, err = q.db.LogCountByUser(ctx, dbsqlc.LogCountByUserParams{UserID: p.UserID, Type: p.Type})
	case p.Type != "":
		total, err = q.db.LogCountByType(ctx, p.Type)
	default:
		total, err = q.db.LogCount(ctx)
	}
	if err != nil {
		return nil, 0, dbErr("list logs", err)
	}
	var rows []dbsqlc.Log
	if p.Checkpoint || p.From != "" || p.Take != 0 {
		take := int32(p.Take)
		if take <= 0 {
			take = defaultTake
		}
		take = min(take, maxTake)
		switch {
		case p.UserID != "":
			rows, err = q.db.LogCheckpointByUser(ctx, dbsqlc.LogCheckpointByUserParams{UserID: p.UserID, Type: p.Type, From: p.From, Take: take})
		case p.Type != "":
			rows, err = q.db.LogCheckpointByType(ctx, dbsqlc.LogCheckpointByTypeParams{Type: p.Type, From: p.From, Take: take})
		default:
			rows, err = q.db.LogCheckpoint(ctx, dbsqlc.LogCheckpointParams{From: p.From, Take: take})
		}
	} else {
		limit, offset := limitOffset(p.PageParams)
		switch {
		case p.UserID != "":
			rows, err = q.db.LogListByUser(ctx, dbsqlc.LogListByUserParams{
				UserID: p.UserID, Type: p.Type, Ascending: p.Ascending, Limit: limit, Offset: offset,
			})
		case p.Type != "":
			rows, err = q.db.LogListByType(ctx, dbsqlc.LogListByTypeParams{Type: p.Type, Ascending: p.Ascending, Limit: limit, Offset: offset})
		case p.Ascending:
			rows, err = q.db.LogListOldest(ctx, dbsqlc.LogListOldestParams{Limit: limit, Offset: offset})
		default:
			rows, err = q.db.LogListNewest(ctx, dbsqlc.LogListNewestParams{Limit: limit, Offset: offset})
		}
	}
	entries, err := rowsOf("list logs", rows, err, logFromRow)
	if err != nil {
		return nil, 0, err
	}
	return entries, int(total), nil
}
