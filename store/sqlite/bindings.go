package sqlite

import (
	"context"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/sqlite/internal/column"
	"github.com/keyhook/keyhook/store/sqlite/internal/dbsqlc"
)

func bindingFromRow(r dbsqlc.ActionBinding) (*keyhook.Binding, error) {
	return &keyhook.Binding{
		ID: r.ID, TriggerID: keyhook.TriggerID(r.TriggerID), ActionID: r.ActionID, DisplayName: r.DisplayName,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}, nil
}

func (q *queries) BindingList(ctx context.Context, p store.BindingListParams) ([]keyhook.Binding, int, error) {
	total, err := q.db.BindingCount(ctx, string(p.TriggerID))
	if err != nil {
		return nil, 0, dbErr("list bindings", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.BindingList(ctx, dbsqlc.BindingListParams{TriggerID: string(p.TriggerID), Limit: limit, Offset: offset})
	bindings, err := rowsOf("list bindings", rows, err, bindingFromRow)
	if err != nil {
		return nil, 0, err
	}
	return bindings, int(total), nil
}

// BindingsUpdate reads, changes and writes the list in one write
// transaction, which no other writer can interleave with.
func (q *queries) BindingsUpdate(ctx context.Context, trigger keyhook.TriggerID,
	fn func(cur []keyhook.Binding) ([]keyhook.Binding, error)) ([]keyhook.Binding, error) {
	var out []keyhook.Binding
	err := q.write(ctx, func(q *queries) error {
		rows, err := q.db.BindingListAll(ctx, string(trigger))
		cur, err := rowsOf("update bindings", rows, err, bindingFromRow)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return fmt.Errorf("sqlite: update bindings: %w", err)
		}
		if err := q.db.BindingDeleteTrigger(ctx, string(trigger)); err != nil {
			return dbErr("update bindings", err)
		}
		for i := range next {
			b := &next[i]
			if err := requireID("binding", b.ID); err != nil {
				return err
			}
			b.TriggerID = trigger
			stamp(&b.CreatedAt, &b.UpdatedAt)
			err := q.db.BindingCreate(ctx, dbsqlc.BindingCreateParams{
				ID: b.ID, TriggerID: string(trigger), Position: int64(i), ActionID: b.ActionID,
				DisplayName: b.DisplayName, CreatedAt: column.Of(b.CreatedAt), UpdatedAt: column.Of(b.UpdatedAt),
			})
			if isForeignKeyError(err) {
				return fmt.Errorf("sqlite: update bindings: action %s: %w", b.ActionID, store.ErrNotFound)
			}
			if err != nil {
				return dbErr("update bindings", err)
			}
		}
		rows, err = q.db.BindingListAll(ctx, string(trigger))
		out, err = rowsOf("update bindings", rows, err, bindingFromRow)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isForeignKeyError(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func (q *queries) BindingListDeployed(ctx context.Context, trigger keyhook.TriggerID) ([]store.DeployedBinding, error) {
	rows, err := q.db.BindingListDeployed(ctx, string(trigger))
	return rowsOf("list deployed bindings", rows, err, func(r dbsqlc.BindingListDeployedRow) (*store.DeployedBinding, error) {
		b, _ := bindingFromRow(r.ActionBinding)
		v, err := q.versionFromRow(r.ActionVersion)
		if err != nil {
			return nil, err
		}
		return &store.DeployedBinding{Binding: *b, ActionName: r.ActionName, Version: *v}, nil
	})
}
