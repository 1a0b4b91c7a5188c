// Package tenantlog writes tenant log entries (Auth0's log objects) and
// attaches the executions of extensibility code to them. An entry that must
// commit with a change is written in the change's transaction (Write); every
// other entry goes through a Writer, which group-commits entries of
// concurrent requests.
//
// It imports the domain package, store and the standard library.
package tenantlog

import (
	"context"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// Write stores e through q (a Tx, or a Store for a transaction of its own),
// filling its id and date.
func Write(ctx context.Context, q store.Querier, e *keyhook.LogEntry) error {
	fill(e)
	if err := q.LogCreate(ctx, e); err != nil {
		return fmt.Errorf("tenantlog: write %s: %w", e.Type, err)
	}
	return nil
}

func fill(e *keyhook.LogEntry) {
	if e.Date.IsZero() {
		e.Date = time.Now().UTC()
	}
	if e.LogID == "" {
		e.LogID = keyhook.NewLogID(e.Date)
	}
}

// WithExecutions records the hook executions of an operation in
// e.Details["hooks"]; nothing is added when there were none.
func WithExecutions(e *keyhook.LogEntry, execs []keyhook.HookExecution) {
	if len(execs) == 0 {
		return
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details["hooks"] = execs
}
