package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	p := Params{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, err := Hash("correct horse", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	if err := Verify("correct horse", h); err != nil {
		t.Fatalf("Verify(right) = %v", err)
	}
	if err := Verify("wrong horse", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify(wrong) = %v, want ErrMismatch", err)
	}
	h2, _ := Hash("correct horse", p)
	if h == h2 {
		t.Fatal("two hashes of one password share a salt")
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
		if err := Verify("x", enc); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a format error", enc, err)
		}
	}
}
