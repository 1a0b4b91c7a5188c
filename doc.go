// Package keyhook holds the domain vocabulary of the identity server: users,
// connections, clients, resource servers, client grants, legacy hooks, tenant
// log entries, the trigger identifiers and the identifiers' formats.
//
// It imports only the standard library; every other package may import it.
package keyhook
