-- name: ResourceServerCreate :exec
INSERT INTO resource_servers (
    id, identifier, name, scopes, signing_alg, token_lifetime, token_lifetime_for_web,
    allow_offline_access, skip_consent, token_dialect, enforce_policies, is_system, created_at, updated_at
) VALUES (
    @id, @identifier, @name, @scopes, @signing_alg, @token_lifetime, @token_lifetime_for_web,
    @allow_offline_access, @skip_consent, @token_dialect, @enforce_policies, @is_system, @created_at, @updated_at
);

-- name: ResourceServerGet :one
SELECT * FROM resource_servers WHERE id = @id;

-- name: ResourceServerGetByIdentifier :one
SELECT * FROM resource_servers WHERE identifier = @identifier;

-- identifiers is a JSON array of strings; filter_identifiers false lists
-- every resource server.

-- name: ResourceServerCount :one
SELECT count(*) FROM resource_servers
WHERE (NOT cast(@filter_identifiers AS boolean)
    OR identifier IN (SELECT value FROM json_each(cast(@identifiers AS text))));

-- name: ResourceServerList :many
SELECT * FROM resource_servers
WHERE (NOT cast(@filter_identifiers AS boolean)
    OR identifier IN (SELECT value FROM json_each(cast(@identifiers AS text))))
ORDER BY created_at, id
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: ResourceServerUpdate :one
UPDATE resource_servers SET
    identifier = @identifier, name = @name, scopes = @scopes, signing_alg = @signing_alg,
    token_lifetime = @token_lifetime, token_lifetime_for_web = @token_lifetime_for_web,
    allow_offline_access = @allow_offline_access, skip_consent = @skip_consent,
    token_dialect = @token_dialect, enforce_policies = @enforce_policies, is_system = @is_system,
    updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- name: ResourceServerDelete :execrows
DELETE FROM resource_servers WHERE id = @id;
