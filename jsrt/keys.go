package jsrt

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/dop251/goja"
)

// keyHandle is what a KeyObject holds: a Go key. goja wraps the pointer in
// an object that shows scripts nothing (no exported fields or methods);
// only the natives below read it.
type keyHandle struct {
	secret []byte
	priv   crypto.Signer // *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey
	pub    crypto.PublicKey
}

func (k *keyHandle) kind() string {
	switch {
	case k.secret != nil:
		return "secret"
	case k.priv != nil:
		return "private"
	}
	return "public"
}

func (k *keyHandle) public() crypto.PublicKey {
	if k.priv != nil {
		return k.priv.Public()
	}
	return k.pub
}

// asymmetricType is Node's asymmetricKeyType.
func asymmetricType(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "rsa"
	case *ecdsa.PublicKey:
		return "ec"
	case ed25519.PublicKey:
		return "ed25519"
	}
	return ""
}

// curveNames are Node's names of the curves (OpenSSL's) and JWK's.
var curveNames = map[elliptic.Curve][2]string{
	elliptic.P256(): {"prime256v1", "P-256"},
	elliptic.P384(): {"secp384r1", "P-384"},
	elliptic.P521(): {"secp521r1", "P-521"},
}

func curveByJWK(crv string) (elliptic.Curve, bool) {
	for c, n := range curveNames {
		if n[1] == crv {
			return c, true
		}
	}
	return nil, false
}

var errKeyFormat = errors.New("error:1E08010C:DECODER routines::unsupported")

// parseKey reads key material as Node's createPrivateKey, createPublicKey
// and createSecretKey do. kind "public" also accepts a private key or a
// certificate and keeps its public half.
func parseKey(kind string, data []byte, jwk map[string]any, format, typ string) (*keyHandle, error) {
	if kind == "secret" {
		return &keyHandle{secret: append([]byte{}, data...)}, nil
	}
	if format == "jwk" {
		k, err := keyFromJWK(jwk)
		if err != nil {
			return nil, err
		}
		return narrow(k, kind)
	}
	if format == "pem" || format == "" {
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, errKeyFormat
			}
			if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
				return nil, errors.New("passphrase-protected keys are not supported in the sandbox")
			}
			var k *keyHandle
			var err error
			switch block.Type {
			case "PRIVATE KEY":
				k, err = derKey(block.Bytes, "pkcs8")
			case "RSA PRIVATE KEY":
				k, err = derKey(block.Bytes, "pkcs1")
			case "EC PRIVATE KEY":
				k, err = derKey(block.Bytes, "sec1")
			case "PUBLIC KEY":
				k, err = derKey(block.Bytes, "spki")
			case "RSA PUBLIC KEY":
				k, err = derKey(block.Bytes, "pkcs1-public")
			case "CERTIFICATE":
				var cert *x509.Certificate
				if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
					k = &keyHandle{pub: cert.PublicKey}
				}
			default:
				continue // EC PARAMETERS and the like precede the key
			}
			if err != nil {
				return nil, err
			}
			return narrow(k, kind)
		}
	}
	if format != "der" {
		return nil, fmt.Errorf("the key format %q is not supported", format)
	}
	switch {
	case kind == "private" && typ == "pkcs1":
		typ = "pkcs1"
	case typ == "pkcs1":
		typ = "pkcs1-public"
	case typ == "":
		return nil, errors.New("the property 'key.type' is required for a DER key")
	}
	k, err := derKey(data, typ)
	if err != nil {
		return nil, err
	}
	return narrow(k, kind)
}

// narrow checks that k is of the kind asked for, taking a private key's
// public half when a public key is wanted.
func narrow(k *keyHandle, kind string) (*keyHandle, error) {
	switch {
	case kind == "public" && k.priv != nil:
		return &keyHandle{pub: k.priv.Public()}, nil
	case kind == "private" && k.priv == nil:
		return nil, errors.New("error:1E08010C:DECODER routines::unsupported (not a private key)")
	}
	return k, nil
}

func derKey(der []byte, typ string) (*keyHandle, error) {
	var key any
	var err error
	switch typ {
	case "pkcs8":
		key, err = x509.ParsePKCS8PrivateKey(der)
	case "pkcs1":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "sec1":
		key, err = x509.ParseECPrivateKey(der)
	case "spki":
		key, err = x509.ParsePKIXPublicKey(der)
	case "pkcs1-public":
		key, err = x509.ParsePKCS1PublicKey(der)
	default:
		return nil, fmt.Errorf("the key type %q is not supported", typ)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyFormat, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &keyHandle{priv: k}, nil
	case *ecdsa.PrivateKey:
		return &keyHandle{priv: k}, nil
	case ed25519.PrivateKey:
		return &keyHandle{priv: k}, nil
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return &keyHandle{pub: k}, nil
	case *ecdh.PrivateKey, *ecdh.PublicKey:
		return nil, errors.New("X25519 and X448 keys are not supported in the sandbox")
	}
	return nil, fmt.Errorf("keys of type %T are not supported in the sandbox", key)
}

func b64urlField(m map[string]any, name string, required bool) ([]byte, error) {
	v, ok := m[name].(string)
	if !ok {
		if required {
			return nil, fmt.Errorf("invalid JWK: %q is missing", name)
		}
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return nil, fmt.Errorf("invalid JWK: %q is not base64url", name)
	}
	return b, nil
}

func bigField(m map[string]any, name string) (*big.Int, error) {
	b, err := b64urlField(m, name, true)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

// keyFromJWK reads an RSA, EC (P-256/384/521), Ed25519 or oct JWK.
func keyFromJWK(m map[string]any) (*keyHandle, error) {
	kty, _ := m["kty"].(string)
	_, hasD := m["d"]
	switch kty {
	case "oct":
		k, err := b64urlField(m, "k", true)
		if err != nil {
			return nil, err
		}
		return &keyHandle{secret: k}, nil
	case "RSA":
		n, err := bigField(m, "n")
		if err != nil {
			return nil, err
		}
		e, err := bigField(m, "e")
		if err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() > 1<<31-1 || e.Int64() < 3 {
			return nil, errors.New("invalid JWK: bad RSA exponent")
		}
		pub := rsa.PublicKey{N: n, E: int(e.Int64())}
		if !hasD {
			return &keyHandle{pub: &pub}, nil
		}
		priv := &rsa.PrivateKey{PublicKey: pub}
		if priv.D, err = bigField(m, "d"); err != nil {
			return nil, err
		}
		p, errP := bigField(m, "p")
		q, errQ := bigField(m, "q")
		if errP != nil || errQ != nil {
			return nil, errors.New("invalid JWK: an RSA private key needs p and q")
		}
		priv.Primes = []*big.Int{p, q}
		if err := priv.Validate(); err != nil {
			return nil, fmt.Errorf("invalid JWK: %w", err)
		}
		priv.Precompute()
		return &keyHandle{priv: priv}, nil
	case "EC":
		crv, _ := m["crv"].(string)
		curve, ok := curveByJWK(crv)
		if !ok {
			return nil, fmt.Errorf("invalid JWK: unsupported curve %q", crv)
		}
		x, err := bigField(m, "x")
		if err != nil {
			return nil, err
		}
		y, err := bigField(m, "y")
		if err != nil {
			return nil, err
		}
		size := (curve.Params().BitSize + 7) / 8
		point := make([]byte, 1+2*size)
		point[0] = 4
		if x.BitLen() > 8*size || y.BitLen() > 8*size {
			return nil, errors.New("invalid JWK: EC point is not on the curve")
		}
		x.FillBytes(point[1 : 1+size])
		y.FillBytes(point[1+size:])
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, fmt.Errorf("invalid JWK: %w", err)
		}
		if !hasD {
			return &keyHandle{pub: pub}, nil
		}
		d, err := b64urlField(m, "d", true)
		if err != nil {
			return nil, err
		}
		priv, err := ecdsa.ParseRawPrivateKey(curve, leftPad(d, size))
		if err != nil {
			return nil, fmt.Errorf("invalid JWK: %w", err)
		}
		if !priv.PublicKey.Equal(pub) {
			return nil, errors.New("invalid JWK: d does not match x and y")
		}
		return &keyHandle{priv: priv}, nil
	case "OKP":
		if crv, _ := m["crv"].(string); crv != "Ed25519" {
			return nil, fmt.Errorf("invalid JWK: unsupported curve %q", crv)
		}
		x, err := b64urlField(m, "x", true)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("invalid JWK: bad Ed25519 x")
		}
		if !hasD {
			return &keyHandle{pub: ed25519.PublicKey(x)}, nil
		}
		d, err := b64urlField(m, "d", true)
		if err != nil || len(d) != ed25519.SeedSize {
			return nil, errors.New("invalid JWK: bad Ed25519 d")
		}
		priv := ed25519.NewKeyFromSeed(d)
		if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(x)) {
			return nil, errors.New("invalid JWK: d does not match x")
		}
		return &keyHandle{priv: priv}, nil
	}
	return nil, fmt.Errorf("invalid JWK: unsupported key type %q", kty)
}

func leftPad(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// exportJWK writes k as a JWK, as Node's KeyObject.export({format: 'jwk'}).
func exportJWK(k *keyHandle) (map[string]any, error) {
	if k.secret != nil {
		return map[string]any{"kty": "oct", "k": b64url(k.secret)}, nil
	}
	switch pub := k.public().(type) {
	case *rsa.PublicKey:
		out := map[string]any{"kty": "RSA", "n": b64url(pub.N.Bytes()), "e": b64url(big.NewInt(int64(pub.E)).Bytes())}
		if p, ok := k.priv.(*rsa.PrivateKey); ok {
			p.Precompute()
			out["d"] = b64url(p.D.Bytes())
			out["p"] = b64url(p.Primes[0].Bytes())
			out["q"] = b64url(p.Primes[1].Bytes())
			out["dp"] = b64url(p.Precomputed.Dp.Bytes())
			out["dq"] = b64url(p.Precomputed.Dq.Bytes())
			out["qi"] = b64url(p.Precomputed.Qinv.Bytes())
		}
		return out, nil
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		point, err := pub.Bytes()
		if err != nil {
			return nil, err
		}
		out := map[string]any{"kty": "EC", "crv": curveNames[pub.Curve][1], "x": b64url(point[1 : 1+size]), "y": b64url(point[1+size:])}
		if p, ok := k.priv.(*ecdsa.PrivateKey); ok {
			d, err := p.Bytes()
			if err != nil {
				return nil, err
			}
			out["d"] = b64url(d)
		}
		return out, nil
	case ed25519.PublicKey:
		out := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64url(pub)}
		if p, ok := k.priv.(ed25519.PrivateKey); ok {
			out["d"] = b64url(p.Seed())
		}
		return out, nil
	}
	return nil, errors.New("unsupported key")
}

// exportDER encodes k in the type Node names (pkcs1, pkcs8, sec1, spki).
func exportDER(k *keyHandle, typ string) ([]byte, string, error) {
	if k.priv != nil {
		switch typ {
		case "pkcs8":
			der, err := x509.MarshalPKCS8PrivateKey(k.priv)
			return der, "PRIVATE KEY", err
		case "pkcs1":
			if p, ok := k.priv.(*rsa.PrivateKey); ok {
				return x509.MarshalPKCS1PrivateKey(p), "RSA PRIVATE KEY", nil
			}
		case "sec1":
			if p, ok := k.priv.(*ecdsa.PrivateKey); ok {
				der, err := x509.MarshalECPrivateKey(p)
				return der, "EC PRIVATE KEY", err
			}
		}
		return nil, "", fmt.Errorf("the property 'options.type' must be one of: 'pkcs1' (RSA), 'pkcs8', 'sec1' (EC). Received %q", typ)
	}
	switch typ {
	case "spki":
		der, err := x509.MarshalPKIXPublicKey(k.pub)
		return der, "PUBLIC KEY", err
	case "pkcs1":
		if p, ok := k.pub.(*rsa.PublicKey); ok {
			return x509.MarshalPKCS1PublicKey(p), "RSA PUBLIC KEY", nil
		}
	}
	return nil, "", fmt.Errorf("the property 'options.type' must be one of: 'pkcs1' (RSA), 'spki'. Received %q", typ)
}

// hashFor is the digest a signature algorithm name asks for: Node accepts
// digest names ("sha256") and OpenSSL's signature names ("RSA-SHA256",
// "ecdsa-with-SHA256"). "" is no digest (Ed25519).
func hashFor(alg string) (crypto.Hash, bool) {
	a := strings.ToLower(alg)
	a = strings.TrimPrefix(a, "rsa-")
	a = strings.TrimPrefix(a, "ecdsa-with-")
	switch strings.ReplaceAll(a, "-", "") {
	case "":
		return 0, true
	case "sha1":
		return crypto.SHA1, true
	case "sha224":
		return crypto.SHA224, true
	case "sha256":
		return crypto.SHA256, true
	case "sha384":
		return crypto.SHA384, true
	case "sha512":
		return crypto.SHA512, true
	case "md5":
		return crypto.MD5, true
	}
	return 0, false
}

// signOpts are the options of a key argument to sign and verify.
type signOpts struct {
	Padding     int
	SaltLength  int
	DSAEncoding string
}

const (
	rsaPKCS1PSSPadding = 6
	saltLengthDigest   = -1
	saltLengthMax      = -2 // RSA_PSS_SALTLEN_MAX_SIGN when signing, _AUTO when verifying
)

// pssOptions maps Node's salt length to Go's: RSA_PSS_SALTLEN_MAX_SIGN and
// _AUTO (both -2) are Go's PSSSaltLengthAuto, the longest salt when
// signing and any when verifying, as in Node.
func pssOptions(h crypto.Hash, salt int) *rsa.PSSOptions {
	o := &rsa.PSSOptions{Hash: h}
	switch {
	case salt == saltLengthDigest:
		o.SaltLength = rsa.PSSSaltLengthEqualsHash
	case salt <= saltLengthMax:
		o.SaltLength = rsa.PSSSaltLengthAuto
	default:
		o.SaltLength = salt
	}
	return o
}

func digest(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

func signWith(alg string, data []byte, k *keyHandle, o signOpts) ([]byte, error) {
	h, ok := hashFor(alg)
	if !ok {
		return nil, errors.New("Invalid digest: " + alg)
	}
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		if h == 0 {
			return nil, errors.New("an RSA signature needs a digest")
		}
		if o.Padding == rsaPKCS1PSSPadding {
			return rsa.SignPSS(rand.Reader, p, h, digest(h, data), pssOptions(h, o.SaltLength))
		}
		return rsa.SignPKCS1v15(rand.Reader, p, h, digest(h, data))
	case *ecdsa.PrivateKey:
		if h == 0 {
			return nil, errors.New("an ECDSA signature needs a digest")
		}
		sig, err := ecdsa.SignASN1(rand.Reader, p, digest(h, data))
		if err != nil || o.DSAEncoding != "ieee-p1363" {
			return sig, err
		}
		return derToP1363(sig, (p.Curve.Params().BitSize+7)/8)
	case ed25519.PrivateKey:
		if h != 0 {
			return nil, errors.New("Ed25519 signs without a digest: pass null as the algorithm")
		}
		return ed25519.Sign(p, data), nil
	}
	return nil, errors.New("unsupported key")
}

func verifyWith(alg string, data []byte, k *keyHandle, sig []byte, o signOpts) (bool, error) {
	h, ok := hashFor(alg)
	if !ok {
		return false, errors.New("Invalid digest: " + alg)
	}
	switch p := k.public().(type) {
	case *rsa.PublicKey:
		if h == 0 {
			return false, errors.New("an RSA signature needs a digest")
		}
		if o.Padding == rsaPKCS1PSSPadding {
			return rsa.VerifyPSS(p, h, digest(h, data), sig, pssOptions(h, o.SaltLength)) == nil, nil
		}
		return rsa.VerifyPKCS1v15(p, h, digest(h, data), sig) == nil, nil
	case *ecdsa.PublicKey:
		if h == 0 {
			return false, errors.New("an ECDSA signature needs a digest")
		}
		if o.DSAEncoding == "ieee-p1363" {
			size := (p.Curve.Params().BitSize + 7) / 8
			if len(sig) != 2*size {
				return false, nil
			}
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])})
			if err != nil {
				return false, nil
			}
			sig = der
		}
		return ecdsa.VerifyASN1(p, digest(h, data), sig), nil
	case ed25519.PublicKey:
		if h != 0 {
			return false, errors.New("Ed25519 verifies without a digest: pass null as the algorithm")
		}
		return ed25519.Verify(p, data, sig), nil
	}
	return false, errors.New("unsupported key")
}

func derToP1363(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, err
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

func keysEqual(a, b *keyHandle) bool {
	if a.kind() != b.kind() {
		return false
	}
	if a.secret != nil {
		return len(a.secret) == len(b.secret) && subtle.ConstantTimeCompare(a.secret, b.secret) == 1
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pa, ok := a.public().(equaler)
	return ok && pa.Equal(b.public())
}

// installKeys provides the KeyObject natives: keyParse, keyInfo,
// keyExport, keyPublic, keyEquals, sign and verify.
func (sb *sandbox) installKeys(natives *goja.Object) {
	vm := sb.vm
	handleOf := func(v goja.Value) *keyHandle {
		if o, ok := v.(*goja.Object); ok {
			if k, ok := o.Export().(*keyHandle); ok {
				return k
			}
		}
		panic(sb.throwType("not a key"))
	}
	fail := func(err error) {
		e := sb.throwError(err.Error())
		_ = e.Set("code", "ERR_CRYPTO_INVALID_KEY")
		panic(e)
	}
	_ = natives.Set("keyParse", func(call goja.FunctionCall) goja.Value {
		kind := call.Argument(0).String()
		format := call.Argument(2).String()
		var data []byte
		var jwk map[string]any
		if format == "jwk" {
			m, ok := call.Argument(1).Export().(map[string]any)
			if !ok {
				panic(sb.throwType("The \"key.key\" property must be of type object."))
			}
			jwk = m
		} else {
			b, ok := sb.bytesOf(call.Argument(1))
			if !ok {
				panic(sb.throwType("key must be a buffer"))
			}
			data = b
		}
		k, err := parseKey(kind, data, jwk, format, call.Argument(3).String())
		if err != nil {
			fail(err)
		}
		return vm.ToValue(k)
	})
	_ = natives.Set("keyInfo", func(call goja.FunctionCall) goja.Value {
		k := handleOf(call.Argument(0))
		info := map[string]any{"type": k.kind()}
		if k.secret != nil {
			info["symmetricKeySize"] = len(k.secret)
			return toJS(vm, info)
		}
		pub := k.public()
		info["asymmetricKeyType"] = asymmetricType(pub)
		switch p := pub.(type) {
		case *rsa.PublicKey:
			info["modulusLength"] = p.N.BitLen()
			info["publicExponent"] = p.E
		case *ecdsa.PublicKey:
			info["namedCurve"] = curveNames[p.Curve][0]
		}
		return toJS(vm, info)
	})
	_ = natives.Set("keyExport", func(call goja.FunctionCall) goja.Value {
		k := handleOf(call.Argument(0))
		format := call.Argument(1).String()
		switch {
		case format == "jwk":
			m, err := exportJWK(k)
			if err != nil {
				fail(err)
			}
			return toJS(vm, m)
		case k.secret != nil:
			return sb.arrayBuffer(append([]byte{}, k.secret...))
		}
		der, blockType, err := exportDER(k, call.Argument(2).String())
		if err != nil {
			panic(sb.throwType(err.Error()))
		}
		if format == "pem" {
			return vm.ToValue(string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})))
		}
		return sb.arrayBuffer(der)
	})
	// signatureDigest checks a createSign/createVerify algorithm name.
	_ = natives.Set("signatureDigest", func(call goja.FunctionCall) goja.Value {
		alg := call.Argument(0).String()
		if h, ok := hashFor(alg); !ok || h == 0 {
			panic(sb.throwError("Invalid digest: " + alg))
		}
		return vm.ToValue(alg)
	})
	_ = natives.Set("keyPublic", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(&keyHandle{pub: handleOf(call.Argument(0)).public()})
	})
	_ = natives.Set("keyEquals", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(keysEqual(handleOf(call.Argument(0)), handleOf(call.Argument(1))))
	})
	optsOf := func(v goja.Value) signOpts {
		o := signOpts{SaltLength: saltLengthMax, DSAEncoding: "der"}
		if obj, ok := v.(*goja.Object); ok {
			o.Padding = int(obj.Get("padding").ToInteger())
			o.SaltLength = int(obj.Get("saltLength").ToInteger())
			o.DSAEncoding = obj.Get("dsaEncoding").String()
		}
		return o
	}
	_ = natives.Set("sign", func(call goja.FunctionCall) goja.Value {
		data, ok := sb.bytesOf(call.Argument(1))
		if !ok {
			panic(sb.throwType("data must be a buffer"))
		}
		sig, err := signWith(call.Argument(0).String(), data, handleOf(call.Argument(2)), optsOf(call.Argument(3)))
		if err != nil {
			panic(sb.throwError(err.Error()))
		}
		return sb.arrayBuffer(sig)
	})
	_ = natives.Set("verify", func(call goja.FunctionCall) goja.Value {
		data, ok1 := sb.bytesOf(call.Argument(1))
		sig, ok2 := sb.bytesOf(call.Argument(3))
		if !ok1 || !ok2 {
			panic(sb.throwType("data and signature must be buffers"))
		}
		valid, err := verifyWith(call.Argument(0).String(), data, handleOf(call.Argument(2)), sig, optsOf(call.Argument(4)))
		if err != nil {
			panic(sb.throwError(err.Error()))
		}
		return vm.ToValue(valid)
	})
}

// hmacKey is the key createHmac was given: bytes or a secret KeyObject.
func (sb *sandbox) hmacKey(v goja.Value) []byte {
	if o, ok := v.(*goja.Object); ok {
		if k, ok := o.Export().(*keyHandle); ok && k.secret != nil {
			return k.secret
		}
	}
	key, ok := sb.bytesOf(v)
	if !ok {
		panic(sb.throwType("key must be a buffer"))
	}
	return append([]byte(nil), key...)
}
