package signer

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// typicalClaims is what a client_credentials access token carries.
func typicalClaims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss":   "https://localhost:8443/",
		"sub":   "Vv8sQ2kT3mZ9pL1rX4cB7nD0fG6hJ5aE@clients",
		"aud":   "https://localhost:8443/api/v2/",
		"iat":   now,
		"exp":   now + 86400,
		"scope": "read:users update:users read:clients create:hooks read:hooks",
		"gty":   "client-credentials",
		"azp":   "Vv8sQ2kT3mZ9pL1rX4cB7nD0fG6hJ5aE",
	}
}

func benchSigner(b *testing.B) *Signer {
	s, err := New(context.Background(), openStore(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSignRS256 is Signer.Sign of a typical access token: the rate
// the token endpoint is compared with.
func BenchmarkSignRS256(b *testing.B) {
	s := benchSigner(b)
	claims := typicalClaims()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(claims); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignGoJose signs the same claims with the same key through
// go-jose, the alternative the package doc weighs.
func BenchmarkSignGoJose(b *testing.B) {
	s := benchSigner(b)
	k := s.active
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		b.Fatal(err)
	}
	claims := typicalClaims()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			payload, err := json.Marshal(claims)
			if err != nil {
				b.Fatal(err)
			}
			jws, err := sig.Sign(payload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := jws.CompactSerialize(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRSAPrimitive is the bare PKCS#1 v1.5 signature: the floor.
func BenchmarkRSAPrimitive(b *testing.B) {
	s := benchSigner(b)
	digest := sha256.Sum256([]byte("x"))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPKCS1v15(nil, s.active.priv, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s := benchSigner(b)
	tok, err := s.Sign(typicalClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
