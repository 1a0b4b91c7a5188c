// Package secretbox seals secret values (hook secrets, signing keys) with
// AES-256-GCM before they reach the database, and loads or generates the key
// that does it. Box implements store.Sealer.
//
// It imports the standard library only.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// version1 is the first byte of every sealed value: AES-256-GCM with a random
// 12-byte nonce. A new scheme gets a new byte so old values still open.
const version1 byte = 1

// KeyFile is the name of the generated key inside the data directory.
const KeyFile = "secret.key"

// ErrOpen means a sealed value could not be opened: wrong key, truncated or
// tampered ciphertext, or an unknown version.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal returns version || nonce || ciphertext+tag.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	// The version byte is authenticated too, so it cannot be swapped.
	return b.aead.Seal(out, out[1:1+ns], plaintext, out[:1]), nil
}

// Open reverses Seal. Any failure wraps ErrOpen.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrOpen, len(sealed))
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealed[:1])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return pt, nil
}

// LoadKey returns the sealing key. env is the value of KEYHOOK_SECRET_KEY:
// when non-empty it must decode (standard base64 or hex) to 32 bytes. When
// empty, the key is read from <dataDir>/secret.key, which is generated (mode
// 0600) on first use. The file holds the key base64-encoded.
func LoadKey(dataDir string, env string) ([]byte, error) {
	if env = strings.TrimSpace(env); env != "" {
		key, err := decodeKey(env)
		if err != nil {
			return nil, fmt.Errorf("secretbox: KEYHOOK_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeKey(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("secretbox: %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return generateKeyFile(dataDir, path)
}

func generateKeyFile(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	// Write a temporary file, then hard-link it into place: the link fails if
	// another process got there first, and then its key wins, so nothing it
	// already sealed is stranded. Readers never see a half-written key.
	tmp, err := os.CreateTemp(dataDir, KeyFile+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("secretbox: writing %s: %w", tmp.Name(), err)
	}
	// CreateTemp already made the file 0600.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadKey(dataDir, "")
		}
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return key, nil
}

// decodeKey accepts 64 hex digits or standard base64 (padded or not) of 32
// bytes.
func decodeKey(s string) ([]byte, error) {
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("not hex or standard base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}
