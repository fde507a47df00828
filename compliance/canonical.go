package compliance

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// The canonical encoding of a record is what its hash covers. It must be
// re-derivable from the stored row alone, byte for byte, so that Verify (and
// an auditor with an export) can recompute every hash without the bytes the
// writer originally produced.
//
// Scalar columns are encoded in a fixed order, each length-prefixed (strings)
// or fixed-width (integers, with a presence byte for nullable ones), after a
// version tag. Times are microseconds since the Unix epoch, the precision
// PostgreSQL keeps.
//
// The body is canonicalised to exactly the text PostgreSQL's jsonb output
// produces (keys ordered by length then bytes, ", " and ": " separators,
// numbers in numeric's display form, PostgreSQL's string escapes) and stored
// in a json column, which keeps text as written. Verify therefore hashes
// the stored text as read, without parsing or re-printing it: that is what
// keeps verification fast. A CHECK in the migration (body::jsonb::text =
// body::text) refuses a body that is not canonical, and
// TestCanonicalJSONMatchesPostgres pins the equivalence, so the body can be
// queried as jsonb and an auditor can re-derive the form with any jsonb.

const canonicalTag = "ecrm.decision.v1\x00"

// pgEpochMicros is 2000-01-01T00:00:00Z in Unix microseconds, the epoch of
// PostgreSQL's binary timestamptz.
const pgEpochMicros = 946684800 * 1_000_000

// recordFields are the stored values of a record, as both the writer and the
// verifier see them. Byte slices avoid copies on the verify path.
type recordFields struct {
	seq              int64
	kind             []byte
	refersTo         int64 // 0 = NULL
	clientID         int64
	productID        int64 // 0 = NULL
	productVersionID int64 // 0 = NULL
	engine           []byte
	engineVersion    []byte
	ruleVersion      []byte
	channel          []byte
	actorKind        []byte
	actorStaffID     int64 // 0 = NULL
	outcome          []byte
	recordedAtMicros int64  // Unix microseconds
	body             []byte // canonical JSON
}

// appendCanonical appends the canonical encoding of f to b.
func appendCanonical(b []byte, f *recordFields) []byte {
	b = append(b, canonicalTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(f.seq))
	b = appendBytes(b, f.kind)
	b = appendOptInt(b, f.refersTo)
	b = appendOptInt(b, f.clientID)
	b = appendOptInt(b, f.productID)
	b = appendOptInt(b, f.productVersionID)
	b = appendBytes(b, f.engine)
	b = appendBytes(b, f.engineVersion)
	b = appendBytes(b, f.ruleVersion)
	b = appendBytes(b, f.channel)
	b = appendBytes(b, f.actorKind)
	b = appendOptInt(b, f.actorStaffID)
	b = appendBytes(b, f.outcome)
	b = binary.BigEndian.AppendUint64(b, uint64(f.recordedAtMicros))
	b = appendBytes(b, f.body)
	return b
}

func appendBytes(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// appendOptInt encodes a nullable id (0 = NULL) with a presence byte, so
// NULL and any value can never encode alike.
func appendOptInt(b []byte, v int64) []byte {
	if v == 0 {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

// chainHash is SHA-256(prev || canonical(f)); buf is scratch space reused by
// the caller, returned grown.
func chainHash(buf []byte, prev []byte, f *recordFields) ([32]byte, []byte) {
	buf = append(buf[:0], prev...)
	buf = appendCanonical(buf, f)
	return sha256.Sum256(buf), buf
}

// CanonicalJSON returns v's JSON in the canonical form described above. It
// is exported so that the console and replay can hash or compare bodies the
// same way.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonicalizeJSON(raw)
}

// canonicalizeJSON rewrites one JSON document in the canonical form. It
// parses the text directly (no map or interface values): objects are
// rendered member by member into a buffer of their depth and then written
// in jsonb's key order, keeping the last of duplicate keys as jsonb does.
func canonicalizeJSON(raw []byte) ([]byte, error) {
	c := newCanonicalizer(raw)
	defer c.release()
	c.space()
	out, err := c.value(make([]byte, 0, len(raw)+len(raw)/16), 0)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	c.space()
	if c.pos != len(c.src) {
		return nil, errors.New("canonical json: trailing data")
	}
	return out, nil
}

// maxCanonicalDepth bounds nesting, as encoding/json does.
const maxCanonicalDepth = 10000

type canonicalizer struct {
	src []byte
	pos int
	// bufs[d] holds the rendered member values of the object being
	// written at depth d; members[d] their keys and spans.
	bufs    [][]byte
	members [][]canonicalMember
}

// canonicalizers are reused: their per-depth buffers are most of what
// canonicalising a body allocates, and every offer recorded canonicalises
// one (fewer garbage collections, which are what the slowest appends wait
// behind).
var canonicalizers = sync.Pool{New: func() any { return new(canonicalizer) }}

// maxPooledBuffer keeps one huge document from pinning its buffers.
const maxPooledBuffer = 64 << 10

func newCanonicalizer(src []byte) *canonicalizer {
	c := canonicalizers.Get().(*canonicalizer)
	c.src, c.pos = src, 0
	return c
}

func (c *canonicalizer) release() {
	c.src = nil
	for _, b := range c.bufs {
		if cap(b) > maxPooledBuffer {
			return
		}
	}
	canonicalizers.Put(c)
}

type canonicalMember struct {
	key        string // unescaped
	start, end int    // the value in bufs[depth]
	order      int    // position in the source, for duplicate keys
}

var errUnexpectedEnd = errors.New("unexpected end of JSON input")

func (c *canonicalizer) space() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicalizer) value(b []byte, depth int) ([]byte, error) {
	if c.pos >= len(c.src) {
		return nil, errUnexpectedEnd
	}
	if depth > maxCanonicalDepth {
		return nil, errors.New("nested too deeply")
	}
	switch ch := c.src[c.pos]; {
	case ch == '{':
		return c.object(b, depth)
	case ch == '[':
		return c.array(b, depth)
	case ch == '"':
		s, err := c.str()
		if err != nil {
			return nil, err
		}
		return appendPGString(b, s)
	case ch == 't':
		return c.literal(b, "true")
	case ch == 'f':
		return c.literal(b, "false")
	case ch == 'n':
		return c.literal(b, "null")
	case ch == '-' || (ch >= '0' && ch <= '9'):
		start := c.pos
		if !c.number() {
			return nil, fmt.Errorf("bad number at offset %d", start)
		}
		return appendNumeric(b, string(c.src[start:c.pos]))
	}
	return nil, fmt.Errorf("invalid character %q at offset %d", c.src[c.pos], c.pos)
}

func (c *canonicalizer) literal(b []byte, lit string) ([]byte, error) {
	if !bytes.HasPrefix(c.src[c.pos:], []byte(lit)) {
		return nil, fmt.Errorf("invalid literal at offset %d", c.pos)
	}
	c.pos += len(lit)
	return append(b, lit...), nil
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *canonicalizer) number() bool {
	digits := func() int {
		n := 0
		for c.pos < len(c.src) && c.src[c.pos] >= '0' && c.src[c.pos] <= '9' {
			c.pos++
			n++
		}
		return n
	}
	if c.pos < len(c.src) && c.src[c.pos] == '-' {
		c.pos++
	}
	if c.pos < len(c.src) && c.src[c.pos] == '0' {
		c.pos++
	} else if digits() == 0 {
		return false
	}
	if c.pos < len(c.src) && c.src[c.pos] == '.' {
		c.pos++
		if digits() == 0 {
			return false
		}
	}
	if c.pos < len(c.src) && (c.src[c.pos] == 'e' || c.src[c.pos] == 'E') {
		c.pos++
		if c.pos < len(c.src) && (c.src[c.pos] == '+' || c.src[c.pos] == '-') {
			c.pos++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// str reads a string; one without escapes is used as it stands, the rare
// one with escapes is decoded by encoding/json (surrogate pairs and all).
func (c *canonicalizer) str() (string, error) {
	start := c.pos
	c.pos++
	escaped := false
	for c.pos < len(c.src) {
		switch ch := c.src[c.pos]; {
		case ch == '"':
			c.pos++
			if !escaped {
				return string(c.src[start+1 : c.pos-1]), nil
			}
			var s string
			if err := json.Unmarshal(c.src[start:c.pos], &s); err != nil {
				return "", err
			}
			return s, nil
		case ch == '\\':
			escaped = true
			c.pos += 2
		case ch < ' ':
			return "", fmt.Errorf("control character in string at offset %d", c.pos)
		default:
			c.pos++
		}
	}
	return "", errUnexpectedEnd
}

func (c *canonicalizer) array(b []byte, depth int) ([]byte, error) {
	c.pos++
	b = append(b, '[')
	c.space()
	if c.pos < len(c.src) && c.src[c.pos] == ']' {
		c.pos++
		return append(b, ']'), nil
	}
	for i := 0; ; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		c.space()
		var err error
		if b, err = c.value(b, depth+1); err != nil {
			return nil, err
		}
		c.space()
		if c.pos >= len(c.src) {
			return nil, errUnexpectedEnd
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			return append(b, ']'), nil
		default:
			return nil, fmt.Errorf("invalid character %q in array at offset %d", c.src[c.pos], c.pos)
		}
	}
}

func (c *canonicalizer) object(b []byte, depth int) ([]byte, error) {
	c.pos++
	for len(c.bufs) <= depth {
		c.bufs = append(c.bufs, nil)
		c.members = append(c.members, nil)
	}
	vals, members := c.bufs[depth][:0], c.members[depth][:0]
	c.space()
	if c.pos < len(c.src) && c.src[c.pos] == '}' {
		c.pos++
		return append(b, "{}"...), nil
	}
	for i := 0; ; i++ {
		c.space()
		if c.pos >= len(c.src) || c.src[c.pos] != '"' {
			return nil, fmt.Errorf("object key expected at offset %d", c.pos)
		}
		key, err := c.str()
		if err != nil {
			return nil, err
		}
		c.space()
		if c.pos >= len(c.src) || c.src[c.pos] != ':' {
			return nil, fmt.Errorf("':' expected at offset %d", c.pos)
		}
		c.pos++
		c.space()
		start := len(vals)
		if vals, err = c.value(vals, depth+1); err != nil {
			return nil, err
		}
		members = append(members, canonicalMember{key: key, start: start, end: len(vals), order: i})
		c.space()
		if c.pos >= len(c.src) {
			return nil, errUnexpectedEnd
		}
		if c.src[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.src[c.pos] != '}' {
			return nil, fmt.Errorf("invalid character %q in object at offset %d", c.src[c.pos], c.pos)
		}
		c.pos++
		break
	}
	// jsonb orders keys by length, then bytewise; of duplicate keys the
	// last written wins.
	sort.Slice(members, func(i, j int) bool {
		a, z := members[i], members[j]
		if len(a.key) != len(z.key) {
			return len(a.key) < len(z.key)
		}
		if a.key != z.key {
			return a.key < z.key
		}
		return a.order < z.order
	})
	b = append(b, '{')
	first := true
	for i, m := range members {
		if i+1 < len(members) && members[i+1].key == m.key {
			continue // a later duplicate replaces it
		}
		if !first {
			b = append(b, ", "...)
		}
		first = false
		var err error
		if b, err = appendPGString(b, m.key); err != nil {
			return nil, err
		}
		b = append(b, ": "...)
		b = append(b, vals[m.start:m.end]...)
	}
	c.bufs[depth], c.members[depth] = vals, members
	return append(b, '}'), nil
}

// appendPGString escapes like PostgreSQL's escape_json: the short escapes,
// \u00xx for other control characters, everything else literal.
func appendPGString(b []byte, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errors.New("canonical json: strings cannot contain NUL (PostgreSQL rejects \\u0000 in jsonb)")
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("canonical json: invalid UTF-8")
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		default:
			if c < ' ' {
				b = fmt.Appendf(b, `\u%04x`, c)
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"'), nil
}

// appendNumeric renders a JSON number the way PostgreSQL's numeric prints
// it: no exponent, the display scale being the fraction digits written minus
// the exponent (at least 0), and no sign on zero. "1.50" stays "1.50",
// "1e2" becomes "100", "1.5e-1" becomes "0.15".
func appendNumeric(b []byte, lit string) ([]byte, error) {
	s := lit
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var e int
		if _, err := fmt.Sscan(strings.TrimPrefix(s[i+1:], "+"), &e); err != nil || e > 100000 || e < -100000 {
			return nil, fmt.Errorf("canonical json: number %q out of range", lit)
		}
		exp, s = e, s[:i]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	digits := intPart + frac
	if digits == "" {
		return nil, fmt.Errorf("canonical json: bad number %q", lit)
	}
	scale := len(frac) - exp
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	ip, fp := strings.TrimLeft(digits[:len(digits)-scale], "0"), digits[len(digits)-scale:]
	if ip == "" {
		ip = "0"
	}
	if neg && strings.Trim(ip+fp, "0") != "" {
		b = append(b, '-')
	}
	b = append(b, ip...)
	if scale > 0 {
		b = append(b, '.')
		b = append(b, fp...)
	}
	return b, nil
}
