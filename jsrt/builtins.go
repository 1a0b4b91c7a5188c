package jsrt

import "slices"

// builtinModules are the modules the sandbox's require serves. Bundlers
// (npmdeps) keep them external, so a bundle requires them at run time.
var builtinModules = []string{
	"assert", "buffer", "crypto", "events", "os", "process", "punycode", "querystring",
	"stream", "string_decoder", "timers", "url", "util",
}

// BuiltinModules returns the modules require serves, each also under its
// "node:" name.
func BuiltinModules() []string {
	out := slices.Clone(builtinModules)
	for _, m := range builtinModules {
		out = append(out, "node:"+m)
	}
	return out
}
