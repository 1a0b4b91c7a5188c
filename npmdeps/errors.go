package npmdeps

import (
	"errors"
	"fmt"
)

// Kind says why a build failed, so that callers can map it to their own error shape without
// parsing messages. Each kind has a sentinel error of the same name for errors.Is.
type Kind string

// The kinds of build failure.
const (
	KindNoRegistry        Kind = "no_registry"        // no npm registry is configured
	KindRegistry          Kind = "registry"           // the registry could not be reached or answered badly
	KindUnknownPackage    Kind = "unknown_package"    // the registry has no such package
	KindUnknownVersion    Kind = "unknown_version"    // no published version matches the spec
	KindUnsupportedSpec   Kind = "unsupported_spec"   // a git, file, URL or workspace spec
	KindNativeAddon       Kind = "native_addon"       // the package compiles a native add-on
	KindIntegrity         Kind = "integrity"          // the tarball does not match its published digest
	KindBadTarball        Kind = "bad_tarball"        // the tarball is malformed or tries to escape its folder
	KindTooLarge          Kind = "too_large"          // a limit on packages or bytes was reached
	KindSyntax            Kind = "syntax"             // the code does not parse
	KindUnresolvedRequire Kind = "unresolved_require" // a require or import names nothing that can be bundled
	KindBundle            Kind = "bundle"             // esbuild refused the code for another reason
)

// Sentinels for errors.Is; an *Error matches the sentinel of its Kind.
var (
	ErrNoRegistry        = &Error{Kind: KindNoRegistry}
	ErrRegistry          = &Error{Kind: KindRegistry}
	ErrUnknownPackage    = &Error{Kind: KindUnknownPackage}
	ErrUnknownVersion    = &Error{Kind: KindUnknownVersion}
	ErrUnsupportedSpec   = &Error{Kind: KindUnsupportedSpec}
	ErrNativeAddon       = &Error{Kind: KindNativeAddon}
	ErrIntegrity         = &Error{Kind: KindIntegrity}
	ErrBadTarball        = &Error{Kind: KindBadTarball}
	ErrTooLarge          = &Error{Kind: KindTooLarge}
	ErrSyntax            = &Error{Kind: KindSyntax}
	ErrUnresolvedRequire = &Error{Kind: KindUnresolvedRequire}
	ErrBundle            = &Error{Kind: KindBundle}
)

// Error is a build failure with its reason. Message is written for the person who saved the
// code (it becomes the action's build error) and never holds a credential.
type Error struct {
	Kind    Kind
	Package string // the npm package concerned, when there is one
	Version string // its version or spec, when there is one
	Module  string // the require/import specifier, for KindUnresolvedRequire
	Line    int    // 1-based position in the code, for KindSyntax and KindUnresolvedRequire
	Column  int    // 1-based, in characters
	Message string
	Err     error // the underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Kind)
	}
	if e.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, msg)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the same Kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Package == "" && t.Module == "" && t.Err == nil && t.Kind == e.Kind
}

// KindOf returns the Kind of err, or "" when err is not a build failure of this package.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func newError(kind Kind, pkg, version string, format string, args ...any) *Error {
	return &Error{Kind: kind, Package: pkg, Version: version, Message: fmt.Sprintf(format, args...)}
}
