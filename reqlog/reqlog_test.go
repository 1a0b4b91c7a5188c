package reqlog

import (
	"context"
	"testing"
)

func TestNote(t *testing.T) {
	t.Parallel()
	SetClientID(context.Background(), "ignored") // no note: nothing to do, no panic
	ctx, n := With(context.Background())
	if n.ClientID() != "" {
		t.Fatalf("new note has %q", n.ClientID())
	}
	SetClientID(ctx, "abc")
	if n.ClientID() != "abc" {
		t.Fatalf("ClientID = %q", n.ClientID())
	}
}
