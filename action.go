package keyhook

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// An Auth0 Action is edited as a draft and runs only as a deployed version:
// create and PATCH change the draft and queue a build of it (pending, then
// building, then built or failed); a deploy snapshots the built draft into an
// immutable ActionVersion numbered 1, 2, … per action and makes it the one
// that runs; a trigger's Bindings list the actions that run there, in order,
// each at its deployed version.

// ActionStatus is the build status of an action's draft.
type ActionStatus string

// The build statuses, as Auth0 names them.
const (
	ActionPending  ActionStatus = "pending"
	ActionBuilding ActionStatus = "building"
	ActionBuilt    ActionStatus = "built"
	ActionFailed   ActionStatus = "failed"
)

// TriggerRef names a trigger at one of its versions: {id, version}.
type TriggerRef struct {
	ID      TriggerID `json:"id"`
	Version string    `json:"version"`
}

// Dependency is an npm package an action requires. Version is what the user
// gave (exact, a semver range, "latest" or blank) until a build pins it to
// the exact version it resolved.
type Dependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ActionSecret is one secret of an action. Value is plaintext in memory
// only: the store seals an action's secrets at rest, and the APIs show Name
// and UpdatedAt, never Value.
type ActionSecret struct {
	Name      string
	Value     string
	UpdatedAt time.Time
}

// Action is an action with its draft.
type Action struct {
	ID   string // a UUID
	Name string // unique in the tenant
	// SupportedTriggers holds one trigger, as Auth0 allows.
	SupportedTriggers []TriggerRef
	Code              string
	Runtime           string
	// Dependencies are pinned once the draft is built.
	Dependencies []Dependency
	Secrets      []ActionSecret

	Status ActionStatus
	// BuildError is why the last build failed; empty unless Status is
	// failed.
	BuildError string
	// Bundle is the built draft, code and dependencies in one script, and
	// BundleHash its digest; both are set while Status is built, and what a
	// deploy snapshots.
	Bundle     string
	BundleHash string
	// BuiltAt is when the draft last built successfully.
	BuiltAt *time.Time
	// Revision counts the edits of the draft. A build records the revision
	// it read, and its result is written only if the draft is still at
	// that revision.
	Revision int64
	// DeployWhenBuilt is create's deploy:true, waiting for the build.
	DeployWhenBuilt bool

	// DeployedVersionID is the version that runs ("" if never deployed) and
	// DeployedVersion its number (0 if none).
	DeployedVersionID string
	DeployedVersion   int
	// AllChangesDeployed is false while the draft differs from the
	// deployed version.
	AllChangesDeployed bool

	CreatedAt time.Time
	UpdatedAt time.Time
}

// ActionVersion is an immutable snapshot of an action's built draft, made by
// a deploy (or a rollback, which copies an older version).
type ActionVersion struct {
	ID                string // a UUID
	ActionID          string
	Number            int // 1, 2, … per action
	Code              string
	Runtime           string
	SupportedTriggers []TriggerRef
	Dependencies      []Dependency // pinned
	// Secrets are the action's secrets when the version was made; they are
	// what the version runs with. Sealed at rest.
	Secrets    []ActionSecret
	Bundle     string
	BundleHash string
	BuiltAt    time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Binding puts an action in a trigger's flow. A trigger's bindings are an
// ordered list (the order they run in); each runs its action's deployed
// version.
type Binding struct {
	ID          string // a UUID
	TriggerID   TriggerID
	ActionID    string
	DisplayName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Execution is one run of a trigger's flow that ran at least one step.
type Execution struct {
	ID        string
	TriggerID TriggerID
	Status    ExecutionStatus
	Steps     []ExecutionStep
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ExecutionStatus is an execution's outcome, in Auth0's words.
type ExecutionStatus string

// Execution statuses.
const (
	// ExecutionFinal: every step ran to its own outcome (a deny included).
	ExecutionFinal ExecutionStatus = "final"
	// ExecutionPartial: a step failed (threw, timed out) and the flow
	// stopped there.
	ExecutionPartial ExecutionStatus = "partial"
	// ExecutionSuspended: a step redirected; the flow continues later.
	ExecutionSuspended ExecutionStatus = "suspended"
	// ExecutionCanceled: the flow was stopped from outside (shutdown).
	ExecutionCanceled ExecutionStatus = "canceled"
)

// ExecutionStep is one step of an execution: an action at its deployed
// version, or the trigger's legacy hook (HookID set, ActionName its name).
type ExecutionStep struct {
	ActionID      string             `json:"action_id,omitempty"`
	ActionName    string             `json:"action_name"`
	VersionID     string             `json:"version_id,omitempty"`
	VersionNumber int                `json:"version_number,omitempty"`
	BindingID     string             `json:"binding_id,omitempty"`
	HookID        string             `json:"hook_id,omitempty"`
	StartedAt     time.Time          `json:"started_at"`
	EndedAt       time.Time          `json:"ended_at"`
	Error         *ExecutionError    `json:"error"`
	Logs          string             `json:"logs"`
	Commands      []ExecutionCommand `json:"commands"`
}

// Duration is how long the step ran.
func (s ExecutionStep) Duration() time.Duration { return s.EndedAt.Sub(s.StartedAt) }

// ExecutionCommand is one api.* call a step made, as the test runner and the
// execution record show it: {method: "api.idToken.setCustomClaim", args}.
type ExecutionCommand struct {
	Method string `json:"method"`
	Args   []any  `json:"args"`
}

// ExecutionRetention is how long executions are kept (Auth0's 10 days).
const ExecutionRetention = 10 * 24 * time.Hour

// CopyDraftTo fills v with the built draft: what a deploy snapshots.
func (a *Action) CopyDraftTo(v *ActionVersion) {
	v.Code = a.Code
	v.Runtime = a.Runtime
	v.SupportedTriggers = slices.Clone(a.SupportedTriggers)
	v.Dependencies = slices.Clone(a.Dependencies)
	v.Secrets = slices.Clone(a.Secrets)
	v.Bundle = a.Bundle
	v.BundleHash = a.BundleHash
	if a.BuiltAt != nil {
		v.BuiltAt = *a.BuiltAt
	}
}

// CopyTo fills dst with v's content (a rollback's new version).
func (v *ActionVersion) CopyTo(dst *ActionVersion) {
	dst.Code = v.Code
	dst.Runtime = v.Runtime
	dst.SupportedTriggers = slices.Clone(v.SupportedTriggers)
	dst.Dependencies = slices.Clone(v.Dependencies)
	dst.Secrets = slices.Clone(v.Secrets)
	dst.Bundle = v.Bundle
	dst.BundleHash = v.BundleHash
	dst.BuiltAt = v.BuiltAt
}

// RestoreDraft makes v's content the draft, built (a rollback with
// update_draft). The draft's secrets are kept: a version's secrets are a
// snapshot, and the draft's are the current ones.
func (a *Action) RestoreDraft(v *ActionVersion) {
	a.Code = v.Code
	a.Runtime = v.Runtime
	a.SupportedTriggers = slices.Clone(v.SupportedTriggers)
	a.Dependencies = slices.Clone(v.Dependencies)
	a.Bundle = v.Bundle
	a.BundleHash = v.BundleHash
	builtAt := v.BuiltAt
	a.BuiltAt = &builtAt
	a.Status = ActionBuilt
	a.BuildError = ""
	a.Revision++
}

// supports reports whether refs name trigger t.
func supports(refs []TriggerRef, t TriggerID) bool {
	for _, r := range refs {
		if r.ID == t {
			return true
		}
	}
	return false
}

// Supports reports whether the version can run at trigger t.
func (v *ActionVersion) Supports(t TriggerID) bool { return supports(v.SupportedTriggers, t) }

// ActionTrigger is one version of an extensibility point as
// GET /api/v2/actions/triggers lists it.
type ActionTrigger struct {
	ID                 TriggerID
	Version            string
	Status             string // CURRENT or DEPRECATED
	Runtimes           []string
	DefaultRuntime     string
	CompatibleTriggers []TriggerRef
}

// ActionRuntimes are the runtime names keyhook accepts (Auth0's). keyhook
// runs every action in its own JavaScript engine whatever the name: the
// name is recorded, as Auth0 users and tools expect it.
var ActionRuntimes = []string{"node12", "node16", "node18", "node18-actions", "node22"}

// DefaultActionRuntime is the runtime of an action created without one at
// a current trigger version (Auth0's default).
const DefaultActionRuntime = "node22"

// ActionTriggers are the triggers actions may support: the six keyhook
// runs, at the versions and statuses Auth0 lists.
var ActionTriggers = func() []ActionTrigger {
	v1 := func(id TriggerID) ActionTrigger {
		return ActionTrigger{ID: id, Version: "v1", Status: "DEPRECATED", Runtimes: []string{"node12"}, DefaultRuntime: "node12"}
	}
	current := func(id TriggerID, version, status string, compatible ...TriggerRef) ActionTrigger {
		return ActionTrigger{ID: id, Version: version, Status: status, Runtimes: ActionRuntimes,
			DefaultRuntime: DefaultActionRuntime, CompatibleTriggers: compatible}
	}
	return []ActionTrigger{
		v1(TriggerPostLogin),
		current(TriggerPostLogin, "v2", "DEPRECATED"),
		current(TriggerPostLogin, "v3", "CURRENT", TriggerRef{ID: TriggerPostLogin, Version: "v2"}),
		v1(TriggerCredentialsExchange),
		current(TriggerCredentialsExchange, "v2", "CURRENT"),
		v1(TriggerPreUserRegistration),
		current(TriggerPreUserRegistration, "v2", "CURRENT"),
		v1(TriggerPostUserRegistration),
		current(TriggerPostUserRegistration, "v2", "CURRENT"),
		v1(TriggerPostChangePassword),
		current(TriggerPostChangePassword, "v2", "CURRENT"),
		v1(TriggerSendPhoneMessage),
		current(TriggerSendPhoneMessage, "v2", "CURRENT"),
	}
}()

// LookupActionTrigger returns the trigger of id at version, if actions may
// support it.
func LookupActionTrigger(id TriggerID, version string) (ActionTrigger, bool) {
	for _, t := range ActionTriggers {
		if t.ID == id && t.Version == version {
			return t, true
		}
	}
	return ActionTrigger{}, false
}

// ValidActionTrigger reports whether id is a trigger actions may bind to.
func ValidActionTrigger(id TriggerID) bool {
	for _, t := range ActionTriggers {
		if t.ID == id {
			return true
		}
	}
	return false
}

// NewActionID returns a random UUID, the shape of Auth0's action ids.
func NewActionID() string { return newUUID() }

// NewActionVersionID returns a random UUID.
func NewActionVersionID() string { return newUUID() }

// NewBindingID returns a random UUID.
func NewBindingID() string { return newUUID() }

// NewExecutionID returns 32 alphanumeric characters, the length of Auth0's
// execution ids.
func NewExecutionID() string { return RandomString(32) }

// newUUID returns a version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("keyhook: crypto/rand failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
