package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/keyhook/keyhook"
)

// HookBuilder bundles a hook's script with its npm dependencies.
//
// Auth0's hooks API has no build status, so a hook is built as part of its
// save (create, or a PATCH of script or dependencies): a hook that cannot
// build is refused with the reason and nothing is stored, and a stored hook
// always runs what it was saved with.
type HookBuilder interface {
	// BuildHook returns the script bundled with deps (name -> version as the
	// user gave it) and the bundle's "sha256-<hex>" digest. It returns two
	// empty strings, needing no registry, when the script names no npm
	// package (no dependencies, no require('name@version')): it runs as
	// written. A *HookBuildError is a reason to give the caller.
	BuildHook(ctx context.Context, script string, deps map[string]string) (bundle, hash string, err error)
}

// HookBuildError is a hook that does not build: an unknown package or
// version, a native add-on, a require that resolves to nothing (400), or the
// npm registry failing (Unavailable: 503, which SDKs retry; nothing was
// stored). Message is written for the hook's author and holds no credential.
type HookBuildError struct {
	Message     string
	Unavailable bool
}

func (e *HookBuildError) Error() string { return "hook build: " + e.Message }

// hookBuild is a hook's build with the script and dependencies it was made
// from.
type hookBuild struct {
	script       string
	deps         map[string]string
	bundle, hash string
}

// errHookBuildStale is a build whose hook changed while it was being made.
var errHookBuildStale = errors.New("the hook changed during its build")

// buildHook builds script and deps with HookBuilder; without one, scripts
// run as written and dependencies stay unfetched.
func (h *Handler) buildHook(ctx context.Context, script string, deps map[string]string) (*hookBuild, error) {
	b := &hookBuild{script: script, deps: deps}
	if h.HookBuilder == nil {
		return b, nil
	}
	var err error
	b.bundle, b.hash, err = h.HookBuilder.BuildHook(ctx, script, deps)
	var be *HookBuildError
	switch {
	case errors.As(err, &be) && be.Unavailable:
		return nil, newError(http.StatusServiceUnavailable, "", "The hook could not be built: %s", be.Message)
	case errors.As(err, &be):
		return nil, badBody("The hook could not be built: %s", be.Message)
	case err != nil:
		return nil, fmt.Errorf("build hook: %w", err)
	}
	return b, nil
}

// builtFrom reports whether b was made from what hook, with in applied,
// would run.
func (b *hookBuild) builtFrom(hook *keyhook.Hook, in hookInput) bool {
	script, deps := hook.Script, hook.Dependencies
	if in.Script != nil {
		script = *in.Script
	}
	if in.hasDeps {
		deps = in.Dependencies
	}
	return script == b.script && maps.Equal(deps, b.deps)
}

func (b *hookBuild) apply(hook *keyhook.Hook) {
	hook.Bundle, hook.BundleHash = b.bundle, b.hash
}
