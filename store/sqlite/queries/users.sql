-- The lookups by email and username repeat the partial indexes' predicate
-- (email_key <> '', username <> ''): SQLite uses a partial index only when
-- the query's WHERE contains its predicate, which it cannot infer from a
-- parameter. sqlite_test.go checks their plans.

-- name: UserCreate :exec
INSERT INTO users (
    user_id, connection, email, email_key, email_verified, username, phone_number, phone_verified,
    given_name, family_name, name, nickname, picture, user_metadata, app_metadata, password_hash,
    blocked, last_ip, logins_count, created_at, updated_at, last_login, last_password_reset
) VALUES (
    @user_id, @connection, @email, @email_key, @email_verified, @username, @phone_number, @phone_verified,
    @given_name, @family_name, @name, @nickname, @picture, @user_metadata, @app_metadata, @password_hash,
    @blocked, @last_ip, @logins_count, @created_at, @updated_at, @last_login, @last_password_reset
);

-- name: UserGetByID :one
SELECT * FROM users WHERE user_id = @user_id;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE email_key = @email_key AND email_key <> '' AND connection = @connection;

-- name: UserGetByUsername :one
SELECT * FROM users WHERE connection = @connection AND username = @username AND username <> '';

-- name: UserCount :one
SELECT count(*) FROM users WHERE (cast(@connection AS text) = '' OR connection = @connection);

-- UserListCreated is the default order, which the created_at index serves.
-- name: UserListCreated :many
SELECT * FROM users
WHERE (cast(@connection AS text) = '' OR connection = @connection)
ORDER BY created_at, user_id
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- UserListSorted sorts by any column of store.UserListParams.Sort. The
-- column cannot be a parameter, so each one has a CASE term that is NULL (and
-- sorts nothing) unless chosen; the parameters are read through p because
-- sqlc leaves parameters in an ORDER BY unnumbered.
-- name: UserListSorted :many
WITH p AS (SELECT cast(@sort AS text) AS sort, cast(@descending AS boolean) AS descending)
SELECT users.* FROM users, p
WHERE (cast(@connection AS text) = '' OR users.connection = @connection)
ORDER BY
    CASE WHEN p.sort = 'created_at' AND NOT p.descending THEN users.created_at END ASC,
    CASE WHEN p.sort = 'created_at' AND p.descending THEN users.created_at END DESC,
    CASE WHEN p.sort = 'updated_at' AND NOT p.descending THEN users.updated_at END ASC,
    CASE WHEN p.sort = 'updated_at' AND p.descending THEN users.updated_at END DESC,
    CASE WHEN p.sort = 'email' AND NOT p.descending THEN users.email END ASC,
    CASE WHEN p.sort = 'email' AND p.descending THEN users.email END DESC,
    CASE WHEN p.sort = 'last_login' AND NOT p.descending THEN users.last_login END ASC NULLS LAST,
    CASE WHEN p.sort = 'last_login' AND p.descending THEN users.last_login END DESC NULLS LAST,
    CASE WHEN p.sort = 'logins_count' AND NOT p.descending THEN users.logins_count END ASC,
    CASE WHEN p.sort = 'logins_count' AND p.descending THEN users.logins_count END DESC,
    CASE WHEN p.sort = 'name' AND NOT p.descending THEN users.name END ASC,
    CASE WHEN p.sort = 'name' AND p.descending THEN users.name END DESC,
    CASE WHEN NOT p.descending THEN users.user_id END ASC,
    CASE WHEN p.descending THEN users.user_id END DESC
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: UserCountByEmail :one
SELECT count(*) FROM users
WHERE email_key = @email_key AND email_key <> ''
    AND (cast(@connection AS text) = '' OR connection = @connection);

-- name: UserListByEmail :many
WITH p AS (SELECT cast(@sort AS text) AS sort, cast(@descending AS boolean) AS descending)
SELECT users.* FROM users, p
WHERE users.email_key = @email_key AND users.email_key <> ''
    AND (cast(@connection AS text) = '' OR users.connection = @connection)
ORDER BY
    CASE WHEN p.sort = 'created_at' AND NOT p.descending THEN users.created_at END ASC,
    CASE WHEN p.sort = 'created_at' AND p.descending THEN users.created_at END DESC,
    CASE WHEN p.sort = 'updated_at' AND NOT p.descending THEN users.updated_at END ASC,
    CASE WHEN p.sort = 'updated_at' AND p.descending THEN users.updated_at END DESC,
    CASE WHEN p.sort = 'email' AND NOT p.descending THEN users.email END ASC,
    CASE WHEN p.sort = 'email' AND p.descending THEN users.email END DESC,
    CASE WHEN p.sort = 'last_login' AND NOT p.descending THEN users.last_login END ASC NULLS LAST,
    CASE WHEN p.sort = 'last_login' AND p.descending THEN users.last_login END DESC NULLS LAST,
    CASE WHEN p.sort = 'logins_count' AND NOT p.descending THEN users.logins_count END ASC,
    CASE WHEN p.sort = 'logins_count' AND p.descending THEN users.logins_count END DESC,
    CASE WHEN p.sort = 'name' AND NOT p.descending THEN users.name END ASC,
    CASE WHEN p.sort = 'name' AND p.descending THEN users.name END DESC,
    CASE WHEN NOT p.descending THEN users.user_id END ASC,
    CASE WHEN p.descending THEN users.user_id END DESC
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: UserUpdate :one
UPDATE users SET
    connection = @connection, email = @email, email_key = @email_key, email_verified = @email_verified,
    username = @username, phone_number = @phone_number, phone_verified = @phone_verified,
    given_name = @given_name, family_name = @family_name, name = @name, nickname = @nickname,
    picture = @picture, user_metadata = @user_metadata, app_metadata = @app_metadata,
    password_hash = @password_hash, blocked = @blocked, last_ip = @last_ip, logins_count = @logins_count,
    updated_at = @updated_at, last_login = @last_login, last_password_reset = @last_password_reset
WHERE user_id = @user_id
RETURNING *;

-- name: UserRecordLogin :execrows
UPDATE users SET logins_count = logins_count + 1, last_login = @last_login, last_ip = @last_ip
WHERE user_id = @user_id;

-- name: UserDelete :execrows
DELETE FROM users WHERE user_id = @user_id;
