package jsrt

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net/netip"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/google/uuid"
)

// bytesOf returns the bytes a typed array, DataView or ArrayBuffer views,
// sharing its memory.
func (sb *sandbox) bytesOf(v goja.Value) ([]byte, bool) {
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, false
	}
	if ab, ok := o.Export().(goja.ArrayBuffer); ok {
		return ab.Bytes(), true
	}
	switch o.Export().(type) {
	case []byte, []int8, []uint16, []int16, []uint32, []int32, []float32, []float64, []int64, []uint64:
	default:
		return nil, false
	}
	var b []byte
	if err := sb.vm.ExportTo(o, &b); err != nil {
		return nil, false
	}
	return b, true
}

func (sb *sandbox) arrayBuffer(b []byte) goja.Value {
	return sb.vm.ToValue(sb.vm.NewArrayBuffer(b))
}

func normEncoding(enc string) string {
	switch strings.ToLower(enc) {
	case "", "utf8", "utf-8":
		return "utf8"
	case "hex":
		return "hex"
	case "base64":
		return "base64"
	case "base64url":
		return "base64url"
	case "latin1", "binary":
		return "latin1"
	case "ascii":
		return "ascii"
	case "utf16le", "utf-16le", "ucs2", "ucs-2":
		return "utf16le"
	}
	return ""
}

// jsString returns a JS string's UTF-16 code units.
func jsUnits(v goja.Value) []uint16 {
	s := v.String()
	if str, ok := v.(goja.String); ok {
		n := str.Length()
		out := make([]uint16, n)
		for i := 0; i < n; i++ {
			out[i] = str.CharAt(i)
		}
		return out
	}
	return utf16.Encode([]rune(s))
}

func encodeString(v goja.Value, enc string) ([]byte, error) {
	switch enc {
	case "utf8":
		// Lone surrogates become U+FFFD, as in Node.
		units := jsUnits(v)
		return []byte(string(utf16.Decode(units))), nil
	case "hex":
		s := v.String()
		n := len(s) / 2 * 2
		out := make([]byte, 0, n/2)
		for i := 0; i+1 < len(s); i += 2 {
			b, err := hex.DecodeString(s[i : i+2])
			if err != nil {
				break // Node stops at the first invalid pair
			}
			out = append(out, b[0])
		}
		return out, nil
	case "base64", "base64url":
		s := strings.Map(func(r rune) rune {
			switch r {
			case '-':
				return '+'
			case '_':
				return '/'
			case '=', ' ', '\n', '\r', '\t':
				return -1
			}
			return r
		}, v.String())
		out, err := base64.RawStdEncoding.DecodeString(s)
		if err != nil {
			// Node is lenient: decode what is decodable.
			for len(s) > 0 && err != nil {
				s = s[:len(s)-1]
				out, err = base64.RawStdEncoding.DecodeString(s)
			}
		}
		return out, nil
	case "latin1", "ascii":
		units := jsUnits(v)
		out := make([]byte, len(units))
		for i, u := range units {
			out[i] = byte(u)
		}
		return out, nil
	case "utf16le":
		units := jsUnits(v)
		out := make([]byte, 2*len(units))
		for i, u := range units {
			out[2*i] = byte(u)
			out[2*i+1] = byte(u >> 8)
		}
		return out, nil
	}
	return nil, fmt.Errorf("Unknown encoding: %s", enc)
}

func (sb *sandbox) decodeBytes(b []byte, enc string) (goja.Value, error) {
	vm := sb.vm
	switch enc {
	case "utf8":
		if utf8.Valid(b) {
			return vm.ToValue(string(b)), nil
		}
		return vm.ToValue(strings.ToValidUTF8(string(b), "\uFFFD")), nil
	case "hex":
		return vm.ToValue(hex.EncodeToString(b)), nil
	case "base64":
		return vm.ToValue(base64.StdEncoding.EncodeToString(b)), nil
	case "base64url":
		return vm.ToValue(base64.RawURLEncoding.EncodeToString(b)), nil
	case "latin1", "ascii":
		units := make([]uint16, len(b))
		for i, c := range b {
			if enc == "ascii" {
				c &= 0x7f
			}
			units[i] = uint16(c)
		}
		return vm.ToValue(string(utf16.Decode(units))), nil
	case "utf16le":
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return vm.ToValue(string(utf16.Decode(units))), nil
	}
	return nil, fmt.Errorf("Unknown encoding: %s", enc)
}

func (sb *sandbox) installCodecs(natives *goja.Object) {
	vm := sb.vm
	_ = natives.Set("encode", func(call goja.FunctionCall) goja.Value {
		enc := normEncoding(call.Argument(1).String())
		if goja.IsUndefined(call.Argument(1)) {
			enc = "utf8"
		}
		if enc == "" {
			panic(sb.throwType("Unknown encoding: " + call.Argument(1).String()))
		}
		if s, ok := call.Argument(0).(goja.String); ok && int64(s.Length())*3 > sb.e.caps().maxBytes {
			panic(sb.throwRange("string too large to encode"))
		}
		b, err := encodeString(call.Argument(0), enc)
		if err != nil {
			panic(sb.throwType(err.Error()))
		}
		return sb.arrayBuffer(b)
	})
	_ = natives.Set("decode", func(call goja.FunctionCall) goja.Value {
		b, ok := sb.bytesOf(call.Argument(0))
		if !ok {
			panic(sb.throwType("argument must be a buffer"))
		}
		enc := normEncoding(call.Argument(1).String())
		if goja.IsUndefined(call.Argument(1)) {
			enc = "utf8"
		}
		if enc == "" {
			panic(sb.throwType("Unknown encoding: " + call.Argument(1).String()))
		}
		v, err := sb.decodeBytes(b, enc)
		if err != nil {
			panic(sb.throwType(err.Error()))
		}
		return v
	})
	_ = natives.Set("isEncoding", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(normEncoding(call.Argument(0).String()) != "" && !goja.IsUndefined(call.Argument(0)))
	})
	invalidChar := func(msg string) *goja.Object {
		e := sb.throwError(msg)
		_ = e.Set("name", "InvalidCharacterError")
		return e
	}
	_ = natives.Set("btoa", func(call goja.FunctionCall) goja.Value {
		units := jsUnits(call.Argument(0).ToString())
		b := make([]byte, len(units))
		for i, u := range units {
			if u > 0xff {
				panic(invalidChar("Invalid character"))
			}
			b[i] = byte(u)
		}
		return vm.ToValue(base64.StdEncoding.EncodeToString(b))
	})
	_ = natives.Set("atob", func(call goja.FunctionCall) goja.Value {
		s := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
				return -1
			}
			return r
		}, call.Argument(0).String())
		if len(s)%4 == 0 {
			s = strings.TrimSuffix(strings.TrimSuffix(s, "="), "=")
		}
		b, err := base64.RawStdEncoding.DecodeString(s)
		if err != nil || len(s)%4 == 1 {
			panic(invalidChar("The string to be decoded is not correctly encoded."))
		}
		v, _ := sb.decodeBytes(b, "latin1")
		return v
	})
}

func newHash(alg string) (func() hash.Hash, bool) {
	switch strings.ToLower(strings.ReplaceAll(alg, "-", "")) {
	case "md5":
		return md5.New, true
	case "sha1", "rsasha1":
		return sha1.New, true
	case "sha224":
		return sha256.New224, true
	case "sha256", "rsasha256":
		return sha256.New, true
	case "sha384", "rsasha384":
		return sha512.New384, true
	case "sha512", "rsasha512":
		return sha512.New, true
	case "sha512/256", "sha512256":
		return sha512.New512_256, true
	}
	return nil, false
}

func (sb *sandbox) installCrypto(natives *goja.Object) {
	vm := sb.vm
	hashObject := func(h hash.Hash) goja.Value {
		o := vm.NewObject()
		_ = o.Set("update", func(call goja.FunctionCall) goja.Value {
			b, ok := sb.bytesOf(call.Argument(0))
			if !ok {
				panic(sb.throwType("data must be a buffer"))
			}
			h.Write(b)
			return goja.Undefined()
		})
		_ = o.Set("digest", func(call goja.FunctionCall) goja.Value {
			return sb.arrayBuffer(h.Sum(nil))
		})
		return o
	}
	_ = natives.Set("hash", func(call goja.FunctionCall) goja.Value {
		mk, ok := newHash(call.Argument(0).String())
		if !ok {
			panic(sb.throwError("Digest method not supported"))
		}
		return hashObject(mk())
	})
	_ = natives.Set("hmac", func(call goja.FunctionCall) goja.Value {
		mk, ok := newHash(call.Argument(0).String())
		if !ok {
			panic(sb.throwError("Invalid digest: " + call.Argument(0).String()))
		}
		return hashObject(hmac.New(mk, sb.hmacKey(call.Argument(1))))
	})
	_ = natives.Set("hashes", func(goja.FunctionCall) goja.Value {
		return vm.ToValue([]string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-256"})
	})
	_ = natives.Set("randomBytes", func(call goja.FunctionCall) goja.Value {
		n := call.Argument(0).ToInteger()
		if n < 0 || n > sb.e.caps().maxBytes {
			panic(sb.throwRange(fmt.Sprintf("The value of \"size\" is out of range. It must be >= 0 && <= %d. Received %d", sb.e.caps().maxBytes, n)))
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return sb.arrayBuffer(b)
	})
	_ = natives.Set("fillRandom", func(call goja.FunctionCall) goja.Value {
		b, ok := sb.bytesOf(call.Argument(0))
		if !ok {
			panic(sb.throwType("The data argument must be an integer-type TypedArray"))
		}
		if len(b) > 65536 {
			e := sb.throwError(fmt.Sprintf("The ArrayBufferView's byte length (%d) exceeds the number of bytes of entropy available via this API (65536)", len(b)))
			_ = e.Set("name", "QuotaExceededError")
			panic(e)
		}
		_, _ = rand.Read(b)
		return call.Argument(0)
	})
	_ = natives.Set("randomUUID", func(goja.FunctionCall) goja.Value {
		return vm.ToValue(uuid.NewString())
	})
	_ = natives.Set("timingSafeEqual", func(call goja.FunctionCall) goja.Value {
		a, ok1 := sb.bytesOf(call.Argument(0))
		b, ok2 := sb.bytesOf(call.Argument(1))
		if !ok1 || !ok2 {
			panic(sb.throwType("The \"buf1\" and \"buf2\" arguments must be buffers"))
		}
		if len(a) != len(b) {
			panic(sb.throwRange("Input buffers must have the same byte length"))
		}
		return vm.ToValue(subtle.ConstantTimeCompare(a, b) == 1)
	})
}

// installMisc provides the small natives of host.js: randomInt, validUTF8
// and isIP.
func (sb *sandbox) installMisc(natives *goja.Object) {
	vm := sb.vm
	_ = natives.Set("randomInt", func(call goja.FunctionCall) goja.Value {
		n := call.Argument(0).ToInteger()
		if n <= 0 || n > 1<<48 {
			panic(sb.throwRange("The value of \"max - min\" is out of range. It must be <= 281474976710655."))
		}
		v, err := rand.Int(rand.Reader, big.NewInt(n))
		if err != nil {
			panic(sb.throwError(err.Error()))
		}
		return vm.ToValue(v.Int64())
	})
	_ = natives.Set("validUTF8", func(call goja.FunctionCall) goja.Value {
		b, _ := sb.bytesOf(call.Argument(0))
		return vm.ToValue(utf8.Valid(b))
	})
	_ = natives.Set("isIP", func(call goja.FunctionCall) goja.Value {
		ip, err := netip.ParseAddr(call.Argument(0).String())
		switch {
		case err != nil:
			return vm.ToValue(0)
		case ip.Is4():
			return vm.ToValue(4)
		}
		return vm.ToValue(6)
	})
}

// zlibError is how host.zlib reports a failure: "code|errno|message",
// Node's zlib error fields.
func zlibError(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "Z_BUF_ERROR|-5|unexpected end of file"
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, zlib.ErrHeader):
		return "Z_DATA_ERROR|-3|incorrect header check"
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, zlib.ErrChecksum):
		return "Z_DATA_ERROR|-3|incorrect data check"
	case errors.Is(err, errZlibTooLarge):
		return "ERR_BUFFER_TOO_LARGE|-4|" + err.Error()
	}
	return "Z_DATA_ERROR|-3|invalid data: " + err.Error()
}

var errZlibTooLarge = errors.New("output exceeds the sandbox's buffer limit")

// zlibConvert runs one of zlib's whole-buffer conversions, its output
// bounded by limit so that a small compressed body cannot expand without
// end.
func zlibConvert(op string, in []byte, level int, limit int64) ([]byte, error) {
	var r io.Reader
	switch op {
	case "gunzip":
		// The magic first, as zlib checks it: a short body that is not
		// gzip is a bad header, not a truncated one.
		if (len(in) > 0 && in[0] != 0x1f) || (len(in) > 1 && in[1] != 0x8b) {
			return nil, gzip.ErrHeader
		}
		zr, err := gzip.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil, err
		}
		r = zr
	case "inflate":
		zr, err := zlib.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil, err
		}
		r = zr
	case "inflateRaw":
		r = flate.NewReader(bytes.NewReader(in))
	case "unzip":
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			return zlibConvert("gunzip", in, level, limit)
		}
		return zlibConvert("inflate", in, level, limit)
	case "gzip", "deflate", "deflateRaw":
		if level < -1 || level > 9 {
			level = -1
		}
		var buf bytes.Buffer
		var w io.WriteCloser
		var err error
		switch op {
		case "gzip":
			w, err = gzip.NewWriterLevel(&buf, level)
		case "deflate":
			w, err = zlib.NewWriterLevel(&buf, level)
		default:
			w, err = flate.NewWriter(&buf, level)
		}
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(in); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	default:
		return nil, fmt.Errorf("unknown zlib operation %q", op)
	}
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, errZlibTooLarge
	}
	return out, nil
}

func (sb *sandbox) installZlib(natives *goja.Object) {
	vm := sb.vm
	_ = natives.Set("zlib", func(call goja.FunctionCall) goja.Value {
		in, ok := sb.bytesOf(call.Argument(1))
		if !ok {
			panic(sb.throwType("The \"buffer\" argument must be an instance of Buffer, TypedArray, DataView, or ArrayBuffer."))
		}
		// An eighth of the execution's memory budget (16 MiB by default):
		// reading the output doubles its buffer as it grows, and the
		// watchdog counts that.
		limit := max(sb.e.opts.MemoryLimit/8, 1<<16)
		out, err := zlibConvert(call.Argument(0).String(), in, int(call.Argument(2).ToInteger()), limit)
		if err != nil {
			return vm.ToValue(zlibError(err))
		}
		return sb.arrayBuffer(out)
	})
}
