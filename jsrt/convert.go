package jsrt

import (
	"encoding/json"
	"slices"

	"github.com/dop251/goja"
)

// Undefined in HookCall.Args (or nested in them) reaches the script as
// undefined rather than null — e.g. credentials-exchange's scope when the
// grant has none, which Auth0 leaves undefined.
type Undefined struct{}

// toJS deep-copies a JSON-shaped Go value into fresh native JS values, so
// the script may mutate its arguments (scope.push) without touching the
// caller's maps and slices. Other Go types go through a JSON round trip.
func toJS(vm *goja.Runtime, v any) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case Undefined:
		return goja.Undefined()
	case string:
		return vm.ToValue(x)
	case bool:
		return vm.ToValue(x)
	case float64:
		return vm.ToValue(x)
	case int:
		return vm.ToValue(x)
	case int64:
		return vm.ToValue(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return vm.ToValue(x.String())
		}
		return vm.ToValue(f)
	case map[string]any:
		o := vm.NewObject()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			_ = o.Set(k, toJS(vm, x[k]))
		}
		return o
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = toJS(vm, e)
		}
		return vm.NewArray(items...)
	case []string:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = vm.ToValue(e)
		}
		return vm.NewArray(items...)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return goja.Undefined()
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return goja.Undefined()
		}
		return toJS(vm, generic)
	}
}
