-- name: BindingCount :one
SELECT count(*) FROM action_bindings WHERE trigger_id = @trigger_id;

-- name: BindingList :many
SELECT * FROM action_bindings
WHERE trigger_id = @trigger_id
ORDER BY position
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

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
