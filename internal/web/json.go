package web

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Hand-written JSON for the hottest responses. encoding/json walks a value
// by reflection and allocates on the way; for a response sent thousands of
// times a second an append-style encoder is several times cheaper. These
// helpers write exactly the bytes encoding/json writes (HTML-safe escaping
// included), so a response keeps its form whichever way it was made; tests
// compare the two.

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: <, > and & as \u003c, \u003e, \u0026, control characters,
// U+2028 and U+2029 as \u escapes, invalid UTF-8 as \ufffd.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONInt appends n as a JSON number.
func AppendJSONInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// AppendJSONBool appends true or false.
func AppendJSONBool(dst []byte, v bool) []byte { return strconv.AppendBool(dst, v) }

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes written as they are: printable
// characters other than ", \, <, > and &.
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		safe[b] = true
	}
	for _, b := range `"\<>&` {
		safe[b] = false
	}
	return safe
}()

// jsonBuffers recycles response buffers; a buffer that grew past
// maxPooledJSON is left to the garbage collector rather than kept.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

const maxPooledJSON = 256 << 10

// WriteJSONAppend writes the JSON document that appendTo appends to a
// (pooled) buffer, with Content-Length, then a newline as json.Encoder
// writes one. appendTo must not keep the buffer.
func WriteJSONAppend(w http.ResponseWriter, status int, appendTo func([]byte) []byte) {
	bp := jsonBuffers.Get().(*[]byte)
	b := append(appendTo((*bp)[:0]), '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledJSON {
		*bp = b
		jsonBuffers.Put(bp)
	}
}
