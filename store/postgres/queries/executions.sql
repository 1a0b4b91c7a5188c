-- name: ExecutionCreate :exec
INSERT INTO action_executions (id, trigger_id, status, steps, created_at, updated_at)
VALUES (@id, @trigger_id, @status, @steps, @created_at, @updated_at);

-- ExecutionPrune deletes a bounded batch of expired executions, oldest
-- first, through the created_at index.
-- name: ExecutionPrune :execrows
DELETE FROM action_executions
WHERE id IN (SELECT e.id FROM action_executions e WHERE e.created_at < @before ORDER BY e.created_at LIMIT sqlc.arg('batch'));

-- name: ExecutionGet :one
SELECT * FROM action_executions WHERE id = @id AND created_at >= @not_before;
