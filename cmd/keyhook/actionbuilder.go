package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/jsrt"
)

// syntaxOnlyBuilder is TEMPORARY, until package npmdeps builds action
// drafts: it only checks the code's syntax with the JS engine, bundles the
// code alone and pins no dependency (a require of one fails when the action
// runs). It is the one place that stands in for npmdeps; replace it in
// serve.go's wiring of actionbuild.
type syntaxOnlyBuilder struct {
	js *jsrt.Engine
}

func (b syntaxOnlyBuilder) Build(_ context.Context, code, _ string, _ []keyhook.Dependency) (string, string, []keyhook.Dependency, error) {
	if err := b.js.CheckScript(code); err != nil {
		return "", "", nil, err
	}
	sum := sha256.Sum256([]byte(code))
	return code, "sha256-" + hex.EncodeToString(sum[:]), nil, nil
}
