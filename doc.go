// Package keyhook holds the domain vocabulary of the identity server: users,
// connections, clients, resource servers, client grants, legacy hooks, Auth0
// Actions (drafts, versions, bindings, executions, the triggers they may
// support), tenant log entries, the trigger identifiers and the identifiers'
// formats.
//
// It imports only the standard library; every other package may import it.
package keyhook
