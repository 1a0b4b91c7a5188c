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
// timeout. Because a transaction holds the write lock from BEGIN, the
// Update methods' read-modify-write (in InTx's transaction or one of their
// own) cannot interleave with another writer's.
//
// It imports the domain package, store, store/migration, store/riverjobs,
// database/sql with modernc.org/sqlite, and River.
package sqlite
