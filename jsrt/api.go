package jsrt

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/keyhook/keyhook"
)

// The api object of each trigger, as Auth0's Actions have it. Every call of
// an api method is recorded as a Command for the caller to apply; jsrt
// itself changes nothing. Methods that Auth0 documents with a result
// compute it here (cache, redirect tokens, canRedirect, rules.wasExecuted);
// all others return api, so calls chain as they do on Auth0.
//
// The methods are shared by the executions of one runtime (one program)
// and act on the execution in progress; the api object and its namespace
// objects are new for each execution, so what a script sets on them does
// not outlive the execution.

// maxCommands bounds the api calls one execution may record.
const maxCommands = 10000

// actionRun is the state of the action execution in progress.
type actionRun struct {
	api      *goja.Object
	event    *goja.Object
	cache    *ActionCache
	issuer   string
	commands []Command
	// bytes is the JSON size of the recorded arguments so far.
	bytes int64
}

type apiNamespace struct {
	name    string
	methods []string
}

var cacheNamespace = apiNamespace{"cache", []string{"get", "set", "delete"}}

var postLoginAPI = []apiNamespace{
	{"access", []string{"deny"}},
	{"accessToken", []string{"setCustomClaim", "addScope", "removeScope"}},
	{"authentication", []string{"challengeWith", "challengeWithAny", "enrollWith", "enrollWithAny", "recordMethod", "setPrimaryUser"}},
	cacheNamespace,
	{"idToken", []string{"setCustomClaim"}},
	{"multifactor", []string{"enable"}},
	{"prompt", []string{"render"}},
	{"redirect", []string{"canRedirect", "encodeToken", "sendUserTo", "validateToken"}},
	{"refreshToken", []string{"revoke", "setExpiresAt", "setIdleExpiresAt", "setMetadata", "deleteMetadata"}},
	{"rules", []string{"wasExecuted"}},
	{"samlResponse", []string{"setAttribute", "setAudience", "setIssuer", "setEncryptionPublicKey", "setEncryptionCert",
		"setRecipient", "setCreateUpnClaim", "setPassthroughClaimsWithNoMapping", "setMapUnknownClaimsAsIs", "setMapIdentities",
		"setSignatureAlgorithm", "setDigestAlgorithm", "setDestination", "setRelayState", "setLifetimeInSeconds", "setSignResponse",
		"setNameIdentifierFormat", "setNameIdentifierProbes", "setAuthnContextClassRef", "setSigningCert",
		"setIncludeAttributeNameFormat", "setTypedAttributes", "setCert", "setKey"}},
	{"session", []string{"revoke", "setExpiresAt", "setIdleExpiresAt", "setMetadata", "deleteMetadata"}},
	{"transaction", []string{"setMetadata"}},
	{"user", []string{"setAppMetadata", "setUserMetadata"}},
	{"validation", []string{"error"}},
}

// apiSurface lists the namespaces and methods of each trigger's api.
var apiSurface = map[keyhook.TriggerID][]apiNamespace{
	keyhook.TriggerPostLogin: postLoginAPI,
	keyhook.TriggerCredentialsExchange: {
		{"access", []string{"deny"}},
		{"accessToken", []string{"setCustomClaim"}},
		cacheNamespace,
		{"transaction", []string{"addTargetScope", "removeTargetScope", "setTargetScopes", "clearTargetScopes"}},
	},
	keyhook.TriggerPreUserRegistration: {
		{"access", []string{"deny"}},
		cacheNamespace,
		{"user", []string{"setAppMetadata", "setUserMetadata"}},
		{"validation", []string{"error"}},
	},
	keyhook.TriggerPostUserRegistration: {cacheNamespace},
	keyhook.TriggerPostChangePassword:   {cacheNamespace},
	keyhook.TriggerSendPhoneMessage:     {cacheNamespace},
}

// apiResults computes the result of the methods that have one.
var apiResults = map[string]func(sb *sandbox, call goja.FunctionCall) goja.Value{
	"cache.get":              (*sandbox).cacheGet,
	"cache.set":              (*sandbox).cacheSet,
	"cache.delete":           (*sandbox).cacheDelete,
	"redirect.canRedirect":   (*sandbox).canRedirect,
	"redirect.encodeToken":   (*sandbox).encodeToken,
	"redirect.validateToken": (*sandbox).validateToken,
	"rules.wasExecuted":      func(sb *sandbox, _ goja.FunctionCall) goja.Value { return sb.vm.ToValue(false) }, // keyhook has no Rules
}

// apiRedacted are the methods whose first argument's secret is not
// recorded.
var apiRedacted = map[string]bool{"redirect.encodeToken": true, "redirect.validateToken": true}

type apiProto struct {
	name  string
	proto *goja.Object
}

// newAPI returns a fresh api object for the execution in progress. The
// method functions are built once per runtime and shared through the
// namespace objects' prototypes.
func (sb *sandbox) newAPI() *goja.Object {
	vm := sb.vm
	if sb.apiProtos == nil {
		for _, ns := range apiSurface[sb.p.spec.Trigger] {
			proto := vm.NewObject()
			for _, m := range ns.methods {
				_ = proto.Set(m, sb.apiMethod(ns.name+"."+m))
			}
			sb.apiProtos = append(sb.apiProtos, apiProto{ns.name, proto})
		}
	}
	api := vm.NewObject()
	for _, p := range sb.apiProtos {
		_ = api.Set(p.name, vm.CreateObject(p.proto))
	}
	sb.act.api = api
	return api
}

func (sb *sandbox) apiMethod(path string) goja.Value {
	method := "api." + path
	result := apiResults[path]
	redact := apiRedacted[path]
	fn := sb.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		sb.record(method, call.Arguments, redact)
		if result != nil {
			return result(sb, call)
		}
		return sb.act.api
	}).(*goja.Object)
	name := path[strings.LastIndexByte(path, '.')+1:]
	_ = fn.DefineDataProperty("name", sb.vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return fn
}

// record appends a command with copies of args, within the execution's
// command count and size limits.
func (sb *sandbox) record(method string, args []goja.Value, redact bool) {
	a := sb.act
	if a == nil {
		panic(sb.throwError("api methods can only be called while the action runs"))
	}
	limit := int64(sb.e.opts.ResultLimit)
	if len(a.commands) >= maxCommands {
		panic(sb.throwLimit(fmt.Sprintf("An action may make at most %d api calls", maxCommands)))
	}
	out := make([]any, len(args))
	for i, v := range args {
		x, n, err := sb.exportArg(v, limit-a.bytes)
		if errors.Is(err, errJSONTooLarge) {
			panic(sb.throwLimit(fmt.Sprintf("The arguments of api calls exceed the %s limit", humanBytes(limit))))
		}
		if err != nil {
			panic(err)
		}
		a.bytes += n
		out[i] = x
	}
	if redact && len(out) > 0 {
		if m, ok := out[0].(map[string]any); ok {
			if _, has := m["secret"]; has {
				m["secret"] = "[redacted]"
			}
		}
	}
	a.commands = append(a.commands, Command{Method: method, Args: out})
}

// exportArg copies one argument as a JSON-shaped Go value and reports its
// JSON size. Primitives are copied directly; objects go through the
// bounded JSON.stringify, so toJSON, getters and cycles behave as in
// JSON.stringify.
func (sb *sandbox) exportArg(v goja.Value, budget int64) (any, int64, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, 4, nil
	}
	if _, isObj := v.(*goja.Object); !isObj {
		switch x := v.Export().(type) {
		case string:
			if int64(len(x)) > budget {
				return nil, 0, errJSONTooLarge
			}
			return x, int64(len(x)) + 2, nil
		case int64:
			return float64(x), 8, nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, 4, nil
			}
			return x, 8, nil
		case bool:
			return x, 5, nil
		}
	}
	if budget <= 0 {
		return nil, 0, errJSONTooLarge
	}
	out, err := sb.boundedStringify(v, goja.Undefined(), goja.Undefined(), budget)
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			if x := sb.errorFromValue(ex.Value()); x.Name == "RangeError" && strings.Contains(x.Message, "JSON output") {
				return nil, 0, errJSONTooLarge
			}
		}
		return nil, 0, err
	}
	if goja.IsUndefined(out) {
		return nil, 4, nil
	}
	s := out.String()
	var x any
	if err := json.Unmarshal([]byte(s), &x); err != nil {
		return nil, 0, err
	}
	return x, int64(len(s)), nil
}

func (sb *sandbox) throwLimit(msg string) *goja.Object {
	e := sb.throwError(msg)
	_ = e.Set("name", ErrNameLimit)
	return e
}

// ---- api.cache --------------------------------------------------------

func (sb *sandbox) cacheResult(err error) goja.Value {
	o := sb.vm.NewObject()
	if err == nil {
		_ = o.Set("type", "success")
		return o
	}
	_ = o.Set("type", "error")
	var ce *CacheError
	if errors.As(err, &ce) {
		_ = o.Set("code", ce.Code)
	}
	return o
}

func (sb *sandbox) cacheGet(call goja.FunctionCall) goja.Value {
	key, ok := call.Argument(0).Export().(string)
	if !ok {
		return goja.Undefined()
	}
	value, expires, found := sb.act.cache.Get(key)
	if !found {
		return goja.Undefined()
	}
	o := sb.vm.NewObject()
	_ = o.Set("value", value)
	_ = o.Set("expires_at", expires.UnixMilli())
	return o
}

func (sb *sandbox) cacheSet(call goja.FunctionCall) goja.Value {
	key, ok := call.Argument(0).Export().(string)
	if !ok {
		return sb.cacheResult(&CacheError{Code: CacheInvalidKey})
	}
	value, ok := call.Argument(1).Export().(string)
	if !ok {
		return sb.cacheResult(&CacheError{Code: CacheInvalidValue})
	}
	var ttl time.Duration
	var expiresAt time.Time
	if opts, ok := call.Argument(2).(*goja.Object); ok {
		if v := opts.Get("ttl"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			ttl = time.Duration(v.ToFloat() * float64(time.Millisecond))
			if ttl <= 0 {
				return sb.cacheResult(&CacheError{Code: CacheInvalidTTL})
			}
		}
		if v := opts.Get("expires_at"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			ms := v.ToFloat()
			if math.IsNaN(ms) || math.IsInf(ms, 0) {
				return sb.cacheResult(&CacheError{Code: CacheInvalidTTL})
			}
			expiresAt = time.UnixMilli(int64(ms))
		}
	}
	return sb.cacheResult(sb.act.cache.Set(key, value, ttl, expiresAt))
}

func (sb *sandbox) cacheDelete(call goja.FunctionCall) goja.Value {
	key, ok := call.Argument(0).Export().(string)
	if !ok {
		return sb.cacheResult(&CacheError{Code: CacheInvalidKey})
	}
	sb.act.cache.Delete(key)
	return sb.cacheResult(nil)
}

// ---- api.redirect -----------------------------------------------------

// nonInteractive are the transaction protocols without a browser to
// redirect (api.redirect.canRedirect is false for them).
var nonInteractive = map[string]bool{
	"oauth2-resource-owner": true, "oauth2-resource-owner-jwt-bearer": true, "oauth2-password": true,
	"oauth2-refresh-token": true, "oauth2-token-exchange": true, "oauth2-device-code": true, "oauth2-access-token": true,
}

// prop is o[k], undefined when o has no such property.
func prop(o *goja.Object, k string) goja.Value {
	if v := o.Get(k); v != nil {
		return v
	}
	return goja.Undefined()
}

// eventPath reads a property path of the execution's event object.
func (sb *sandbox) eventPath(path ...string) goja.Value {
	var v goja.Value = sb.act.event
	for _, k := range path {
		o, ok := v.(*goja.Object)
		if !ok {
			return goja.Undefined()
		}
		v = o.Get(k)
		if v == nil {
			return goja.Undefined()
		}
	}
	return v
}

func (sb *sandbox) canRedirect(goja.FunctionCall) goja.Value {
	if p, ok := sb.eventPath("transaction", "protocol").Export().(string); ok && nonInteractive[p] {
		return sb.vm.ToValue(false)
	}
	switch prompt := sb.eventPath("transaction", "prompt").Export().(type) {
	case string:
		if prompt == "none" {
			return sb.vm.ToValue(false)
		}
	case []any:
		for _, x := range prompt {
			if x == "none" {
				return sb.vm.ToValue(false)
			}
		}
	}
	return sb.vm.ToValue(true)
}

// encodeToken makes the HS256 token Auth0's api.redirect.encodeToken
// returns: the payload's claims with iss, sub (the user), iat and exp.
func (sb *sandbox) encodeToken(call goja.FunctionCall) goja.Value {
	opts, ok := call.Argument(0).(*goja.Object)
	if !ok {
		panic(sb.throwType("encodeToken: options must be an object"))
	}
	secret, ok := prop(opts, "secret").Export().(string)
	if !ok || secret == "" {
		panic(sb.throwType("encodeToken: options.secret must be a non-empty string"))
	}
	claims := map[string]any{}
	if p := opts.Get("payload"); p != nil && !goja.IsUndefined(p) && !goja.IsNull(p) {
		x, _, err := sb.exportArg(p, int64(sb.e.opts.ResultLimit))
		if err != nil {
			panic(sb.throwType("encodeToken: options.payload must be a JSON object"))
		}
		m, ok := x.(map[string]any)
		if !ok {
			panic(sb.throwType("encodeToken: options.payload must be an object"))
		}
		claims = m
	}
	expires := 900.0
	if v := opts.Get("expiresInSeconds"); v != nil && !goja.IsUndefined(v) {
		expires = v.ToFloat()
	}
	now := time.Now()
	if sb.act.issuer != "" {
		claims["iss"] = sb.act.issuer
	}
	if sub, ok := sb.eventPath("user", "user_id").Export().(string); ok {
		claims["sub"] = sub
	}
	claims["iat"] = now.Unix()
	claims["exp"] = now.Unix() + int64(expires)
	token, err := signHS256(claims, []byte(secret))
	if err != nil {
		panic(sb.throwType("encodeToken: " + err.Error()))
	}
	return sb.vm.ToValue(token)
}

// validateToken checks the HS256 token the redirect returned with (query
// or body parameter tokenParameterName, default session_token): signature
// and exp. The state claim cannot be checked until the redirect round trip
// exists. It returns the token's claims and throws when it is not valid.
func (sb *sandbox) validateToken(call goja.FunctionCall) goja.Value {
	opts, ok := call.Argument(0).(*goja.Object)
	if !ok {
		panic(sb.throwType("validateToken: options must be an object"))
	}
	secret, ok := prop(opts, "secret").Export().(string)
	if !ok || secret == "" {
		panic(sb.throwType("validateToken: options.secret must be a non-empty string"))
	}
	param := "session_token"
	if v, ok := prop(opts, "tokenParameterName").Export().(string); ok && v != "" {
		param = v
	}
	token, ok := sb.eventPath("request", "query", param).Export().(string)
	if !ok {
		token, ok = sb.eventPath("request", "body", param).Export().(string)
	}
	if !ok {
		panic(sb.throwError("validateToken: no " + param + " parameter in the request"))
	}
	claims, err := verifyHS256(token, []byte(secret), time.Now())
	if err != nil {
		panic(sb.throwError("validateToken: " + err.Error()))
	}
	return toJS(sb.vm, claims)
}

// signHS256 makes a compact HS256 JWT of claims.
func signHS256(claims map[string]any, secret []byte) (string, error) {
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// verifyHS256 checks a compact HS256 JWT's signature and exp and returns
// its claims.
func verifyHS256(token string, secret []byte, now time.Time) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("the token is malformed")
	}
	enc := base64.RawURLEncoding
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := enc.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "HS256" {
		return nil, errors.New("the token is not an HS256 JWT")
	}
	sig, err := enc.DecodeString(parts[2])
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errors.New("the token's signature is invalid")
	}
	body, err := enc.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || json.Unmarshal(body, &claims) != nil || claims == nil {
		return nil, errors.New("the token's payload is not a JSON object")
	}
	if exp, ok := claims["exp"].(float64); !ok || float64(now.Unix()) >= exp {
		return nil, errors.New("the token has expired")
	}
	return claims, nil
}
