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

func canonicalizeJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("canonical json: trailing data")
	}
	var b []byte
	return appendCanonicalValue(b, v)
}

func appendCanonicalValue(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if v {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case json.Number:
		return appendNumeric(b, string(v))
	case string:
		return appendPGString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendCanonicalValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		// jsonb orders keys by length, then bytewise.
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendPGString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ": "...)
			if b, err = appendCanonicalValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("canonical json: unexpected %T", v)
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
