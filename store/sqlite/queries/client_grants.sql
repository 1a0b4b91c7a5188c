-- name: ClientGrantCreate :exec
INSERT INTO client_grants (
    id, client_id, audience, scope, allow_any_organization, organization_usage, subject_type, is_system,
    created_at, updated_at
) VALUES (
    @id, @client_id, @audience, @scope, @allow_any_organization, @organization_usage, @subject_type, @is_system,
    @created_at, @updated_at
);

-- name: ClientGrantGet :one
SELECT * FROM client_grants WHERE id = @id;

-- name: ClientGrantFind :one
SELECT * FROM client_grants WHERE client_id = @client_id AND audience = @audience;

-- name: ClientGrantCount :one
SELECT count(*) FROM client_grants
WHERE (cast(@client_id AS text) = '' OR client_id = @client_id)
    AND (cast(@audience AS text) = '' OR audience = @audience);

-- name: ClientGrantList :many
SELECT * FROM client_grants
WHERE (cast(@client_id AS text) = '' OR client_id = @client_id)
    AND (cast(@audience AS text) = '' OR audience = @audience)
ORDER BY created_at, id
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: ClientGrantUpdate :one
UPDATE client_grants SET
    client_id = @client_id, audience = @audience, scope = @scope,
    allow_any_organization = @allow_any_organization, organization_usage = @organization_usage,
    subject_type = @subject_type, is_system = @is_system, updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- name: ClientGrantDelete :execrows
DELETE FROM client_grants WHERE id = @id;
