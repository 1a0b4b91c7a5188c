-- name: SigningKeyCreate :exec
INSERT INTO signing_keys (kid, private_key, created_at) VALUES (@kid, @private_key, @created_at);

-- name: SigningKeyList :many
SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC;

-- name: ConfigVersionGet :one
SELECT version FROM config_version WHERE id = 1;

-- name: MetaGet :one
SELECT value FROM meta WHERE key = @key;

-- Of two processes writing a new key together, the first value stays.
-- name: MetaInsert :exec
INSERT INTO meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING;
