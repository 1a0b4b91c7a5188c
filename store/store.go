// Package store is the storage contract: the interfaces every backend
// implements, their parameter structs, the transaction runner and the sentinel
// errors. store/sqlite and store/postgres implement it; store/storetest is the
// conformance suite both run.
//
// It imports the domain package and the standard library only.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/keyhook/keyhook"
)

// Sentinel errors; implementations wrap them with %w.
var (
	ErrNotFound = keyhook.ErrNotFound
	ErrConflict = keyhook.ErrConflict
	// ErrSecretKeyMismatch is Open's error when the database holds values
	// sealed with another key than the Sealer's.
	ErrSecretKeyMismatch = errors.New("this database was sealed with another KEYHOOK_SECRET_KEY: " +
		"every node sharing a database must use the same KEYHOOK_SECRET_KEY")
)

// SecretKeyCheck is the plaintext a backend seals into the database on its
// first Open and opens on every later one, so a node started with another
// key fails at once (ErrSecretKeyMismatch) instead of failing to open hook
// secrets and signing keys one request at a time.
const SecretKeyCheck = "keyhook secret key check v1"

// Store is a database. Every Querier method outside InTx runs in its own
// implicit transaction.
type Store interface {
	Querier
	// InTx runs fn in one transaction: committed if fn returns nil, rolled
	// back otherwise. Jobs inserted through the Tx are committed with it.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// JobsStart starts working background jobs with the workers the store
	// was opened with; workers may be registered until then. It fails if the
	// store was opened without workers (insert-only). Close stops working
	// gracefully.
	JobsStart(ctx context.Context) error
	// JobList lists background jobs, oldest first.
	JobList(ctx context.Context, p JobListParams) ([]Job, error)
	// JobGet returns one background job, or ErrNotFound.
	JobGet(ctx context.Context, id int64) (*Job, error)
	// JobRetry makes a job available to be worked again now, whatever its
	// state (redrive of a discarded or cancelled job); a running job is
	// left alone. ErrNotFound if it does not exist.
	JobRetry(ctx context.Context, id int64) (*Job, error)

	// LogCreateBatch stores entries as LogCreate does, all in one
	// transaction: every one of them or, on error, none. The tenant log
	// writer commits the entries of concurrent requests with it.
	LogCreateBatch(ctx context.Context, entries []*keyhook.LogEntry) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Tx is a Querier inside a transaction that can also enqueue background jobs
// atomically with the change (River's InsertTx).
type Tx interface {
	Querier
	JobInsert(ctx context.Context, job JobArgs) error
}

// JobArgs is a background job's payload. It has River's JobArgs shape, so any
// river.JobArgs is a JobArgs; implementations serialise it as JSON.
type JobArgs interface {
	Kind() string
}

// Job states, as the queue (River) names them.
const (
	JobStateAvailable = "available"
	JobStateScheduled = "scheduled"
	JobStateRunning   = "running"
	JobStateRetryable = "retryable"
	JobStateCompleted = "completed"
	JobStateCancelled = "cancelled"
	JobStateDiscarded = "discarded"
	JobStatePending   = "pending"
)

// Job is a background job as the queue holds it.
type Job struct {
	ID          int64
	Kind        string
	Queue       string
	State       string // one of the JobState constants
	Attempt     int
	MaxAttempts int
	Args        []byte // the JobArgs as JSON
	Errors      []JobError
	CreatedAt   time.Time
	ScheduledAt time.Time
	FinalizedAt *time.Time
}

// JobError is the failure of one attempt of a job.
type JobError struct {
	Attempt int
	At      time.Time
	Error   string
}

// JobListParams filters jobs. Empty fields do not filter; Limit 0 means 100.
type JobListParams struct {
	Kind  string
	State string
	Limit int
}

// Sealer encrypts secret values before they reach the database and decrypts
// them on the way out (AES-256-GCM in production). Implementations call it for
// hook secrets, action secrets and signing keys.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(ciphertext []byte) ([]byte, error)
}

// Querier is every read and write the server performs.
//
// Conventions every backend follows (store/storetest checks them): Create
// fills a zero CreatedAt (and UpdatedAt, from CreatedAt) with now and leaves
// the caller's struct as a read returns it.
//
// Updates are read-modify-writes with a callback, as dex's UpdateUser: the
// backend reads the row and locks it against every other writer until its
// transaction ends (the InTx transaction when called on a Tx, one of its own
// otherwise), fn edits it in place, and the backend writes it back, so
// concurrent updates of different fields never lose one another. An error
// from fn aborts the update with nothing written and is returned wrapped
// (errors.Is and errors.As see it); ErrNotFound if the row does not exist,
// ErrConflict if the edit breaks a uniqueness rule. fn cannot change the ID
// or CreatedAt; an UpdatedAt it leaves as read (or zero) becomes now. fn must
// not write through the store itself; it may read through the same Tx. The
// returned value is the row as a read returns it. Times come back in UTC,
// truncated to microseconds. Nil slices and maps are stored empty and come
// back empty, never nil. Lists are ordered by creation time, then id, unless
// the method or its params say otherwise; paginated lists also return the
// total count of matches.
type Querier interface {
	ConnectionCreate(ctx context.Context, c *keyhook.Connection) error
	ConnectionGetByName(ctx context.Context, name string) (*keyhook.Connection, error)
	ConnectionList(ctx context.Context) ([]keyhook.Connection, error)

	UserCreate(ctx context.Context, u *keyhook.User) error
	UserGetByID(ctx context.Context, id string) (*keyhook.User, error)
	// UserGetByEmail matches email case-insensitively within a connection.
	UserGetByEmail(ctx context.Context, connection, email string) (*keyhook.User, error)
	UserGetByUsername(ctx context.Context, connection, username string) (*keyhook.User, error)
	UserList(ctx context.Context, p UserListParams) ([]keyhook.User, int, error)
	// UserUpdate applies fn to the stored user (see the update convention).
	UserUpdate(ctx context.Context, id string, fn func(u *keyhook.User) error) (*keyhook.User, error)
	// UserRecordLogin counts a successful login: logins_count + 1,
	// last_login and last_ip, in one statement, so concurrent logins all
	// count. It leaves updated_at alone. ErrNotFound if the user is gone.
	UserRecordLogin(ctx context.Context, p UserRecordLoginParams) error
	UserDelete(ctx context.Context, id string) error

	ClientCreate(ctx context.Context, c *keyhook.Client) error
	ClientGet(ctx context.Context, clientID string) (*keyhook.Client, error)
	ClientList(ctx context.Context, p PageParams) ([]keyhook.Client, int, error)
	ClientUpdate(ctx context.Context, clientID string, fn func(c *keyhook.Client) error) (*keyhook.Client, error)
	ClientDelete(ctx context.Context, clientID string) error

	ResourceServerCreate(ctx context.Context, rs *keyhook.ResourceServer) error
	ResourceServerGet(ctx context.Context, id string) (*keyhook.ResourceServer, error)
	ResourceServerGetByIdentifier(ctx context.Context, identifier string) (*keyhook.ResourceServer, error)
	ResourceServerList(ctx context.Context, p ResourceServerListParams) ([]keyhook.ResourceServer, int, error)
	ResourceServerUpdate(ctx context.Context, id string, fn func(rs *keyhook.ResourceServer) error) (*keyhook.ResourceServer, error)
	ResourceServerDelete(ctx context.Context, id string) error

	ClientGrantCreate(ctx context.Context, g *keyhook.ClientGrant) error
	ClientGrantGet(ctx context.Context, id string) (*keyhook.ClientGrant, error)
	// ClientGrantFind returns the grant of clientID for audience.
	ClientGrantFind(ctx context.Context, clientID, audience string) (*keyhook.ClientGrant, error)
	ClientGrantList(ctx context.Context, p ClientGrantListParams) ([]keyhook.ClientGrant, int, error)
	ClientGrantUpdate(ctx context.Context, id string, fn func(g *keyhook.ClientGrant) error) (*keyhook.ClientGrant, error)
	ClientGrantDelete(ctx context.Context, id string) error

	// HookCreate fails with ErrConflict on a duplicate name or a second
	// enabled hook for the same trigger.
	HookCreate(ctx context.Context, h *keyhook.Hook) error
	HookGet(ctx context.Context, id string) (*keyhook.Hook, error)
	// HookGetEnabled returns the enabled hook of a trigger, or ErrNotFound.
	HookGetEnabled(ctx context.Context, trigger keyhook.TriggerID) (*keyhook.Hook, error)
	HookList(ctx context.Context, p HookListParams) ([]keyhook.Hook, int, error)
	// HookUpdate fails with ErrConflict as HookCreate does.
	HookUpdate(ctx context.Context, id string, fn func(h *keyhook.Hook) error) (*keyhook.Hook, error)
	// HookDelete also deletes the hook's secrets.
	HookDelete(ctx context.Context, id string) error
	// HookSecretsGet returns the decrypted secrets of a hook ({} if none);
	// ErrNotFound if the hook does not exist.
	HookSecretsGet(ctx context.Context, hookID string) (map[string]string, error)
	// HookSecretsPut replaces the whole secret set of a hook.
	HookSecretsPut(ctx context.Context, hookID string, secrets map[string]string) error
	// HookSecretsUpdate changes a hook's secret set under the update
	// convention: fn gets the decrypted set ({} if none; it may edit and
	// return it) and returns the new set, which HookSecretsUpdate stores and
	// returns. Concurrent updates serialise on the hook's row.
	HookSecretsUpdate(ctx context.Context, hookID string, fn func(cur map[string]string) (map[string]string, error)) (map[string]string, error)

	// ActionCreate stores an action with its draft; its secrets are sealed
	// at rest. It fails with ErrConflict on a duplicate name.
	ActionCreate(ctx context.Context, a *keyhook.Action) error
	ActionGet(ctx context.Context, id string) (*keyhook.Action, error)
	// ActionGetByName matches the name exactly.
	ActionGetByName(ctx context.Context, name string) (*keyhook.Action, error)
	ActionList(ctx context.Context, p ActionListParams) ([]keyhook.Action, int, error)
	// ActionUpdate edits an action's draft under the update convention; it
	// fails with ErrConflict on a duplicate name. fn cannot change which
	// version is deployed (DeployedVersionID, DeployedVersion): only
	// ActionDeploy does.
	ActionUpdate(ctx context.Context, id string, fn func(a *keyhook.Action) error) (*keyhook.Action, error)
	// ActionDelete deletes an action with its versions. An action still
	// bound to a trigger is refused with ErrConflict unless force is set,
	// which deletes its bindings too. The check and the delete are atomic
	// with respect to BindingsUpdate.
	ActionDelete(ctx context.Context, id string, force bool) error
	// ActionDeploy makes a new version of an action and deploys it. Under
	// the action's row lock (as the update convention takes it), the
	// backend fills v's ActionID, Number (the action's highest number plus
	// one: concurrent deploys get distinct consecutive numbers) and times;
	// fn fills v's ID and content (from the draft, or from an older version
	// on a rollback) and may edit the action as ActionUpdate's fn may. The
	// backend then stores v, makes it the action's deployed version, stores
	// the action, and deletes the oldest versions beyond
	// keyhook.MaxActionVersions. An error from fn aborts with nothing
	// written. It returns v as stored.
	ActionDeploy(ctx context.Context, actionID string, fn func(a *keyhook.Action, v *keyhook.ActionVersion) error) (*keyhook.ActionVersion, error)
	// ActionVersionGet returns a version of an action (ErrNotFound if the
	// version is not the action's).
	ActionVersionGet(ctx context.Context, actionID, versionID string) (*keyhook.ActionVersion, error)
	// ActionVersionList lists an action's versions, newest first, without
	// their Bundle (which only runs need). The total is the action's count.
	ActionVersionList(ctx context.Context, p ActionVersionListParams) ([]keyhook.ActionVersion, int, error)

	// BindingList lists a trigger's bindings in their order.
	BindingList(ctx context.Context, p BindingListParams) ([]keyhook.Binding, int, error)
	// BindingsUpdate replaces the whole ordered list of a trigger's
	// bindings, read-modify-write: fn gets the current list (in order) and
	// returns the new one, which the backend stores in that order and
	// returns. Concurrent updates of one trigger's list serialise. It fails
	// with ErrConflict when the list binds an action twice or reuses a
	// binding id, and with ErrNotFound when a binding's action does not
	// exist (deleted meanwhile). fn may read through the same Tx; it must
	// not write.
	BindingsUpdate(ctx context.Context, trigger keyhook.TriggerID,
		fn func(cur []keyhook.Binding) ([]keyhook.Binding, error)) ([]keyhook.Binding, error)
	// BindingListDeployed returns what a trigger's flow runs: its bindings
	// in order, each with its action's name and deployed version (Bundle
	// and Secrets included), in one read.
	BindingListDeployed(ctx context.Context, trigger keyhook.TriggerID) ([]DeployedBinding, error)

	// ExecutionCreate stores an execution. Executions are kept for
	// keyhook.ExecutionRetention after their CreatedAt: each call also
	// deletes up to 100 expired ones, so deletion keeps pace with creation.
	ExecutionCreate(ctx context.Context, e *keyhook.Execution) error
	// ExecutionGet returns an execution; ErrNotFound once it has expired.
	ExecutionGet(ctx context.Context, id string) (*keyhook.Execution, error)

	LogCreate(ctx context.Context, e *keyhook.LogEntry) error
	LogGet(ctx context.Context, logID string) (*keyhook.LogEntry, error)
	LogList(ctx context.Context, p LogListParams) ([]keyhook.LogEntry, int, error)

	// ConfigVersion is a counter the database bumps on every change to
	// connections, clients, resource servers, client grants, hooks, hook
	// secrets, actions (their drafts and secrets included), action versions
	// and bindings, on whichever node made it. Caches of those are valid while it
	// is unchanged.
	ConfigVersion(ctx context.Context) (int64, error)

	// LoginFailureAdd records one failed login of a user from an IP and
	// returns the pair's consecutive failures, this one included. It is one
	// atomic statement: concurrent failures of a pair all count.
	LoginFailureAdd(ctx context.Context, p LoginFailureAddParams) (int, error)
	// LoginFailureList lists the failure counts matching every non-empty
	// filter, ordered by user id, then IP.
	LoginFailureList(ctx context.Context, p LoginFailureListParams) ([]LoginFailure, error)
	// LoginFailureDelete forgets the failure counts matching every
	// non-empty filter (a success resets its pair; an unblock or a password
	// change clears a user's) and returns how many it deleted. UserID or
	// Identifier must be set.
	LoginFailureDelete(ctx context.Context, p LoginFailureDeleteParams) (int, error)

	// SigningKeyCreate stores a signing key; the private key is sealed.
	SigningKeyCreate(ctx context.Context, k *SigningKey) error
	// SigningKeyList returns every key, newest first.
	SigningKeyList(ctx context.Context) ([]SigningKey, error)
}

// PageParams is Auth0's offset pagination: Page is 0-based; PerPage 0 means
// the implementation's default (50). Total counts are always computed.
type PageParams struct {
	Page    int
	PerPage int
}

// UserListParams filters and sorts users.
type UserListParams struct {
	PageParams
	Connection string
	// Email, when set, matches exactly (case-insensitively).
	Email string
	// Sort is a column name among created_at, updated_at, email, last_login,
	// user_id, logins_count, name; SortDesc reverses it. Default created_at.
	Sort     string
	SortDesc bool
}

// UserRecordLoginParams is one successful login.
type UserRecordLoginParams struct {
	UserID string
	At     time.Time
	IP     string
}

// ResourceServerListParams filters resource servers.
type ResourceServerListParams struct {
	PageParams
	Identifiers []string
}

// ClientGrantListParams filters client grants.
type ClientGrantListParams struct {
	PageParams
	ClientID string
	Audience string
}

// HookListParams filters hooks. Nil pointers do not filter.
type HookListParams struct {
	PageParams
	Enabled   *bool
	TriggerID keyhook.TriggerID
}

// ActionListParams filters actions; empty fields and nil pointers do not
// filter.
type ActionListParams struct {
	PageParams
	// TriggerID keeps actions that support the trigger.
	TriggerID keyhook.TriggerID
	// Name keeps the action of that exact name.
	Name string
	// Deployed keeps actions that have (true) or have not (false) a
	// deployed version.
	Deployed *bool
}

// ActionVersionListParams selects an action's versions.
type ActionVersionListParams struct {
	PageParams
	ActionID string
}

// BindingListParams selects a trigger's bindings.
type BindingListParams struct {
	PageParams
	TriggerID keyhook.TriggerID
}

// DeployedBinding is one step of a trigger's flow: a binding, its action's
// name and the version that runs.
type DeployedBinding struct {
	Binding    keyhook.Binding
	ActionName string
	Version    keyhook.ActionVersion
}

// LogListParams lists logs newest first by default (offset pagination), or,
// when From or Take is set, in checkpoint mode: ascending by log id, starting
// after From, Take entries (default 50, at most 100). The total is the count
// of entries matching UserID and Type, ignoring From.
type LogListParams struct {
	PageParams
	From       string
	Take       int
	UserID     string
	Type       string
	Checkpoint bool
	// Ascending sorts oldest first in offset mode (sort=date:1).
	Ascending bool
}

// LoginFailure counts the consecutive failed logins of one user from one IP
// address: Auth0's brute-force protection blocks the pair at a threshold.
// Deleting the user deletes its counts.
type LoginFailure struct {
	UserID string
	IP     string
	// Identifier is the email or username of the latest failed attempt, and
	// Connection its database connection.
	Identifier string
	Connection string
	Count      int
	FirstAt    time.Time
	LastAt     time.Time
}

// LoginFailureAddParams is one failed login. At zero means now.
type LoginFailureAddParams struct {
	UserID     string
	IP         string
	Identifier string
	Connection string
	At         time.Time
}

// LoginFailureListParams filters login failure counts; empty fields do not
// filter. Min keeps counts of at least Min.
type LoginFailureListParams struct {
	UserID     string
	IP         string
	Identifier string
	Min        int
}

// LoginFailureDeleteParams selects the counts to forget; empty fields do not
// filter, but UserID or Identifier must be set.
type LoginFailureDeleteParams struct {
	UserID     string
	IP         string
	Identifier string
}

// SigningKey is an RSA key for signing tokens. PrivateKeyPEM is plaintext in
// memory and sealed at rest.
type SigningKey struct {
	KID           string
	PrivateKeyPEM []byte
	CreatedAt     time.Time
}
