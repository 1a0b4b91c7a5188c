package secretbox

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box, err := New(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{nil, []byte("x"), []byte("hook secret value"), bytes.Repeat([]byte("k"), 1<<16)} {
		sealed, err := box.Seal(pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) >= 8 && bytes.Contains(sealed, pt) {
			t.Fatalf("sealed value contains the plaintext")
		}
		if sealed[0] != version1 {
			t.Fatalf("version byte = %d", sealed[0])
		}
		got, err := box.Open(sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, want %q", got, pt)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	t.Parallel()
	box, _ := New(testKey(1))
	a, _ := box.Seal([]byte("same"))
	b, _ := box.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	box, _ := New(testKey(1))
	other, _ := New(testKey(2))
	sealed, _ := box.Seal([]byte("secret"))

	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name  string
		box   *Box
		input []byte
	}{
		{"wrong key", other, sealed},
		{"empty", box, nil},
		{"truncated", box, sealed[:len(sealed)-1]},
		{"too short", box, sealed[:12]},
		{"version changed", box, flip(0)},
		{"nonce changed", box, flip(1)},
		{"ciphertext changed", box, flip(14)},
		{"tag changed", box, flip(len(sealed) - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.box.Open(tt.input); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open err = %v, want ErrOpen", err)
			}
		})
	}
}

func TestNewKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New with %d-byte key succeeded", n)
		}
	}
}

func TestLoadKeyFromEnv(t *testing.T) {
	t.Parallel()
	key := testKey(7)
	tests := []struct {
		name    string
		env     string
		want    []byte
		wantErr bool
	}{
		{"hex", hex.EncodeToString(key), key, false},
		{"base64", base64.StdEncoding.EncodeToString(key), key, false},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(key), key, false},
		{"surrounding space", " " + hex.EncodeToString(key) + "\n", key, false},
		{"short hex", hex.EncodeToString(key[:16]), nil, true},
		{"short base64", base64.StdEncoding.EncodeToString(key[:31]), nil, true},
		{"garbage", "not a key!", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			got, err := LoadKey(dir, tt.env)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("LoadKey succeeded with %q", tt.env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("key = %x, want %x", got, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
				t.Fatal("a key file was written although the key came from the environment")
			}
		})
	}
}

func TestLoadKeyGeneratesAndReuses(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != KeySize {
		t.Fatalf("generated key is %d bytes", len(first))
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", perm)
	}
	second, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("second LoadKey returned a different key")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s", len(entries), KeyFile)
	}
}

func TestLoadKeyConcurrentFirstStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadKey(dir, "") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatal("concurrent first starts disagree on the key")
		}
	}
}

func TestLoadKeyRejectsCorruptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir, ""); err == nil {
		t.Fatal("LoadKey accepted a corrupt key file")
	}
}

func FuzzOpen(f *testing.F) {
	box, _ := New(testKey(3))
	good, _ := box.Seal([]byte("seed"))
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{version1})
	f.Add(bytes.Repeat([]byte{version1}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := box.Open(data)
		if err != nil {
			return
		}
		// Only what this key sealed may open (each fuzz worker process seals
		// its own seed, so compare plaintexts); anything else is a forgery.
		if string(pt) != "seed" {
			t.Fatalf("Open accepted %x", data)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	f.Add(hex.EncodeToString(testKey(1)))
	f.Add(base64.StdEncoding.EncodeToString(testKey(1)))
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := decodeKey(s)
		if err == nil && len(key) != KeySize {
			t.Fatalf("decodeKey(%q) returned %d bytes", s, len(key))
		}
	})
}
