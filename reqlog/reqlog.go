// Package reqlog carries what a request's handlers learn about its caller —
// the client id, once a token or a body names it — out to the one debug line
// the server logs per request. Handlers record into the request's context;
// the server reads the note after the handler returns.
//
// It imports only the standard library.
package reqlog

import (
	"context"
	"sync"
)

// Note is what handlers recorded about one request. It is safe for
// concurrent use.
type Note struct {
	mu       sync.Mutex
	clientID string
}

type noteKey struct{}

// With returns ctx carrying a new Note, and the Note.
func With(ctx context.Context) (context.Context, *Note) {
	n := &Note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// SetClientID records the client the request comes from (as it claims to
// be: the log line is for seeing what tools send). Without a Note in ctx —
// the server adds one only when debug logging is on — it does nothing.
func SetClientID(ctx context.Context, clientID string) {
	if n, ok := ctx.Value(noteKey{}).(*Note); ok {
		n.mu.Lock()
		n.clientID = clientID
		n.mu.Unlock()
	}
}

// ClientID returns the client id recorded, or "".
func (n *Note) ClientID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clientID
}
