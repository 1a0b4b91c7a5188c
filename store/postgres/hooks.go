package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

func hookFromRow(r dbsqlc.Hook) (*keyhook.Hook, error) {
	h := &keyhook.Hook{
		ID: r.ID, Name: r.Name, Script: r.Script, TriggerID: keyhook.TriggerID(r.TriggerID), Enabled: r.Enabled,
		Bundle: r.Bundle, BundleHash: r.BundleHash,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.Dependencies, &h.Dependencies)
	return h, j.err
}

func (q *queries) HookCreate(ctx context.Context, h *keyhook.Hook) error {
	if err := requireID("hook", h.ID); err != nil {
		return err
	}
	stamp(&h.CreatedAt, &h.UpdatedAt)
	var j jsonArgs
	p := dbsqlc.HookCreateParams{
		ID: h.ID, Name: h.Name, Script: h.Script, TriggerID: string(h.TriggerID), Enabled: h.Enabled,
		Bundle: h.Bundle, BundleHash: h.BundleHash,
		Dependencies: j.encode(h.Dependencies, "{}"), CreatedAt: normTime(h.CreatedAt), UpdatedAt: normTime(h.UpdatedAt),
	}
	if j.err != nil {
		return fmt.Errorf("postgres: create hook: %w", j.err)
	}
	return dbErr("create hook", q.db.HookCreate(ctx, p))
}

func (q *queries) HookGet(ctx context.Context, id string) (*keyhook.Hook, error) {
	row, err := q.db.HookGet(ctx, id)
	return oneOf("get hook", row, err, hookFromRow)
}

func (q *queries) HookGetEnabled(ctx context.Context, trigger keyhook.TriggerID) (*keyhook.Hook, error) {
	row, err := q.db.HookGetEnabled(ctx, string(trigger))
	return oneOf("get enabled hook", row, err, hookFromRow)
}

func (q *queries) HookList(ctx context.Context, p store.HookListParams) ([]keyhook.Hook, int, error) {
	filterEnabled, enabled := p.Enabled != nil, p.Enabled != nil && *p.Enabled
	total, err := q.db.HookCount(ctx, dbsqlc.HookCountParams{
		FilterEnabled: filterEnabled, Enabled: enabled, TriggerID: string(p.TriggerID),
	})
	if err != nil {
		return nil, 0, dbErr("list hooks", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.HookList(ctx, dbsqlc.HookListParams{
		FilterEnabled: filterEnabled, Enabled: enabled, TriggerID: string(p.TriggerID), Limit: limit, Offset: offset,
	})
	hooks, err := rowsOf("list hooks", rows, err, hookFromRow)
	if err != nil {
		return nil, 0, err
	}
	return hooks, int(total), nil
}

func (q *queries) HookUpdate(ctx context.Context, id string, fn func(h *keyhook.Hook) error) (*keyhook.Hook, error) {
	return update(ctx, q, "update hook",
		func(q *queries) (*keyhook.Hook, error) {
			row, err := q.db.HookGetForUpdate(ctx, id)
			return oneOf("update hook", row, err, hookFromRow)
		},
		func(h *keyhook.Hook) rowFields { return rowFields{&h.ID, &h.CreatedAt, &h.UpdatedAt} },
		fn, func(q *queries, h *keyhook.Hook) (*keyhook.Hook, error) {
			var j jsonArgs
			p := dbsqlc.HookUpdateParams{
				ID: h.ID, Name: h.Name, Script: h.Script, TriggerID: string(h.TriggerID), Enabled: h.Enabled,
				Bundle: h.Bundle, BundleHash: h.BundleHash,
				Dependencies: j.encode(h.Dependencies, "{}"), UpdatedAt: normTime(h.UpdatedAt),
			}
			if j.err != nil {
				return nil, fmt.Errorf("postgres: update hook: %w", j.err)
			}
			row, err := q.db.HookUpdate(ctx, p)
			return oneOf("update hook", row, err, hookFromRow)
		})
}

func (q *queries) HookDelete(ctx context.Context, id string) error {
	n, err := q.db.HookDelete(ctx, id)
	return mustAffect("delete hook", n, err)
}

func (q *queries) HookSecretsGet(ctx context.Context, hookID string) (map[string]string, error) {
	sealed, err := q.db.HookSecretsGet(ctx, hookID)
	if err != nil {
		return nil, dbErr("get hook secrets", err)
	}
	secrets := map[string]string{}
	if sealed == nil {
		return secrets, nil
	}
	plain, err := q.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("postgres: get hook secrets: %w", err)
	}
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, fmt.Errorf("postgres: get hook secrets: %w", err)
	}
	return secrets, nil
}

// HookSecretsPut seals the whole name -> value map as one value, so names are
// not visible at rest either.
func (q *queries) HookSecretsPut(ctx context.Context, hookID string, secrets map[string]string) error {
	if secrets == nil {
		secrets = map[string]string{}
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return fmt.Errorf("postgres: put hook secrets: %w", err)
	}
	sealed, err := q.sealer.Seal(plain)
	if err != nil {
		return fmt.Errorf("postgres: put hook secrets: %w", err)
	}
	n, err := q.db.HookSecretsPut(ctx, dbsqlc.HookSecretsPutParams{HookID: hookID, Sealed: sealed})
	return mustAffect("put hook secrets", n, err)
}

// HookSecretsUpdate reads, changes and writes the secret set with the hook's
// row locked (see HookGetForUpdate in hooks.sql).
func (q *queries) HookSecretsUpdate(ctx context.Context, hookID string,
	fn func(cur map[string]string) (map[string]string, error)) (map[string]string, error) {
	var secrets map[string]string
	err := q.inTx(ctx, func(q *queries) error {
		if _, err := q.db.HookGetForUpdate(ctx, hookID); err != nil {
			return dbErr("update hook secrets", err)
		}
		cur, err := q.HookSecretsGet(ctx, hookID)
		if err != nil {
			return err
		}
		if secrets, err = fn(cur); err != nil {
			return fmt.Errorf("postgres: update hook secrets: %w", err)
		}
		if secrets == nil {
			secrets = map[string]string{}
		}
		return q.HookSecretsPut(ctx, hookID, secrets)
	})
	if err != nil {
		return nil, err
	}
	return secrets, nil
}
