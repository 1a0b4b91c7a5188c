package keyhook

// The limits on what a request may store, in one table. Every API checks
// its input against these names, and docs/openapi.yaml states each one as
// maxLength (or maxProperties, or in the property's description).
//
// A Len counts characters (Unicode code points, as JSON Schema's maxLength
// does); a Bytes counts UTF-8 bytes (for objects: the JSON as sent, without
// insignificant whitespace). Where Auth0's Management API schema documents a
// limit, it is Auth0's ("Auth0" below); where it documents none, keyhook
// sets one so that nothing unbounded reaches the store ("keyhook").
const (
	// Users.
	MaxEmailLen          = 254  // keyhook: RFC 5321's longest address (Auth0: format email)
	MaxUsernameLen       = 128  // Auth0
	MaxPhoneNumberLen    = 16   // Auth0: "+" and at most 15 digits
	MaxGivenNameLen      = 150  // Auth0
	MaxFamilyNameLen     = 150  // Auth0
	MaxNameLen           = 300  // Auth0
	MaxNicknameLen       = 300  // Auth0
	MaxUserIDLen         = 255  // Auth0: the id given at creation, without its provider prefix
	MaxPasswordLen       = 1024 // keyhook (Auth0 truncates at 72 bytes, its bcrypt limit)
	MaxConnectionNameLen = 128  // Auth0
	// MaxMetadataBytes bounds each of user_metadata and app_metadata
	// (keyhook; Auth0 allows 16 MB for both together and advises 16 kB).
	MaxMetadataBytes = 64 << 10
	// Signup's user_metadata: string values only (Auth0).
	MaxSignupMetadataFields   = 10  // Auth0
	MaxSignupMetadataValueLen = 500 // Auth0
	MaxSignupMetadataKeyLen   = 100 // keyhook

	// Clients.
	MaxClientIDLen          = 128 // keyhook
	MaxClientNameLen        = 255 // keyhook
	MaxClientDescriptionLen = 140 // Auth0
	MinClientSecretLen      = 16  // keyhook, as Auth0's resource server signing_secret
	MaxClientSecretLen      = 512 // keyhook
	MaxClientMetadataFields = 10  // Auth0
	MaxClientMetadataLen    = 255 // Auth0: each key and each value
	MaxGrantTypeLen         = 128 // keyhook
	// MaxLoginPageBytes bounds custom_login_page, custom_login_page_preview
	// and form_template (keyhook).
	MaxLoginPageBytes = 100 << 10
	// MaxClientSettingBytes bounds each Auth0 client property keyhook stores
	// without interpreting (jwt_configuration, addons, mobile, …) (keyhook).
	MaxClientSettingBytes = 64 << 10

	// Resource servers and client grants.
	MaxIdentifierLen         = 600 // Auth0: resource server identifier, token audience
	MaxResourceServerNameLen = 200 // Auth0
	MaxScopeLen              = 280 // Auth0: one scope value
	MaxScopeDescriptionLen   = 500 // Auth0

	// Hooks.
	MaxHookNameLen = 128 // keyhook
	// MaxScriptBytes bounds a hook's script (keyhook; Auth0 allows 100 kB
	// for rules and actions, and hooks inherit the webtask limit of the
	// same order).
	MaxScriptBytes          = 100 << 10
	MaxHookDependencies     = 100  // keyhook
	MaxDependencyNameLen    = 214  // npm's limit on a package name
	MaxDependencyVersionLen = 256  // keyhook
	MaxHookSecrets          = 20   // Auth0
	MaxHookSecretNameLen    = 255  // keyhook
	MaxHookSecretValueLen   = 8192 // keyhook: room for a PEM private key

	// Actions.
	MaxActionNameLen        = 128       // keyhook
	MaxActionCodeBytes      = 100 << 10 // Auth0
	MaxActionDependencies   = 10        // Auth0
	MaxActionSecrets        = 30        // Auth0
	MaxActionSecretNameLen  = 128       // Auth0
	MaxActionSecretValueLen = 4096      // Auth0
	// MaxActionVersions is how many versions an action keeps: a deploy
	// beyond it deletes the oldest (Auth0).
	MaxActionVersions        = 50  // Auth0
	MaxBindingsPerTrigger    = 20  // Auth0
	MaxBindingDisplayNameLen = 128 // keyhook

	// Token requests.
	MaxScopeParamLen      = 16 << 10 // keyhook: the space-separated scope parameter
	MaxClientAssertionLen = 8192     // keyhook

	// MaxURLLen bounds a URL: picture, callbacks, origins, logout URLs,
	// logo_uri, initiate_login_uri (keyhook).
	MaxURLLen = 2048
	// MaxTextLen bounds any other string the APIs accept (keyhook).
	MaxTextLen = 2048
)
