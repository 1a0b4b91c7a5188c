package jsrt

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dop251/goja"
)

// maxFetchBody bounds a fetched response body.
const maxFetchBody = 16 << 20

// installFetch provides host.fetch(url, method, headers, body, cb): the
// request runs on its own goroutine through Options.HTTPClient (which is
// where outbound policy lives) and cb runs back on the loop. The request's
// context ends with the execution.
func (sb *sandbox) installFetch(natives *goja.Object) {
	vm := sb.vm
	client := sb.e.opts.HTTPClient
	_ = natives.Set("fetch", func(call goja.FunctionCall) goja.Value {
		rawURL := call.Argument(0).String()
		method := call.Argument(1).String()
		var headers [][]string
		_ = vm.ExportTo(call.Argument(2), &headers)
		var body io.Reader
		if b := call.Argument(3); !goja.IsNull(b) && !goja.IsUndefined(b) {
			if bytes, ok := sb.bytesOf(b); ok {
				body = strings.NewReader(string(bytes))
			} else {
				body = strings.NewReader(b.String())
			}
		}
		cb, ok := goja.AssertFunction(call.Argument(4))
		if !ok {
			panic(sb.throwType("callback required"))
		}
		req, err := http.NewRequestWithContext(sb.host.ctx, method, rawURL, body)
		if err != nil {
			panic(sb.throwType("Invalid URL: " + err.Error()))
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			panic(sb.throwType("fetch: only http and https URLs are supported"))
		}
		for _, h := range headers {
			if len(h) == 2 {
				req.Header.Add(h[0], h[1])
			}
		}
		deliver := sb.loop.reserve()
		go func() {
			resp, err := client.Do(req)
			var data []byte
			if err == nil {
				defer resp.Body.Close()
				data, err = io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
				if err == nil && len(data) > maxFetchBody {
					err = errors.New("response body exceeds " + humanBytes(maxFetchBody))
				}
			}
			deliver(func() error {
				if err != nil {
					_, cerr := cb(goja.Undefined(), vm.ToValue(err.Error()))
					return cerr
				}
				var hs []any
				for k, vs := range resp.Header {
					for _, v := range vs {
						hs = append(hs, []any{strings.ToLower(k), v})
					}
				}
				res := vm.NewObject()
				_ = res.Set("status", resp.StatusCode)
				_ = res.Set("statusText", strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))))
				_ = res.Set("headers", toJS(vm, hs))
				_ = res.Set("body", vm.NewArrayBuffer(data))
				_ = res.Set("url", resp.Request.URL.String())
				_, cerr := cb(goja.Undefined(), goja.Null(), res)
				return cerr
			})
		}()
		return goja.Undefined()
	})
}
