// Package npmdeps turns hook and action code plus its npm dependencies into one CommonJS script
// the sandbox can run: it reads npm's registry configuration, resolves dependencies against that
// registry and pins them, downloads each tarball once into a content-addressed cache with its
// integrity checked, and bundles code and packages with esbuild. Nothing a package ships is ever
// executed here: no install script, no build step.
//
//   - config.go, npmrc.go: the registry as `npm config get registry` would report it (override,
//     npm_config_* environment, project, user, global and builtin .npmrc files), scoped
//     registries and per-registry credentials.
//   - registry.go, packument.go, resolve.go: registry metadata, npm's version picking, and the
//     dependency graph with its limits.
//   - cache.go, extract.go: the verified, atomic cache and the guarded tarball extraction.
//   - bundle.go, build.go: esbuild (JavaScript or TypeScript in; what goja lacks lowered; the
//     Node built-ins the sandbox serves left for its require) and the Builder that runs it all.
//
// Written by hand, for want of a Go library that does it the way npm does: the .npmrc reader
// (npm's ini dialect and precedence), the registry client (GETs with npm's Accept header,
// credential lookup and retries), npm's prerelease rule on top of Masterminds/semver's ranges,
// the "latest"-first pick of npm-pick-manifest, the tarball extraction (archive/tar with the
// guards npm's tar applies, and more), and the list of Node built-in module names (esbuild does
// not export its own).
//
// It imports the standard library, esbuild (github.com/evanw/esbuild's pkg/api) and
// github.com/Masterminds/semver/v3, and no keyhook package: callers convert their own types.
package npmdeps
