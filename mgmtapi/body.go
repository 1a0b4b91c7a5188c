package mgmtapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
)

var errMalformedJSON = badBody("Invalid request payload JSON format")

// readBody reads the whole body under its route's size cap (larger bodies
// get a 413) and checks it against the route's rule (limits.go) before any
// handler decodes it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rule := bodyRuleFor(r)
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rule.maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badBody("Could not read the request body")
	}
	if err := rule.checkBody(b); err != nil {
		return nil, err
	}
	return b, nil
}

// object is a JSON object body whose properties are decoded one by one, so
// handlers know which were present (PATCH semantics) and errors name the
// property.
type object map[string]json.RawMessage

// decodeObject reads the body as one JSON object. allowed lists the
// properties the schema has; nil allows any.
func decodeObject(w http.ResponseWriter, r *http.Request, allowed []string) (object, error) {
	b, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return parseObjectHint(b, allowed, bodyRuleFor(r).hint)
}

func parseObject(b []byte, allowed []string) (object, error) {
	return parseObjectHint(b, allowed, "")
}

// parseObjectHint is parseObject with the advice Auth0 appends to the
// list of properties it refuses.
func parseObjectHint(b []byte, allowed []string, hint string) (object, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, payloadError("'Expected type object but found type null'")
	}
	if !json.Valid(b) {
		return nil, errMalformedJSON
	}
	if b[0] != '{' {
		return nil, payloadError("'Expected type object but found type %s'", jsonKind(b))
	}
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, errMalformedJSON
	}
	if o == nil {
		o = object{}
	}
	if allowed != nil {
		var unknown []string
		for k := range o {
			if !slices.Contains(allowed, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, payloadError("'Additional properties not allowed: %s%s'", strings.Join(unknown, ","), hint)
		}
	}
	return o, nil
}

// has reports whether the property is present (even as null).
func (o object) has(name string) bool {
	_, ok := o[name]
	return ok
}

// isNull reports whether the property is present and null.
func (o object) isNull(name string) bool {
	raw, ok := o[name]
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

// field decodes property name into dst. It reports whether the property
// was present; null is a type error (use object.isNull first where null
// means something).
func field[T any](o object, name string, dst *T) (bool, error) {
	raw, ok := o[name]
	if !ok {
		return false, nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return true, payloadError("'Expected type %s but found type null' on property %s", jsonTypeName(reflect.TypeOf(dst).Elem()), name)
	}
	if err := decodeStrict(raw, dst); err != nil {
		return true, propertyError(name, reflect.TypeOf(dst).Elem(), err)
	}
	return true, nil
}

// decodeStrict decodes one value, rejecting unknown properties of nested
// objects.
func decodeStrict(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// propertyError words a decoding failure of property name as Auth0 does.
func propertyError(name string, t reflect.Type, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := name
		if te.Field != "" {
			path = name + "." + te.Field
		}
		found := te.Value
		if strings.HasPrefix(found, "number") {
			found = "number"
		}
		if found == "bool" {
			found = "boolean"
		}
		return payloadError("'Expected type %s but found type %s' on property %s", jsonTypeName(te.Type), found, path)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return payloadError("'Additional properties not allowed: %s' on property %s", strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), name)
	}
	return payloadError("'Expected type %s' on property %s", jsonTypeName(t), name)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "any"
}

// jsonKind names the JSON type of a valid JSON text.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "null"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// acceptedOnly checks the JSON types of properties Auth0 accepts and keyhook
// takes without storing them (Auth0's SDKs and the Deploy CLI send them);
// kinds maps each to its allowed types, as "object|null".
func acceptedOnly(o object, kinds map[string]string) error {
	for _, name := range sortedKeys(kinds) {
		raw, ok := o[name]
		if !ok {
			continue
		}
		found := jsonKind(bytes.TrimSpace(raw))
		if !slices.Contains(strings.Split(kinds[name], "|"), found) {
			want, _, _ := strings.Cut(kinds[name], "|")
			return payloadError("'Expected type %s but found type %s' on property %s", want, found, name)
		}
	}
	return nil
}

func missing(name string) error {
	return payloadError("'Missing required property: %s'", name)
}

// stringMap decodes an object of strings, naming the offending key on a
// type error (encoding/json does not name map keys).
func stringMap(o object, name string) (map[string]string, bool, error) {
	var raw map[string]json.RawMessage
	ok, err := field(o, name, &raw)
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		v = bytes.TrimSpace(v)
		if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return nil, true, payloadError("'Expected type string but found type %s' on property %s.%s", jsonKind(v), name, k)
		}
		out[k] = s
	}
	return out, true, nil
}
