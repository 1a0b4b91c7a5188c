package nodelib

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// The codec is the Go side of Buffer's encodings. goja runs the buffer package's own loops at
// about a microsecond a byte and builds strings by copying them whole on each append, so
// encoding a 64 KiB body took a quarter of a second and hex-encoding it seconds; here each is a
// copy. Load hands it to the buffer module alone, as its wrapper's sixth argument, so no script
// can reach it; the bundle falls back to its JS when run without it (Source).
//
// Its functions take the Buffer's bytes in place: a Uint8Array (a Buffer is one) exports as a
// []byte over its own memory.

// newCodec builds the codec object for one runtime.
func newCodec(vm *goja.Runtime) *goja.Object {
	o := vm.NewObject()
	// byteLength(string, encoding) is the number of bytes string encodes to; -1 when the
	// encoding is unknown, so the JS keeps Node's handling of that.
	must(o.Set("byteLength", func(s goja.Value, enc goja.Value) int {
		switch e := encodingOf(enc); e {
		case "":
			return -1
		case "utf8":
			return utf8Len(s)
		default:
			return len(encode(s, e))
		}
	}))
	// write(buf, string, offset, length, encoding) encodes string into buf[offset:] and returns
	// the bytes written: at most length, and for utf8 and utf16le never part of a character.
	must(o.Set("write", func(bufValue, s goja.Value, offset, length int64, enc string) int {
		buf := bytesOf(vm, bufValue)
		e := encodingOf(vm.ToValue(enc))
		if e == "" {
			panic(vm.NewTypeError("Unknown encoding: " + enc))
		}
		if offset < 0 || offset > int64(len(buf)) {
			return 0 // buffer's write checked the bounds already; nothing to write outside them
		}
		room := min(int64(len(buf))-offset, max(length, 0))
		b := encode(s, e)
		n := min(int64(len(b)), room)
		switch e {
		case "utf8":
			for n > 0 && n < int64(len(b)) && b[n]&0xC0 == 0x80 {
				n--
			}
		case "utf16le":
			n &^= 1
		}
		return copy(buf[offset:offset+n], b[:n])
	}))
	// slice(buf, start, end, encoding) decodes buf[start:end].
	must(o.Set("slice", func(bufValue goja.Value, start, end int64, enc string) goja.Value {
		buf := bytesOf(vm, bufValue)
		end = min(max(end, 0), int64(len(buf)))
		start = min(max(start, 0), end)
		e := encodingOf(vm.ToValue(enc))
		if e == "" {
			panic(vm.NewTypeError("Unknown encoding: " + enc))
		}
		return decode(vm, buf[start:end], e)
	}))
	return o
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// bytesOf is the memory of a Uint8Array, shared with it.
func bytesOf(vm *goja.Runtime, v goja.Value) []byte {
	if o, ok := v.(*goja.Object); ok {
		if b, ok := o.Export().([]byte); ok {
			return b
		}
	}
	panic(vm.NewTypeError("argument must be a Buffer or Uint8Array"))
}

// encodingOf is Node's name for an encoding, or "" when Node has none by that name; undefined
// means utf8.
func encodingOf(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return "utf8"
	}
	switch strings.ToLower(v.String()) {
	case "utf8", "utf-8":
		return "utf8"
	case "ucs2", "ucs-2", "utf16le", "utf-16le":
		return "utf16le"
	case "latin1", "binary":
		return "latin1"
	case "ascii":
		return "ascii"
	case "base64":
		return "base64"
	case "base64url":
		return "base64url"
	case "hex":
		return "hex"
	}
	return ""
}

// units is the string's UTF-16 code units, as JavaScript sees it.
func units(v goja.Value) []uint16 {
	s, ok := v.(goja.String)
	if !ok {
		s, _ = v.ToString().(goja.String)
	}
	if s == nil {
		return utf16.Encode([]rune(v.String()))
	}
	u := make([]uint16, s.Length())
	for i := range u {
		u[i] = s.CharAt(i)
	}
	return u
}

// encode is the bytes a string encodes to, as Node's Buffer.from(string, e) has them.
func encode(v goja.Value, e string) []byte {
	switch e {
	case "utf8":
		return utf8Bytes(v)
	case "latin1", "ascii":
		// Writing ascii is latin1 in Node: the low byte of each code unit.
		u := units(v)
		b := make([]byte, len(u))
		for i, c := range u {
			b[i] = byte(c)
		}
		return b
	case "utf16le":
		u := units(v)
		b := make([]byte, 2*len(u))
		for i, c := range u {
			b[2*i], b[2*i+1] = byte(c), byte(c>>8)
		}
		return b
	case "base64", "base64url":
		return decodeBase64(v.String())
	case "hex":
		return decodeHex(v.String())
	}
	return nil
}

// utf8Bytes is the UTF-8 of a string, a lone surrogate becoming U+FFFD as in Node. It reads
// the code units directly: goja's own conversion goes through a []rune four times the size.
func utf8Bytes(v goja.Value) []byte {
	s, ok := v.(goja.String)
	if !ok {
		return []byte(v.String())
	}
	n := s.Length()
	b := make([]byte, 0, n)
	for i := 0; i < n; i++ {
		c := rune(s.CharAt(i))
		if c < utf8.RuneSelf {
			b = append(b, byte(c))
			continue
		}
		c, i = pairAt(s, c, i, n)
		b = utf8.AppendRune(b, c)
	}
	return b
}

// utf8Len is len(utf8Bytes(v)) without making them.
func utf8Len(v goja.Value) int {
	s, ok := v.(goja.String)
	if !ok {
		return len(v.String())
	}
	n, size := s.Length(), 0
	for i := 0; i < n; i++ {
		c := rune(s.CharAt(i))
		if c < utf8.RuneSelf {
			size++
			continue
		}
		c, i = pairAt(s, c, i, n)
		size += utf8.RuneLen(c)
	}
	return size
}

// pairAt is the code point whose first unit c is at i (U+FFFD for a lone surrogate) and the
// index of its last unit.
func pairAt(s goja.String, c rune, i, n int) (rune, int) {
	if !utf16.IsSurrogate(c) {
		return c, i
	}
	if c < 0xDC00 && i+1 < n {
		if d := rune(s.CharAt(i + 1)); d >= 0xDC00 && d <= 0xDFFF {
			return utf16.DecodeRune(c, d), i + 1
		}
	}
	return utf8.RuneError, i
}

// decodeBase64 reads both alphabets, with or without padding, up to the first '=', skipping
// any other character, as Node does; a lone trailing character is dropped.
func decodeBase64(s string) []byte {
	s, _, _ = strings.Cut(s, "=")
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	// clean holds only the alphabet and never a lone last character, and the lenient decoder
	// ignores the unused bits of the last one, so Decode cannot fail.
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// decodeHex reads byte pairs up to the first that is not hex, as Node does.
func decodeHex(s string) []byte {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		hi, ok1 := nibble(s[i])
		lo, ok2 := nibble(s[i+1])
		if !ok1 || !ok2 {
			break
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decode is the string Node's buf.toString(e) gives for b.
func decode(vm *goja.Runtime, b []byte, e string) goja.Value {
	switch e {
	case "utf8":
		return vm.ToValue(decodeUTF8(b))
	case "latin1", "ascii":
		u := make([]uint16, len(b))
		for i, c := range b {
			if e == "ascii" {
				c &= 0x7F
			}
			u[i] = uint16(c)
		}
		return goja.StringFromUTF16(u)
	case "utf16le":
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return goja.StringFromUTF16(u)
	case "base64":
		return vm.ToValue(base64.StdEncoding.EncodeToString(b))
	case "base64url":
		return vm.ToValue(base64.RawURLEncoding.EncodeToString(b))
	case "hex":
		return vm.ToValue(hex.EncodeToString(b))
	}
	return goja.Undefined()
}

// decodeUTF8 replaces each maximal ill-formed subsequence with one U+FFFD, as the WHATWG
// decoder and Node do (Go's own conversions replace each byte, or each run).
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			sb.WriteRune(utf8.RuneError)
			i += illFormedLength(b[i:])
			continue
		}
		sb.Write(b[i : i+size])
		i += size
	}
	return sb.String()
}

// illFormedLength is the length of the maximal subpart at the start of b: its lead byte and
// the continuation bytes that could still have completed it (Unicode §3.9, table 3-7).
func illFormedLength(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		switch c {
		case 0xE0:
			lo = 0xA0
		case 0xED:
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		switch c {
		case 0xF0:
			lo = 0x90
		case 0xF4:
			hi = 0x8F
		}
	}
	n := 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}
