// Package sqlite is the SQLite implementation of the store contract
// (modernc.org/sqlite, no cgo), with the River job queue in the same
// database file (riversqlite).
//
// Concurrency: the database runs in WAL mode with a 10 s busy timeout, and
// every transaction begins IMMEDIATE (it takes the write lock at BEGIN), so a
// transaction never fails trying to upgrade a read lock to a write lock, the
// one SQLITE_BUSY the busy timeout cannot wait out. River recommends a pool of
// one connection for SQLite; we keep a small pool instead, because one
// connection would serialise every read behind any open transaction and turn
// a query issued outside the Tx inside InTx into a deadlock. With several
// connections readers proceed under WAL and writers queue on the lock. A
// function running inside InTx must still use only its Tx: a write through
// the Store there waits for the lock the Tx holds and fails after the busy
// timeout. Every write outside InTx runs in an IMMEDIATE transaction of its
// own too, behind the same in-process lock. Because a transaction holds the
// write lock from BEGIN, the Update methods' read-modify-write (in InTx's
// transaction or one of their own) cannot interleave with another writer's.
//
// Queries: the SQL is in queries/*.sql, checked by sqlc against the schema
// of migrations/*.sql and turned into Go in internal/dbsqlc (make generate;
// store/sqlc.yaml). Every statement is prepared once per connection
// (sqlc's emit_prepared_queries: Prepare at Open, WithTx in transactions).
// This package converts between the domain and the generated rows and picks
// among the queries: a filter that must use an index (users by email, logs
// by user or type) has a query of its own rather than an optional condition,
// which SQLite would answer with a table scan. A list's sort column cannot
// be a parameter, so UserListSorted orders by one CASE term per column; only
// the default order (created_at) has a query its index serves. What stays
// hand-written is the SQL of the migration runner (migrate.go), which
// creates the table the migrations are recorded in, and the connection
// pragmas.
//
// It imports the domain package, store, store/migration, store/riverjobs,
// store/sqlite/internal/dbsqlc, store/sqlite/internal/column, database/sql
// with modernc.org/sqlite, and River.
package sqlite
