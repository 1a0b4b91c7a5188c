package keyhook

// CurrentUserScopes are the Management API scopes a token issued to a user
// (rather than to a client through client credentials) may carry: Auth0's
// "*:current_user*" scopes, which act only on that user's own record. A user
// token asking the Management API for any other scope does not get it.
func CurrentUserScopes() []string {
	return []string{
		"read:current_user",
		"update:current_user_identities",
		"create:current_user_metadata",
		"update:current_user_metadata",
		"delete:current_user_metadata",
		"create:current_user_device_credentials",
		"delete:current_user_device_credentials",
	}
}

// IsCurrentUserScope reports whether s is one of CurrentUserScopes.
func IsCurrentUserScope(s string) bool {
	switch s {
	case "read:current_user", "update:current_user_identities", "create:current_user_metadata",
		"update:current_user_metadata", "delete:current_user_metadata",
		"create:current_user_device_credentials", "delete:current_user_device_credentials":
		return true
	}
	return false
}
