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
// It imports the domain package, store, store/migration, store/riverjobs, pgx
// and River.
package postgres
