-- LogList's filters and modes each have a query of their own rather than
-- optional conditions, so each can use its index: logs is the table that
-- grows with every request.

-- name: LogCreate :exec
INSERT INTO logs (
    log_id, date, type, description, connection, connection_id, client_id, client_name, ip, hostname,
    user_id, user_name, audience, scope, strategy, strategy_type, user_agent, details
) VALUES (
    @log_id, @date, @type, @description, @connection, @connection_id, @client_id, @client_name, @ip, @hostname,
    @user_id, @user_name, @audience, @scope, @strategy, @strategy_type, @user_agent, @details
);

-- LogCreateBatch is LogCreate for many entries, sent pipelined in one
-- round trip, which PostgreSQL runs as one implicit transaction.
-- name: LogCreateBatch :batchexec
INSERT INTO logs (
    log_id, date, type, description, connection, connection_id, client_id, client_name, ip, hostname,
    user_id, user_name, audience, scope, strategy, strategy_type, user_agent, details
) VALUES (
    @log_id, @date, @type, @description, @connection, @connection_id, @client_id, @client_name, @ip, @hostname,
    @user_id, @user_name, @audience, @scope, @strategy, @strategy_type, @user_agent, @details
);

-- name: LogGet :one
SELECT * FROM logs WHERE log_id = @log_id;

-- name: LogCount :one
SELECT count(*) FROM logs;

-- name: LogCountByUser :one
SELECT count(*) FROM logs WHERE user_id = @user_id AND (cast(@type AS text) = '' OR type = @type);

-- name: LogCountByType :one
SELECT count(*) FROM logs WHERE type = @type;

-- name: LogListNewest :many
SELECT * FROM logs ORDER BY date DESC, log_id DESC LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: LogListOldest :many
SELECT * FROM logs ORDER BY date, log_id LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: LogListByUser :many
WITH p AS (SELECT cast(@ascending AS boolean) AS ascending)
SELECT logs.* FROM logs, p
WHERE logs.user_id = @user_id AND (cast(@type AS text) = '' OR logs.type = @type)
ORDER BY
    CASE WHEN p.ascending THEN logs.date END ASC,
    CASE WHEN p.ascending THEN logs.log_id END ASC,
    CASE WHEN NOT p.ascending THEN logs.date END DESC,
    CASE WHEN NOT p.ascending THEN logs.log_id END DESC
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- name: LogListByType :many
WITH p AS (SELECT cast(@ascending AS boolean) AS ascending)
SELECT logs.* FROM logs, p
WHERE logs.type = @type
ORDER BY
    CASE WHEN p.ascending THEN logs.date END ASC,
    CASE WHEN p.ascending THEN logs.log_id END ASC,
    CASE WHEN NOT p.ascending THEN logs.date END DESC,
    CASE WHEN NOT p.ascending THEN logs.log_id END DESC
LIMIT sqlc.arg('limit') OFFSET sqlc.arg('offset');

-- Checkpoint mode: ascending by log id after from ('' for the start).

-- name: LogCheckpoint :many
SELECT * FROM logs WHERE log_id > sqlc.arg('from') ORDER BY log_id LIMIT @take;

-- name: LogCheckpointByUser :many
SELECT * FROM logs
WHERE user_id = @user_id AND (cast(@type AS text) = '' OR type = @type) AND log_id > sqlc.arg('from')
ORDER BY log_id LIMIT @take;

-- name: LogCheckpointByType :many
SELECT * FROM logs WHERE type = @type AND log_id > sqlc.arg('from') ORDER BY log_id LIMIT @take;
