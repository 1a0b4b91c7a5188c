-- name: BindingCount :one
SELECT count(*) FROM action_bindings WHERE trigger_id = @trigger_id;

-- name: BindingList :many
SELECT * FROM action_bindings
WHERE trigger_id = @trigger_id
ORDER BY position
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- BindingLockTrigger serialises the read-modify-writes of one trigger's
-- list until the transaction ends. The list may be empty, so there is no
-- row to lock: a transaction-scoped advisory lock on the trigger's name
-- stands in for one.
-- name: BindingLockTrigger :exec
SELECT pg_advisory_xact_lock(hashtextextended('keyhook.action_bindings.' || cast(@trigger_id AS text), 0));

-- name: BindingListAll :many
SELECT * FROM action_bindings WHERE trigger_id = @trigger_id ORDER BY position;

-- name: BindingDeleteTrigger :exec
DELETE FROM action_bindings WHERE trigger_id = @trigger_id;

-- name: BindingCreate :exec
INSERT INTO action_bindings (id, trigger_id, position, action_id, display_name, created_at, updated_at)
VALUES (@id, @trigger_id, @position, @action_id, @display_name, @created_at, @updated_at);

-- name: BindingListDeployed :many
SELECT sqlc.embed(b), a.name AS action_name, sqlc.embed(v)
FROM action_bindings b
JOIN actions a ON a.id = b.action_id
JOIN action_versions v ON v.id = a.deployed_version_id
WHERE b.trigger_id = @trigger_id
ORDER BY b.position;

-- BindingLockAction takes a key-share lock on a binding's action before
-- anything is written. The insert's foreign key check takes the same lock,
-- but only after the transaction has written (and so locked config_version,
-- which every configuration write bumps): an ActionDelete holding the
-- action's row lock and waiting for config_version would deadlock with it.
-- Locking first, the binding waits for the delete and then finds no action.
-- name: BindingLockAction :one
SELECT id FROM actions WHERE id = @id FOR KEY SHARE;
