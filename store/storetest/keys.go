package storetest

import (
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

var signingKeyTests = []subtest{
	{"SigningKey/CreateList", testSigningKeyCreateList},
}

func testSigningKeyCreateList(t *testing.T, s store.Store) {
	list, err := s.SigningKeyList(ctx(t))
	must(t, err)
	mustEqual(t, list, []store.SigningKey{})

	older := &store.SigningKey{KID: "kid-older", PrivateKeyPEM: []byte(PlaintextPEM), CreatedAt: at(0)}
	newer := &store.SigningKey{KID: "kid-newer", PrivateKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\nnewer\n-----END PRIVATE KEY-----\n"), CreatedAt: at(5)}
	must(t, s.SigningKeyCreate(ctx(t), older))
	must(t, s.SigningKeyCreate(ctx(t), newer))
	mustEqual(t, older.CreatedAt, stored(at(0)))

	list, err = s.SigningKeyList(ctx(t))
	must(t, err)
	mustEqual(t, list, []store.SigningKey{*newer, *older})
	mustUTC(t, "CreatedAt", list[0].CreatedAt)

	mustIs(t, s.SigningKeyCreate(ctx(t), &store.SigningKey{KID: "kid-older", PrivateKeyPEM: []byte("x")}), store.ErrConflict)
}

// Plaintexts the backends' at-rest tests look for in the raw database:
// WriteSecrets stores them, and they must not appear unsealed anywhere.
const (
	PlaintextSecret = "storetest-plaintext-secret-7f3a9c"
	PlaintextPEM    = "-----BEGIN PRIVATE KEY-----\nstoretest-plaintext-key-51be02\n-----END PRIVATE KEY-----\n"
)

// SecretMarkers are the substrings of the plaintexts that must not be found.
var SecretMarkers = []string{PlaintextSecret, "storetest-plaintext-key-51be02", "STORETEST_SECRET_NAME"}

// WriteSecrets stores a hook secret, an action secret (in the draft and in
// a version) and a signing key holding the plaintexts
// above, and checks they read back, for a backend test to then search the
// raw database for them.
func WriteSecrets(t *testing.T, s store.Store) {
	t.Helper()
	h := newHook("secret-holder", "credentials-exchange", false)
	must(t, s.HookCreate(ctx(t), h))
	secrets := map[string]string{"STORETEST_SECRET_NAME": PlaintextSecret}
	must(t, s.HookSecretsPut(ctx(t), h.ID, secrets))
	got, err := s.HookSecretsGet(ctx(t), h.ID)
	must(t, err)
	mustEqual(t, got, secrets)

	// An action's secrets, in its draft and in a deployed version.
	a := newAction("secret-holder", "post-login")
	a.Secrets = []keyhook.ActionSecret{{Name: "STORETEST_SECRET_NAME", Value: PlaintextSecret}}
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	v := deploy(t, s, a.ID)
	mustEqual(t, v.Secrets[0].Value, PlaintextSecret)
	got2, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got2.Secrets[0].Value, PlaintextSecret)

	k := &store.SigningKey{KID: "secret-kid", PrivateKeyPEM: []byte(PlaintextPEM)}
	must(t, s.SigningKeyCreate(ctx(t), k))
	keys, err := s.SigningKeyList(ctx(t))
	must(t, err)
	if len(keys) != 1 || string(keys[0].PrivateKeyPEM) != PlaintextPEM {
		t.Fatalf("signing key did not read back: %+v", keys)
	}
}
