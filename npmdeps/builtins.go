package npmdeps

import (
	"strings"

	"github.com/Masterminds/semver/v3"
)

// nodeBuiltins are Node.js's built-in modules (require("module").builtinModules of Node 20,
// plus the "node:"-only ones, which any "node:" prefix covers). Written out because esbuild
// does not export its copy and keyhook runs no node to ask.
var nodeBuiltins = func() map[string]bool {
	out := map[string]bool{}
	for _, m := range strings.Fields(`_http_agent _http_client _http_common _http_incoming _http_outgoing
		_http_server _stream_duplex _stream_passthrough _stream_readable _stream_transform _stream_wrap
		_stream_writable _tls_common _tls_wrap assert assert/strict async_hooks buffer child_process
		cluster console constants crypto dgram diagnostics_channel dns dns/promises domain events fs
		fs/promises http http2 https inspector inspector/promises module net os path path/posix
		path/win32 perf_hooks process punycode querystring readline readline/promises repl stream
		stream/consumers stream/promises stream/web string_decoder sys timers timers/promises tls
		trace_events tty url util util/types v8 vm wasi worker_threads zlib`) {
		out[m] = true
	}
	return out
}()

func isNodeBuiltin(spec string) bool {
	return strings.HasPrefix(spec, "node:") || nodeBuiltins[spec]
}

// compareVersions orders two semver strings; one that does not parse sorts lowest.
func compareVersions(a, b string) int {
	va, errA := semver.StrictNewVersion(a)
	vb, errB := semver.StrictNewVersion(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return va.Compare(vb)
}
