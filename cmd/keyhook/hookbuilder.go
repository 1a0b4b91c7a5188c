package main

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/mgmtapi"
	"github.com/keyhook/keyhook/npmdeps"
)

// BuildHook builds a legacy hook at save (mgmtapi.HookBuilder). A script
// without dependencies is first built with no registry at all: unless it
// names a package in a require('name@version'), it runs as written, so
// saving it never reads npm's configuration nor asks npm for it.
func (b *npmBuilder) BuildHook(ctx context.Context, script string, deps map[string]string) (string, string, error) {
	in := npmdeps.Input{Code: script, Language: npmdeps.LanguageJavaScript}
	if len(deps) == 0 {
		offline, err := npmdeps.New(npmdeps.Options{CacheDir: b.cacheDir, Builtins: jsrt.BuiltinModules(), Logger: b.logger})
		if err != nil {
			return "", "", err
		}
		// Any other failure (a bare require of a package the hook does not
		// declare) is left to the run, as before hooks were built.
		if _, err := offline.Build(ctx, in); !errors.Is(err, npmdeps.ErrNoRegistry) {
			return "", "", nil
		}
	}
	nb, err := b.load(ctx)
	if err != nil {
		return "", "", err
	}
	for name, version := range deps {
		in.Dependencies = append(in.Dependencies, npmdeps.Dependency{Name: name, Version: version})
	}
	sort.Slice(in.Dependencies, func(i, j int) bool { return in.Dependencies[i].Name < in.Dependencies[j].Name })
	out, err := nb.Build(ctx, in)
	var e *npmdeps.Error
	if errors.As(err, &e) {
		return "", "", &mgmtapi.HookBuildError{Message: e.Error(), Unavailable: e.Kind == npmdeps.KindRegistry}
	}
	if err != nil {
		return "", "", fmt.Errorf("build hook: %w", err)
	}
	return out.Code, "sha256-" + out.SHA256, nil
}
