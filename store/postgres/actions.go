package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres/internal/dbsqlc"
)

// sealedSecret is one action secret inside the sealed JSON of a secrets
// column.
type sealedSecret struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// sealSecrets seals the whole list as one value, as hook secrets are, so
// names are not visible at rest either.
func (q *queries) sealSecrets(secrets []keyhook.ActionSecret) ([]byte, error) {
	list := make([]sealedSecret, len(secrets))
	for i, s := range secrets {
		list[i] = sealedSecret{Name: s.Name, Value: s.Value, UpdatedAt: normTime(s.UpdatedAt)}
	}
	plain, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return q.sealer.Seal(plain)
}

func (q *queries) openSecrets(sealed []byte) ([]keyhook.ActionSecret, error) {
	plain, err := q.sealer.Open(sealed)
	if err != nil {
		return nil, err
	}
	var list []sealedSecret
	if err := json.Unmarshal(plain, &list); err != nil {
		return nil, err
	}
	out := make([]keyhook.ActionSecret, len(list))
	for i, s := range list {
		out[i] = keyhook.ActionSecret{Name: s.Name, Value: s.Value, UpdatedAt: s.UpdatedAt.UTC()}
	}
	return out, nil
}

// normAction gives an action the form a read returns: empty lists, times in
// the stored precision.
func normAction(a *keyhook.Action) {
	if a.SupportedTriggers == nil {
		a.SupportedTriggers = []keyhook.TriggerRef{}
	}
	if a.Dependencies == nil {
		a.Dependencies = []keyhook.Dependency{}
	}
	if a.Secrets == nil {
		a.Secrets = []keyhook.ActionSecret{}
	}
	for i := range a.Secrets {
		a.Secrets[i].UpdatedAt = normTime(a.Secrets[i].UpdatedAt)
	}
	a.BuiltAt = normNullTime(a.BuiltAt)
}

func normVersion(v *keyhook.ActionVersion) {
	if v.SupportedTriggers == nil {
		v.SupportedTriggers = []keyhook.TriggerRef{}
	}
	if v.Dependencies == nil {
		v.Dependencies = []keyhook.Dependency{}
	}
	if v.Secrets == nil {
		v.Secrets = []keyhook.ActionSecret{}
	}
	for i := range v.Secrets {
		v.Secrets[i].UpdatedAt = normTime(v.Secrets[i].UpdatedAt)
	}
	v.BuiltAt = normTime(v.BuiltAt)
	v.CreatedAt, v.UpdatedAt = normTime(v.CreatedAt), normTime(v.UpdatedAt)
}

func (q *queries) actionFromRow(r dbsqlc.Action) (*keyhook.Action, error) {
	a := &keyhook.Action{
		ID: r.ID, Name: r.Name, Code: r.Code, Runtime: r.Runtime, Status: keyhook.ActionStatus(r.Status),
		BuildError: r.BuildError, Bundle: r.Bundle, BundleHash: r.BundleHash, BuiltAt: utcPtr(r.BuiltAt),
		Revision: r.Revision, DeployWhenBuilt: r.DeployWhenBuilt, DeployedVersionID: r.DeployedVersionID,
		DeployedVersion: int(r.DeployedVersionNumber), AllChangesDeployed: r.AllChangesDeployed,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.SupportedTriggers, &a.SupportedTriggers)
	j.decode(r.Dependencies, &a.Dependencies)
	if j.err != nil {
		return nil, j.err
	}
	secrets, err := q.openSecrets(r.Secrets)
	if err != nil {
		return nil, fmt.Errorf("action %s secrets: %w", r.ID, err)
	}
	a.Secrets = secrets
	return a, nil
}

// actionArgs encodes the columns an insert and an update share.
type actionArgs struct {
	triggers, deps []byte
	secrets        []byte
}

func (q *queries) encodeAction(a *keyhook.Action) (actionArgs, error) {
	var j jsonArgs
	args := actionArgs{triggers: j.encode(a.SupportedTriggers, "[]"), deps: j.encode(a.Dependencies, "[]")}
	if j.err != nil {
		return args, j.err
	}
	var err error
	args.secrets, err = q.sealSecrets(a.Secrets)
	return args, err
}

func (q *queries) ActionCreate(ctx context.Context, a *keyhook.Action) error {
	if err := requireID("action", a.ID); err != nil {
		return err
	}
	stamp(&a.CreatedAt, &a.UpdatedAt)
	normAction(a)
	args, err := q.encodeAction(a)
	if err != nil {
		return fmt.Errorf("postgres: create action: %w", err)
	}
	p := dbsqlc.ActionCreateParams{
		ID: a.ID, Name: a.Name, SupportedTriggers: args.triggers, Code: a.Code, Runtime: a.Runtime,
		Dependencies: args.deps, Secrets: args.secrets, Status: string(a.Status), BuildError: a.BuildError,
		Bundle: a.Bundle, BundleHash: a.BundleHash, BuiltAt: normNullTime(a.BuiltAt), Revision: a.Revision,
		DeployWhenBuilt: a.DeployWhenBuilt, DeployedVersionID: a.DeployedVersionID,
		DeployedVersionNumber: int32(a.DeployedVersion), AllChangesDeployed: a.AllChangesDeployed,
		CreatedAt: normTime(a.CreatedAt), UpdatedAt: normTime(a.UpdatedAt),
	}
	return dbErr("create action", q.db.ActionCreate(ctx, p))
}

func (q *queries) ActionGet(ctx context.Context, id string) (*keyhook.Action, error) {
	row, err := q.db.ActionGet(ctx, id)
	return oneOf("get action", row, err, q.actionFromRow)
}

func (q *queries) ActionGetByName(ctx context.Context, name string) (*keyhook.Action, error) {
	row, err := q.db.ActionGetByName(ctx, name)
	return oneOf("get action by name", row, err, q.actionFromRow)
}

func (q *queries) ActionList(ctx context.Context, p store.ActionListParams) ([]keyhook.Action, int, error) {
	filterDeployed, deployed := p.Deployed != nil, p.Deployed != nil && *p.Deployed
	total, err := q.db.ActionCount(ctx, dbsqlc.ActionCountParams{
		TriggerID: string(p.TriggerID), Name: p.Name, FilterDeployed: filterDeployed, Deployed: deployed,
	})
	if err != nil {
		return nil, 0, dbErr("list actions", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.ActionList(ctx, dbsqlc.ActionListParams{
		TriggerID: string(p.TriggerID), Name: p.Name, FilterDeployed: filterDeployed, Deployed: deployed,
		Limit: limit, Offset: offset,
	})
	actions, err := rowsOf("list actions", rows, err, q.actionFromRow)
	if err != nil {
		return nil, 0, err
	}
	return actions, int(total), nil
}

// putAction writes every column of an action's row and returns it as
// stored.
func (q *queries) putAction(ctx context.Context, op string, a *keyhook.Action) (*keyhook.Action, error) {
	normAction(a)
	args, err := q.encodeAction(a)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	row, err := q.db.ActionUpdate(ctx, dbsqlc.ActionUpdateParams{
		ID: a.ID, Name: a.Name, SupportedTriggers: args.triggers, Code: a.Code, Runtime: a.Runtime,
		Dependencies: args.deps, Secrets: args.secrets, Status: string(a.Status), BuildError: a.BuildError,
		Bundle: a.Bundle, BundleHash: a.BundleHash, BuiltAt: normNullTime(a.BuiltAt), Revision: a.Revision,
		DeployWhenBuilt: a.DeployWhenBuilt, DeployedVersionID: a.DeployedVersionID,
		DeployedVersionNumber: int32(a.DeployedVersion), AllChangesDeployed: a.AllChangesDeployed,
		UpdatedAt: normTime(a.UpdatedAt),
	})
	return oneOf(op, row, err, q.actionFromRow)
}

func (q *queries) ActionUpdate(ctx context.Context, id string, fn func(a *keyhook.Action) error) (*keyhook.Action, error) {
	return update(ctx, q, "update action",
		func(q *queries) (*keyhook.Action, error) {
			row, err := q.db.ActionGetForUpdate(ctx, id)
			return oneOf("update action", row, err, q.actionFromRow)
		},
		func(a *keyhook.Action) rowFields { return rowFields{&a.ID, &a.CreatedAt, &a.UpdatedAt} },
		func(a *keyhook.Action) error {
			// Only ActionDeploy changes the deployed version.
			versionID, number := a.DeployedVersionID, a.DeployedVersion
			if err := fn(a); err != nil {
				return err
			}
			a.DeployedVersionID, a.DeployedVersion = versionID, number
			return nil
		},
		func(q *queries, a *keyhook.Action) (*keyhook.Action, error) {
			return q.putAction(ctx, "update action", a)
		})
}

// ActionDelete locks the action's row first: a binding being inserted holds
// a key-share lock on it until its transaction ends, so the count below
// sees every binding committed before the delete.
func (q *queries) ActionDelete(ctx context.Context, id string, force bool) error {
	return q.inTx(ctx, func(q *queries) error {
		if _, err := q.db.ActionGetForUpdate(ctx, id); err != nil {
			return dbErr("delete action", err)
		}
		n, err := q.db.ActionBindingCount(ctx, id)
		if err != nil {
			return dbErr("delete action", err)
		}
		if n > 0 && !force {
			return fmt.Errorf("postgres: delete action: bound to %d trigger(s): %w", n, store.ErrConflict)
		}
		n, err = q.db.ActionDelete(ctx, id)
		return mustAffect("delete action", n, err)
	})
}

func (q *queries) ActionDeploy(ctx context.Context, actionID string,
	fn func(a *keyhook.Action, v *keyhook.ActionVersion) error) (*keyhook.ActionVersion, error) {
	var out *keyhook.ActionVersion
	err := q.inTx(ctx, func(q *queries) error {
		row, err := q.db.ActionGetForUpdate(ctx, actionID)
		a, err := oneOf("deploy action", row, err, q.actionFromRow)
		if err != nil {
			return err
		}
		next, err := q.db.ActionVersionNextNumber(ctx, actionID)
		if err != nil {
			return dbErr("deploy action", err)
		}
		now := normTime(time.Now())
		v := &keyhook.ActionVersion{ActionID: actionID, Number: int(next), CreatedAt: now, UpdatedAt: now}
		created, updated := a.CreatedAt, a.UpdatedAt
		if err := fn(a, v); err != nil {
			return fmt.Errorf("postgres: deploy action: %w", err)
		}
		a.ID, a.CreatedAt = actionID, created
		v.ActionID, v.Number = actionID, int(next)
		if err := requireID("action version", v.ID); err != nil {
			return err
		}
		normVersion(v)
		var j jsonArgs
		triggers, deps := j.encode(v.SupportedTriggers, "[]"), j.encode(v.Dependencies, "[]")
		if j.err != nil {
			return fmt.Errorf("postgres: deploy action: %w", j.err)
		}
		secrets, err := q.sealSecrets(v.Secrets)
		if err != nil {
			return fmt.Errorf("postgres: deploy action: %w", err)
		}
		if err := q.db.ActionVersionCreate(ctx, dbsqlc.ActionVersionCreateParams{
			ID: v.ID, ActionID: actionID, Number: next, Code: v.Code, Runtime: v.Runtime,
			SupportedTriggers: triggers, Dependencies: deps, Secrets: secrets, Bundle: v.Bundle,
			BundleHash: v.BundleHash, BuiltAt: normTime(v.BuiltAt), CreatedAt: normTime(v.CreatedAt),
			UpdatedAt: normTime(v.UpdatedAt),
		}); err != nil {
			return dbErr("deploy action", err)
		}
		a.DeployedVersionID, a.DeployedVersion = v.ID, v.Number
		if a.UpdatedAt.IsZero() || a.UpdatedAt.Equal(updated) {
			a.UpdatedAt = time.Now()
		}
		if _, err := q.putAction(ctx, "deploy action", a); err != nil {
			return err
		}
		if err := q.db.ActionVersionPrune(ctx, dbsqlc.ActionVersionPruneParams{
			ActionID: actionID, Keep: keyhook.MaxActionVersions,
		}); err != nil {
			return dbErr("deploy action", err)
		}
		out, err = q.ActionVersionGet(ctx, actionID, v.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (q *queries) versionFromRow(r dbsqlc.ActionVersion) (*keyhook.ActionVersion, error) {
	v := &keyhook.ActionVersion{
		ID: r.ID, ActionID: r.ActionID, Number: int(r.Number), Code: r.Code, Runtime: r.Runtime,
		Bundle: r.Bundle, BundleHash: r.BundleHash, BuiltAt: r.BuiltAt.UTC(),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var j jsonCols
	j.decode(r.SupportedTriggers, &v.SupportedTriggers)
	j.decode(r.Dependencies, &v.Dependencies)
	if j.err != nil {
		return nil, j.err
	}
	secrets, err := q.openSecrets(r.Secrets)
	if err != nil {
		return nil, fmt.Errorf("action version %s secrets: %w", r.ID, err)
	}
	v.Secrets = secrets
	return v, nil
}

func (q *queries) ActionVersionGet(ctx context.Context, actionID, versionID string) (*keyhook.ActionVersion, error) {
	row, err := q.db.ActionVersionGet(ctx, dbsqlc.ActionVersionGetParams{ID: versionID, ActionID: actionID})
	return oneOf("get action version", row, err, q.versionFromRow)
}

func (q *queries) ActionVersionList(ctx context.Context, p store.ActionVersionListParams) ([]keyhook.ActionVersion, int, error) {
	total, err := q.db.ActionVersionCount(ctx, p.ActionID)
	if err != nil {
		return nil, 0, dbErr("list action versions", err)
	}
	limit, offset := limitOffset(p.PageParams)
	rows, err := q.db.ActionVersionList(ctx, dbsqlc.ActionVersionListParams{ActionID: p.ActionID, Limit: limit, Offset: offset})
	versions, err := rowsOf("list action versions", rows, err, func(r dbsqlc.ActionVersionListRow) (*keyhook.ActionVersion, error) {
		return q.versionFromRow(dbsqlc.ActionVersion{
			ID: r.ID, ActionID: r.ActionID, Number: r.Number, Code: r.Code, Runtime: r.Runtime,
			SupportedTriggers: r.SupportedTriggers, Dependencies: r.Dependencies, Secrets: r.Secrets,
			BundleHash: r.BundleHash, BuiltAt: r.BuiltAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return versions, int(total), nil
}
