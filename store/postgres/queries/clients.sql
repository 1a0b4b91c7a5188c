-- name: ClientCreate :exec
INSERT INTO clients (
    client_id, secret_hash, name, description, app_type, is_first_party, oidc_conformant, grant_types,
    callbacks, allowed_origins, web_origins, allowed_logout_urls, token_endpoint_auth_method,
    client_metadata, extra, global, created_at, updated_at
) VALUES (
    @client_id, @secret_hash, @name, @description, @app_type, @is_first_party, @oidc_conformant, @grant_types,
    @callbacks, @allowed_origins, @web_origins, @allowed_logout_urls, @token_endpoint_auth_method,
    @client_metadata, @extra, @global, @created_at, @updated_at
);

-- name: ClientGet :one
SELECT * FROM clients WHERE client_id = @client_id;

-- name: ClientGetForUpdate :one
SELECT * FROM clients WHERE client_id = @client_id FOR UPDATE;

-- name: ClientCount :one
SELECT count(*) FROM clients;

-- name: ClientList :many
SELECT * FROM clients ORDER BY created_at, client_id LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: ClientUpdate :one
UPDATE clients SET
    secret_hash = @secret_hash, name = @name, description = @description, app_type = @app_type,
    is_first_party = @is_first_party, oidc_conformant = @oidc_conformant, grant_types = @grant_types,
    callbacks = @callbacks, allowed_origins = @allowed_origins, web_origins = @web_origins,
    allowed_logout_urls = @allowed_logout_urls, token_endpoint_auth_method = @token_endpoint_auth_method,
    client_metadata = @client_metadata, extra = @extra, global = @global, updated_at = @updated_at
WHERE client_id = @client_id
RETURNING *;

-- name: ClientDelete :execrows
DELETE FROM clients WHERE client_id = @client_id;
