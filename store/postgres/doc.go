// Package postgres is the PostgreSQL implementation of the store contract
// (pgx/v5 with pgxpool), with the River job queue in the same database
// (riverpgxv5), so jobs commit with the changes that enqueue them and
// LISTEN/NOTIFY wakes workers on every node.
//
// Uniqueness rules, including at most one enabled hook per trigger, are
// unique indexes, so they hold across nodes at READ COMMITTED without
// locking in the application. Read-modify-writes (the Update methods) read
// their row SELECT … FOR UPDATE, so a concurrent updater waits for the
// commit and then edits the committed row; counters are incremented in SQL.
//
// Queries: the SQL is in queries/*.sql, checked by sqlc against the schema
// of migrations/*.sql and turned into Go (pgx/v5) in internal/dbsqlc (make
// generate; store/sqlc.yaml). Statements are prepared once per connection by
// pgx itself, which caches them (QueryExecModeCacheStatement, its default).
// This package converts between the domain and the generated rows and picks
// among the queries: a filter that must use an index (users by email, logs
// by user or type) has a query of its own rather than an optional condition,
// which the generic plan of a prepared statement answers with a table scan.
// A list's sort column cannot be a parameter, so UserListSorted orders by
// one CASE term per column; only the default order (created_at) has a query
// its index serves. What stays hand-written is the SQL of the migration
// runner (migrate.go), which creates the schema and the table the
// migrations are recorded in.
//
// It imports the domain package, store, store/migration, store/riverjobs,
// store/postgres/internal/dbsqlc, pgx and River.
package postgres
