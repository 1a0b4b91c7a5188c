package npmdeps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// acceptPackument asks for the abbreviated "install" metadata, as npm does: a fraction of the
// full document's size, with every field resolution needs.
const acceptPackument = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

// fetchPackument downloads a package's metadata from its registry.
func (b *Builder) fetchPackument(ctx context.Context, reg *Registry, name string) (*packument, error) {
	base := reg.registryFor(name)
	uri := strings.TrimRight(base, "/") + "/" + escapedName(name)
	body, status, err := b.get(ctx, reg, uri, base, acceptPackument, b.limits.MaxPackumentBytes)
	if err != nil {
		return nil, &Error{Kind: fetchErrorKind(err), Package: name, Message: fmt.Sprintf("package %s: fetching its metadata: %v", name, err), Err: err}
	}
	switch {
	case status == http.StatusNotFound:
		return nil, newError(KindUnknownPackage, name, "", "package %s does not exist in the npm registry", name)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, newError(KindRegistry, name, "", "package %s: the npm registry refused access (HTTP %d); check the registry's credentials in .npmrc", name, status)
	case status != http.StatusOK:
		return nil, newError(KindRegistry, name, "", "package %s: the npm registry answered HTTP %d", name, status)
	}
	return parsePackument(name, body)
}

// fetchTarball downloads a tarball; the caller verifies it.
func (b *Builder) fetchTarball(ctx context.Context, reg *Registry, name, version, uri string) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, newError(KindRegistry, name, version, "package %s@%s: the registry lists a tarball that is not an http(s) URL", name, version)
	}
	body, status, err := b.get(ctx, reg, uri, reg.registryFor(name), "application/octet-stream", b.limits.MaxTarballBytes)
	if err != nil {
		return nil, &Error{Kind: fetchErrorKind(err), Package: name, Version: version, Message: fmt.Sprintf("package %s@%s: downloading its tarball: %v", name, version, err), Err: err}
	}
	if status != http.StatusOK {
		return nil, newError(KindRegistry, name, version, "package %s@%s: the npm registry answered HTTP %d for its tarball", name, version, status)
	}
	return body, nil
}

var errBodyTooLarge = errors.New("response too large")

func fetchErrorKind(err error) Kind {
	if errors.Is(err, errBodyTooLarge) {
		return KindTooLarge
	}
	return KindRegistry
}

// retryDelays are the waits before the retries of a GET that failed on the network or with
// 429 or 5xx, as npm retries its fetches twice.
var retryDelays = []time.Duration{250 * time.Millisecond, time.Second}

// get makes a GET with the registry's credentials for uri, reading at most max bytes of body.
// Errors never carry the URL's credentials: url.Error prints the URL, so the cause is unwrapped.
func (b *Builder) get(ctx context.Context, reg *Registry, uri, pkgRegistry, accept string, max int64) ([]byte, int, error) {
	for attempt := 0; ; attempt++ {
		body, status, err := b.getOnce(ctx, reg, uri, pkgRegistry, accept, max)
		retry := (err != nil && !errors.Is(err, errBodyTooLarge)) || status == http.StatusTooManyRequests || status >= 500
		if !retry || attempt == len(retryDelays) || ctx.Err() != nil {
			return body, status, err
		}
		select {
		case <-time.After(retryDelays[attempt]):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

func (b *Builder) getOnce(ctx context.Context, reg *Registry, uri, pkgRegistry, accept string, max int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, 0, errors.New("bad URL")
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "keyhook-npmdeps")
	if auth := reg.authorization(uri, pkgRegistry); auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, resp.StatusCode, nil
	}
	if resp.ContentLength > max {
		return nil, resp.StatusCode, fmt.Errorf("%w: %d bytes, the limit is %d", errBodyTooLarge, resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if int64(len(body)) > max {
		return nil, resp.StatusCode, fmt.Errorf("%w: over the limit of %d bytes", errBodyTooLarge, max)
	}
	return body, resp.StatusCode, nil
}
