-- name: ConnectionCreate :exec
INSERT INTO connections (id, name, strategy, password_policy, password_min_length, created_at)
VALUES (@id, @name, @strategy, @password_policy, @password_min_length, @created_at);

-- name: ConnectionGetByName :one
SELECT * FROM connections WHERE name = @name;

-- name: ConnectionList :many
SELECT * FROM connections ORDER BY created_at, name;
