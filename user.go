package keyhook

import (
	"strings"
	"time"
)

// User is an end user of a connection. PasswordHash is an argon2id PHC string
// and never leaves the server.
type User struct {
	ID            string // user_id, e.g. auth0|5f7c8ec7c33c6c004bbafe82
	Connection    string // connection name
	Email         string
	EmailVerified bool
	Username      string
	PhoneNumber   string
	PhoneVerified bool
	GivenName     string
	FamilyName    string
	Name          string
	Nickname      string
	Picture       string
	UserMetadata  map[string]any
	AppMetadata   map[string]any
	PasswordHash  string
	Blocked       bool
	LastIP        string
	LoginsCount   int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastLogin     *time.Time
	// LastPasswordReset is set when the password is changed after creation.
	LastPasswordReset *time.Time
}

// Provider is the identity provider part of the user id ("auth0" for
// database users).
func (u *User) Provider() string {
	p, _, _ := strings.Cut(u.ID, "|")
	return p
}

// BareID is the user id without its provider prefix ("auth0|abc" -> "abc"),
// the form legacy hooks and /dbconnections/signup's _id use.
func (u *User) BareID() string {
	if _, id, ok := strings.Cut(u.ID, "|"); ok {
		return id
	}
	return u.ID
}

// Connection is a source of users. Strategy "auth0" is a database connection;
// "email" and "sms" are passwordless.
type Connection struct {
	ID       string
	Name     string
	Strategy string
	// PasswordPolicy is Auth0's options.passwordPolicy of a database
	// connection: none, low, fair, good or excellent; empty means good.
	PasswordPolicy string
	// PasswordMinLength is Auth0's
	// options.password_complexity_options.min_length; 0 keeps the policy's.
	PasswordMinLength int
	CreatedAt         time.Time
}

// DefaultDatabaseConnection is the connection created on first start.
const DefaultDatabaseConnection = "Username-Password-Authentication"

// DefaultMaxLoginFailures is Auth0's brute-force protection threshold: that
// many consecutive failed logins of one user from one IP address block the
// pair.
const DefaultMaxLoginFailures = 10

// LoginIdentifier is the form a login identifier (email or username) is
// recorded and matched in for brute-force protection: emails folded to lower
// case, as user lookups fold them; usernames as they are.
func LoginIdentifier(s string) string {
	if strings.Contains(s, "@") {
		return strings.ToLower(s)
	}
	return s
}

// LogName is the name tenant logs show for the user (user_name): the email,
// else the username, else the phone number.
func (u *User) LogName() string {
	switch {
	case u.Email != "":
		return u.Email
	case u.Username != "":
		return u.Username
	}
	return u.PhoneNumber
}
