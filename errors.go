package keyhook

import "errors"

// Sentinel errors shared by every layer. Storage returns them wrapped; the API
// packages map them to their wire shapes in one place each.
var (
	// ErrNotFound means the requested entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule would be broken (same name, same
	// email in a connection, second enabled hook of a trigger, …).
	ErrConflict = errors.New("conflict")
)
