-- name: LoginFailureAdd :one
-- The count is incremented by the upsert, under the row's lock, so
-- concurrent failures of a pair never read the same count.
INSERT INTO login_failures (user_id, ip, identifier, connection, count, first_at, last_at)
VALUES (@user_id, @ip, @identifier, @connection, 1, @at, @at)
ON CONFLICT (user_id, ip) DO UPDATE SET count = login_failures.count + 1, identifier = excluded.identifier,
    connection = excluded.connection, last_at = excluded.last_at
RETURNING count;

-- The lists and deletes filter by user (the primary key's prefix), else by
-- identifier (its index), else by nothing; the other filters are optional
-- conditions on what that index found.

-- name: LoginFailureListByUser :many
SELECT * FROM login_failures
WHERE user_id = @user_id
    AND (cast(@ip AS text) = '' OR ip = @ip)
    AND (cast(@identifier AS text) = '' OR identifier = @identifier)
    AND count >= @min
ORDER BY user_id, ip;

-- name: LoginFailureListByIdentifier :many
SELECT * FROM login_failures
WHERE identifier = @identifier AND (cast(@ip AS text) = '' OR ip = @ip) AND count >= @min
ORDER BY user_id, ip;

-- name: LoginFailureList :many
SELECT * FROM login_failures
WHERE (cast(@ip AS text) = '' OR ip = @ip) AND count >= @min
ORDER BY user_id, ip;

-- name: LoginFailureDeleteByUser :execrows
DELETE FROM login_failures
WHERE user_id = @user_id
    AND (cast(@ip AS text) = '' OR ip = @ip)
    AND (cast(@identifier AS text) = '' OR identifier = @identifier);

-- name: LoginFailureDeleteByIdentifier :execrows
DELETE FROM login_failures
WHERE identifier = @identifier AND (cast(@ip AS text) = '' OR ip = @ip);
