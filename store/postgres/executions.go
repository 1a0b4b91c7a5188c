package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// executionPruneBatch bounds the expired executions one ExecutionCreate
// deletes: more than one, so deletion catches up after a quiet spell.
const executionPruneBatch = 100

// normSteps gives steps the form a read returns.
func normSteps(steps []keyhook.ExecutionStep) []keyhook.ExecutionStep {
	if steps == nil {
		return []keyhook.ExecutionStep{}
	}
	for i := range steps {
		s := &steps[i]
		s.StartedAt, s.EndedAt = normTime(s.StartedAt), normTime(s.EndedAt)
		if s.Commands == nil {
			s.Commands = []keyhook.ExecutionCommand{}
		}
		for j := range s.Commands {
			if s.Commands[j].Args == nil {
				s.Commands[j].Args = []any{}
			}
		}
	}
	return steps
}

func (q *queries) ExecutionCreate(ctx context.Context, e *keyhook.Execution) error {
	if err := requireID("execution", e.ID); err != nil {
		return err
	}
	stamp(&e.CreatedAt, &e.UpdatedAt)
	e.Steps = normSteps(e.Steps)
	steps, err := json.Marshal(e.Steps)
	if err != nil {
		return fmt.Errorf("postgres: create execution: %w", err)
	}
	// Decoded again so the caller's struct holds what a read returns
	// (JSON numbers in command arguments become float64).
	var decoded []keyhook.ExecutionStep
	if err := json.Unmarshal(steps, &decoded); err != nil {
		return fmt.Errorf("postgres: create execution: %w", err)
	}
	e.Steps = normSteps(decoded)
	return q.inTx(ctx, func(q *queries) error {
		if _, err := q.db.ExecutionPrune(ctx, dbsqlc.ExecutionPruneParams{
			Before: normTime(time.Now().Add(-keyhook.ExecutionRetention)), Batch: executionPruneBatch,
		}); err != nil {
			return dbErr("create execution", err)
		}
		return dbErr("create execution", q.db.ExecutionCreate(ctx, dbsqlc.ExecutionCreateParams{
			ID: e.ID, TriggerID: string(e.TriggerID), Status: string(e.Status), Steps: steps,
			CreatedAt: normTime(e.CreatedAt), UpdatedAt: normTime(e.UpdatedAt),
		}))
	})
}

func (q *queries) ExecutionGet(ctx context.Context, id string) (*keyhook.Execution, error) {
	row, err := q.db.ExecutionGet(ctx, dbsqlc.ExecutionGetParams{ID: id, NotBefore: normTime(time.Now().Add(-keyhook.ExecutionRetention))})
	return oneOf("get execution", row, err, func(r dbsqlc.ActionExecution) (*keyhook.Execution, error) {
		e := &keyhook.Execution{
			ID: r.ID, TriggerID: keyhook.TriggerID(r.TriggerID), Status: keyhook.ExecutionStatus(r.Status),
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		}
		var j jsonCols
		j.decode(r.Steps, &e.Steps)
		e.Steps = normSteps(e.Steps)
		return e, j.err
	})
}
