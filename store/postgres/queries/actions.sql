-- name: ActionCreate :exec
INSERT INTO actions (
    id, name, supported_triggers, code, runtime, dependencies, secrets, status, build_error,
    bundle, bundle_hash, built_at, revision, deploy_when_built, deployed_version_id,
    deployed_version_number, all_changes_deployed, created_at, updated_at
) VALUES (
    @id, @name, @supported_triggers, @code, @runtime, @dependencies, @secrets, @status, @build_error,
    @bundle, @bundle_hash, @built_at, @revision, @deploy_when_built, @deployed_version_id,
    @deployed_version_number, @all_changes_deployed, @created_at, @updated_at
);

-- name: ActionGet :one
SELECT * FROM actions WHERE id = @id;

-- ActionGetForUpdate locks the action's row for the update convention, for
-- ActionDeploy's numbering, and against bindings and deletes racing.
-- name: ActionGetForUpdate :one
SELECT * FROM actions WHERE id = @id FOR UPDATE;

-- name: ActionGetByName :one
SELECT * FROM actions WHERE name = @name;

-- An empty trigger_id or name does not filter; filter_deployed false lists
-- actions whether deployed or not.

-- name: ActionCount :one
SELECT count(*) FROM actions
WHERE (cast(@trigger_id AS text) = ''
        OR supported_triggers @> jsonb_build_array(jsonb_build_object('id', cast(@trigger_id AS text))))
    AND (cast(@name AS text) = '' OR name = @name)
    AND (NOT cast(@filter_deployed AS boolean) OR (deployed_version_id <> '') = cast(@deployed AS boolean));

-- name: ActionList :many
SELECT * FROM actions
WHERE (cast(@trigger_id AS text) = ''
        OR supported_triggers @> jsonb_build_array(jsonb_build_object('id', cast(@trigger_id AS text))))
    AND (cast(@name AS text) = '' OR name = @name)
    AND (NOT cast(@filter_deployed AS boolean) OR (deployed_version_id <> '') = cast(@deployed AS boolean))
ORDER BY created_at, id
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: ActionUpdate :one
UPDATE actions SET
    name = @name, supported_triggers = @supported_triggers, code = @code, runtime = @runtime,
    dependencies = @dependencies, secrets = @secrets, status = @status, build_error = @build_error,
    bundle = @bundle, bundle_hash = @bundle_hash, built_at = @built_at, revision = @revision,
    deploy_when_built = @deploy_when_built, deployed_version_id = @deployed_version_id,
    deployed_version_number = @deployed_version_number, all_changes_deployed = @all_changes_deployed,
    updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- ActionDelete deletes the action's versions and bindings too (ON DELETE
-- CASCADE).
-- name: ActionDelete :execrows
DELETE FROM actions WHERE id = @id;

-- name: ActionBindingCount :one
SELECT count(*) FROM action_bindings WHERE action_id = @action_id;

-- name: ActionVersionNextNumber :one
SELECT cast(coalesce(max(number), 0) + 1 AS integer) FROM action_versions WHERE action_id = @action_id;

-- name: ActionVersionCreate :exec
INSERT INTO action_versions (
    id, action_id, number, code, runtime, supported_triggers, dependencies, secrets, bundle,
    bundle_hash, built_at, created_at, updated_at
) VALUES (
    @id, @action_id, @number, @code, @runtime, @supported_triggers, @dependencies, @secrets, @bundle,
    @bundle_hash, @built_at, @created_at, @updated_at
);

-- ActionVersionPrune keeps an action's newest versions.
-- name: ActionVersionPrune :exec
DELETE FROM action_versions
WHERE action_versions.action_id = @action_id
    AND action_versions.id NOT IN (SELECT v.id FROM action_versions v WHERE v.action_id = @action_id ORDER BY v.number DESC LIMIT sqlc.arg('keep'));

-- name: ActionVersionGet :one
SELECT * FROM action_versions WHERE id = @id AND action_id = @action_id;

-- name: ActionVersionCount :one
SELECT count(*) FROM action_versions WHERE action_id = @action_id;

-- ActionVersionList leaves the bundle out: only runs need it.
-- name: ActionVersionList :many
SELECT id, action_id, number, code, runtime, supported_triggers, dependencies, secrets, bundle_hash,
    built_at, created_at, updated_at
FROM action_versions
WHERE action_id = @action_id
ORDER BY number DESC
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');
