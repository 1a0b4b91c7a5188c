package jsrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/dop251/goja"
)

// maxFetchBody bounds a fetched response body.
const maxFetchBody = 16 << 20

// errRedirect is fetch's failure in redirect mode "error".
var errRedirect = errors.New("unexpected redirect")

// installFetch provides host.fetch(url, method, headers, body, redirect,
// raw, cb), which fetch() and the http/https shims share: the request runs
// on its own goroutine through Options.HTTPClient (where outbound policy
// lives) and cb(err, response) runs back on the loop. It returns a function
// that cancels the request. The request's context ends with the execution.
//
// redirect is fetch's mode: "follow" (the client's own redirect policy),
// "manual" (the 3xx response is the answer, as http.request has it) or
// "error". raw is the http shims' mode: the script's Accept-Encoding is
// sent (less the codings zlib lacks) and the body comes back as the server
// sent it; without raw, as fetch, the client negotiates gzip itself and
// decodes it.
func (sb *sandbox) installFetch(natives *goja.Object) {
	vm := sb.vm
	follow := sb.e.opts.HTTPClient
	manual := *follow
	manual.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	refuse := *follow
	refuse.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }

	_ = natives.Set("fetchURL", func(call goja.FunctionCall) goja.Value {
		s := call.Argument(0).String()
		u, err := fetchURL(s)
		if err != nil {
			e := sb.throwType("Failed to parse URL from " + s)
			_ = e.Set("cause", sb.throwType("Invalid URL"))
			panic(e)
		}
		return vm.ToValue(u)
	})
	_ = natives.Set("parseHTTPURL", func(call goja.FunctionCall) goja.Value {
		s := call.Argument(0).String()
		parts, err := httpURLParts(s)
		if err != nil {
			e := sb.throwType("Invalid URL")
			_ = e.Set("code", "ERR_INVALID_URL")
			_ = e.Set("input", s)
			panic(e)
		}
		return toJS(vm, parts)
	})
	_ = natives.Set("fetch", func(call goja.FunctionCall) goja.Value {
		rawURL := call.Argument(0).String()
		method := call.Argument(1).String()
		var headers [][]string
		_ = vm.ExportTo(call.Argument(2), &headers)
		var body io.Reader
		if b := call.Argument(3); !goja.IsNull(b) && !goja.IsUndefined(b) {
			if data, ok := sb.bytesOf(b); ok {
				body = bytes.NewReader(append([]byte(nil), data...))
			} else {
				body = strings.NewReader(b.String())
			}
		}
		client := follow
		switch call.Argument(4).String() {
		case "manual":
			client = &manual
		case "error":
			client = &refuse
		}
		raw := call.Argument(5).ToBoolean()
		cb, ok := goja.AssertFunction(call.Argument(6))
		if !ok {
			panic(sb.throwType("callback required"))
		}
		ctx, cancel := context.WithCancel(sb.host.ctx)
		req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
		if err == nil && req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			err = fmt.Errorf("the URL scheme %q is not supported: only http and https", req.URL.Scheme)
		}
		if err == nil {
			setHeaders(req, headers, raw)
		}
		deliver := sb.loop.reserve()
		go func() {
			defer cancel()
			var resp *http.Response
			var data []byte
			if err == nil {
				resp, err = client.Do(req)
			}
			if err == nil {
				defer resp.Body.Close()
				data, err = io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
				if err == nil && len(data) > maxFetchBody {
					err = errors.New("response body exceeds " + humanBytes(maxFetchBody))
				}
			}
			deliver(func() error {
				if err != nil {
					_, cerr := cb(goja.Undefined(), vm.ToValue(fetchError(err)))
					return cerr
				}
				_, cerr := cb(goja.Undefined(), goja.Null(), sb.responseObject(resp, data, rawURL))
				return cerr
			})
		}()
		return vm.ToValue(func(goja.FunctionCall) goja.Value {
			cancel()
			return goja.Undefined()
		})
	})
}

// setHeaders copies the script's headers onto req. Host becomes req.Host.
// Without raw, Accept-Encoding is left to the transport, which then
// decodes gzip itself; with raw it is kept less the codings zlib cannot
// decode (brotli, zstd), so a response is always one the script can read.
func setHeaders(req *http.Request, headers [][]string, raw bool) {
	for _, h := range headers {
		if len(h) != 2 {
			continue
		}
		name, value := h[0], h[1]
		switch strings.ToLower(name) {
		case "host":
			req.Host = value
			continue
		case "accept-encoding":
			if !raw {
				continue
			}
			var keep []string
			for _, c := range strings.Split(value, ",") {
				coding, _, _ := strings.Cut(strings.TrimSpace(c), ";")
				switch strings.ToLower(strings.TrimSpace(coding)) {
				case "br", "zstd", "":
					continue
				}
				keep = append(keep, strings.TrimSpace(c))
			}
			if len(keep) == 0 {
				keep = []string{"identity"}
			}
			value = strings.Join(keep, ", ")
		}
		req.Header.Add(name, value)
	}
}

func (sb *sandbox) responseObject(resp *http.Response, data []byte, requested string) goja.Value {
	vm := sb.vm
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hs := make([]any, 0, len(keys))
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			hs = append(hs, []any{k, v})
		}
	}
	final := resp.Request.URL.String()
	res := vm.NewObject()
	_ = res.Set("status", resp.StatusCode)
	_ = res.Set("statusText", strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))))
	_ = res.Set("headers", toJS(vm, hs))
	_ = res.Set("body", vm.NewArrayBuffer(data))
	_ = res.Set("url", final)
	_ = res.Set("redirected", final != requested)
	return res
}

// fetchError is the message of a failed request, without the method and
// URL Go's client puts in front (the script knows them).
func fetchError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// fetchURL is the absolute URL a Request holds: the scheme and host lower
// case, an empty path as "/", the scheme's default port dropped, as the
// WHATWG parser writes them.
func fetchURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || (u.Opaque == "" && u.Host == "" && (u.Scheme == "http" || u.Scheme == "https")) {
		return "", errors.New("not an absolute URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		u.Host = strings.TrimSuffix(u.Host, ":"+port)
	}
	if u.Opaque == "" && u.Path == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// httpURLParts are the request options Node's http.request takes from a
// URL string: protocol, hostname, port, path (with the query) and auth.
func httpURLParts(s string) (map[string]any, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, errors.New("not an absolute URL")
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	out := map[string]any{
		"protocol": strings.ToLower(u.Scheme) + ":",
		"hostname": strings.Trim(strings.ToLower(u.Hostname()), "[]"),
		"port":     u.Port(),
		"path":     path,
	}
	if u.User != nil {
		out["auth"] = u.User.String()
		if a, err := url.PathUnescape(u.User.String()); err == nil {
			out["auth"] = a
		}
	}
	return out, nil
}
