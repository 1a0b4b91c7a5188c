-- name: HookCreate :exec
INSERT INTO hooks (id, name, script, trigger_id, enabled, dependencies, bundle, bundle_hash, created_at, updated_at)
VALUES (@id, @name, @script, @trigger_id, @enabled, @dependencies, @bundle, @bundle_hash, @created_at, @updated_at);

-- name: HookGet :one
SELECT * FROM hooks WHERE id = @id;

-- name: HookGetEnabled :one
SELECT * FROM hooks WHERE trigger_id = @trigger_id AND enabled;

-- filter_enabled false lists hooks whatever their enabled flag.

-- name: HookCount :one
SELECT count(*) FROM hooks
WHERE (NOT cast(@filter_enabled AS boolean) OR enabled = cast(@enabled AS boolean))
    AND (cast(@trigger_id AS text) = '' OR trigger_id = @trigger_id);

-- name: HookList :many
SELECT * FROM hooks
WHERE (NOT cast(@filter_enabled AS boolean) OR enabled = cast(@enabled AS boolean))
    AND (cast(@trigger_id AS text) = '' OR trigger_id = @trigger_id)
ORDER BY created_at, id
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: HookUpdate :one
UPDATE hooks SET
    name = @name, script = @script, trigger_id = @trigger_id, enabled = @enabled,
    dependencies = @dependencies, bundle = @bundle, bundle_hash = @bundle_hash, updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- HookDelete deletes the hook's secrets too (ON DELETE CASCADE).
-- name: HookDelete :execrows
DELETE FROM hooks WHERE id = @id;

-- sealed is NULL when the hook has no secrets yet; no row when there is no
-- such hook.
-- name: HookSecretsGet :one
SELECT s.sealed FROM hooks h LEFT JOIN hook_secrets s ON s.hook_id = h.id WHERE h.id = @hook_id;

-- Selecting from hooks makes a missing hook affect no row.
-- name: HookSecretsPut :execrows
INSERT INTO hook_secrets (hook_id, sealed)
SELECT id, @sealed FROM hooks WHERE id = @hook_id
ON CONFLICT (hook_id) DO UPDATE SET sealed = excluded.sealed;
