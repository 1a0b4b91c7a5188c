package jsrt

import (
	"slices"

	"github.com/keyhook/keyhook/jsrt/nodelib"
)

// hostModules are the built-in modules js/host.js writes itself; require
// serves them first, then nodelib's.
var hostModules = []string{"crypto", "fs", "http", "https", "net", "os", "process", "timers", "tls", "zlib"}

// BuiltinModules returns the modules require serves, each also under its
// "node:" name. Bundlers (npmdeps) keep them external, so a bundle
// requires them at run time.
func BuiltinModules() []string {
	names := append(slices.Clone(hostModules), nodelib.Names()...)
	slices.Sort(names)
	out := make([]string, 0, 2*len(names))
	for _, n := range names {
		out = append(out, n, "node:"+n)
	}
	return out
}
