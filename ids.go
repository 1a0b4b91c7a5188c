package keyhook

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RandomString returns n characters drawn uniformly from [a-zA-Z0-9].
func RandomString(n int) string {
	var b strings.Builder
	b.Grow(n)
	max := big.NewInt(int64(len(alnum)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("keyhook: crypto/rand failed: %v", err))
		}
		b.WriteByte(alnum[v.Int64()])
	}
	return b.String()
}

// RandomHex returns 2n lowercase hex characters from n random bytes.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("keyhook: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// NewDatabaseUserID returns an Auth0-style database user id: auth0|<24 hex>.
func NewDatabaseUserID() string { return "auth0|" + RandomHex(12) }

// NewConnectionID returns con_<16 alnum>, the shape Auth0 uses.
func NewConnectionID() string { return "con_" + RandomString(16) }

// NewClientID returns a 32-character client id.
func NewClientID() string { return RandomString(32) }

// NewClientSecret returns a 64-character client secret.
func NewClientSecret() string { return RandomString(64) }

// NewClientGrantID returns cgr_<16 alnum>.
func NewClientGrantID() string { return "cgr_" + RandomString(16) }

// NewResourceServerID returns a 24-hex id like Auth0's resource server ids.
func NewResourceServerID() string { return RandomHex(12) }

// crockford is the ULID alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewHookID returns a 26-character ULID-like id (Auth0 hook ids look like
// 01GQN0P01XY4VE0PCK7H20QZ4M): 48 bits of milliseconds then 80 random bits.
func NewHookID() string { return newULID(time.Now()) }

func newULID(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("keyhook: crypto/rand failed: %v", err))
	}
	// 128 bits -> 26 base32 characters, most significant first.
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, 26)
	mask := big.NewInt(31)
	for i := 25; i >= 0; i-- {
		out[i] = crockford[new(big.Int).And(n, mask).Int64()]
		n.Rsh(n, 5)
	}
	return string(out)
}

// NewLogID returns a 56-digit decimal log id whose lexical order follows time:
// 20 digits of Unix nanoseconds, then 36 random digits. Every token request
// makes one, so the digits come from one read of random bytes (a byte below
// 250 gives one unbiased digit) rather than a rand.Int per digit.
func NewLogID(t time.Time) string {
	var out [56]byte
	ns := max(t.UnixNano(), 0)
	for i := 19; i >= 0; i-- {
		out[i] = byte('0' + ns%10)
		ns /= 10
	}
	var random [48]byte
	n := 20
	for n < len(out) {
		rand.Read(random[:])
		for _, r := range random {
			if r < 250 && n < len(out) {
				out[n] = '0' + r%10
				n++
			}
		}
	}
	return string(out[:])
}
