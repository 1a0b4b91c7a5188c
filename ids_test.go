package keyhook

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNewLogID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	seen := map[string]bool{}
	counts := [10]int{}
	for range 1000 {
		id := NewLogID(at)
		if len(id) != 56 || strings.Trim(id, "0123456789") != "" {
			t.Fatalf("id %q is not 56 digits", id)
		}
		if want := fmt.Sprintf("%020d", at.UnixNano()); id[:20] != want {
			t.Fatalf("id %q does not start with the time %s", id, want)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
		for _, c := range id[20:] {
			counts[c-'0']++
		}
	}
	// 36,000 random digits: each of the ten appears about 3,600 times.
	for d, n := range counts {
		if n < 3000 || n > 4200 {
			t.Errorf("digit %d appeared %d times in 36,000", d, n)
		}
	}
	if a, b := NewLogID(at), NewLogID(at.Add(time.Nanosecond)); a >= b {
		t.Fatalf("ids do not follow time: %s >= %s", a, b)
	}
}
