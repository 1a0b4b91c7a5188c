package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/npmdeps"
)

// npmBuilder builds action drafts with npmdeps (actionbuild.Builder). npm's
// registry configuration is read on the first build, not at start-up: with
// nothing configured it asks npm itself, which takes a moment.
type npmBuilder struct {
	registry string // --npm-registry / KEYHOOK_NPM_REGISTRY, may be empty
	cacheDir string
	logger   *slog.Logger

	once    sync.Once
	builder *npmdeps.Builder
	err     error
}

func (b *npmBuilder) load(ctx context.Context) (*npmdeps.Builder, error) {
	b.once.Do(func() {
		environ := os.Environ()
		wd, _ := os.Getwd()
		reg, err := npmdeps.LoadRegistry(npmdeps.ConfigSource{
			Registry: b.registry, Environ: environ, Dir: wd,
			NPMDefault: func() (string, error) { return npmdeps.AskNPM(context.WithoutCancel(ctx), environ) },
		})
		if err != nil {
			// Code without dependencies still builds; code with some fails
			// saying that no registry is configured.
			b.logger.Warn("npm registry", "err", err)
			reg = nil
		} else {
			b.logger.Info("npm registry", "registry", reg.String())
		}
		b.builder, b.err = npmdeps.New(npmdeps.Options{
			Registry: reg, CacheDir: b.cacheDir, Builtins: jsrt.BuiltinModules(), Logger: b.logger,
		})
	})
	return b.builder, b.err
}

func (b *npmBuilder) Build(ctx context.Context, code, _ string, deps []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	nb, err := b.load(ctx)
	if err != nil {
		return "", "", nil, err
	}
	in := npmdeps.Input{Code: code, Language: npmdeps.LanguageAuto}
	for _, d := range deps {
		in.Dependencies = append(in.Dependencies, npmdeps.Dependency{Name: d.Name, Version: d.Version})
	}
	out, err := nb.Build(ctx, in)
	if err != nil {
		return "", "", nil, err
	}
	// Pinned in the order the draft lists them, as Auth0 shows them.
	pinned := make([]keyhook.Dependency, 0, len(deps))
	for _, d := range deps {
		p := keyhook.Dependency{Name: d.Name, Version: d.Version}
		for _, q := range out.Dependencies {
			if q.Name == d.Name {
				p.Version = q.Version
			}
		}
		pinned = append(pinned, p)
	}
	return out.Code, "sha256-" + out.SHA256, pinned, nil
}

// checkActionCode is the syntax check at save: JavaScript or TypeScript, as
// a build would parse it; a syntax error answers with its line and column.
func checkActionCode(code string) error {
	err := npmdeps.CheckSyntax(code, npmdeps.LanguageAuto)
	var e *npmdeps.Error
	if errors.As(err, &e) && e.Kind == npmdeps.KindSyntax {
		return &jsrt.SyntaxError{Line: e.Line, Column: e.Column, Message: e.Message}
	}
	if err != nil {
		return fmt.Errorf("check action code: %w", err)
	}
	return nil
}

func npmCacheDir(dataDir string) string { return filepath.Join(dataDir, "npm") }
