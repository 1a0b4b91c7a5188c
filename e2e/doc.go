// Package e2e holds keyhook's end-to-end tests: e2e_test.go builds and starts the real
// `keyhook serve` (SQLite, and PostgreSQL when KEYHOOK_TEST_POSTGRES_URL is set) and runs the
// Node test files in js/, which drive it over HTTPS with Auth0's own SDKs (auth0@7's
// ManagementClient, auth0@4's AuthenticationClient). crash_test.go SIGKILLs a real
// `keyhook serve` during signups, restarts it on the same data, and checks that every user's
// post-user-registration hook still runs and that a node with another secret key is refused.
//
// It imports the standard library and pgx (to create a database for each PostgreSQL run) and no
// keyhook package: keyhook is exercised only through its binary, flags and HTTP APIs, as a user
// would.
//
// Run it with `go test ./e2e/` after `(cd e2e && npm ci)`, or with KEYHOOK_E2E=1, which runs
// `npm ci` itself and turns every skip into a failure. The crash test needs only `go` to build
// the binary.
package e2e
