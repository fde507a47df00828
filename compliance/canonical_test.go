package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestCanonicalJSONMatchesPostgres pins the property Verify relies on: the
// canonical form is exactly what PostgreSQL prints for the jsonb, so a body
// read back hashes as it did when written.
func TestCanonicalJSONMatchesPostgres(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	for _, raw := range []string{
		`{"b": 1, "a": 2, "aa": {"z": [], "y": {}}, "": null}`,
		`{"rate": 1.50, "big": 1e2, "small": 1.5e-1, "neg0": -0, "negz": -0.00, "exp": 1.50E+1, "i": -42, "f": 0.1, "g": 1e21, "h": 1e-7, "j": 123456789012345678901234567890}`,
		`{"s": "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f ctl \u0001 \u001f del \u007f"}`,
		`{"unicode": "Ștefănescu € 日本 \ud83d\ude00", "html": "<a href='x'>&amp;</a>", "esc": "\u00e9\u2028"}`,
		`{"dup": 1, "dup": 2, "zz": true, "z": false, "arr": [1, "two", [3.0, {"k": null}]]}`,
		`[]`, `{}`, `"text"`, `12.3400`, `null`,
	} {
		got, err := canonicalizeJSON([]byte(raw))
		if err != nil {
			t.Fatalf("canonicalize %s: %v", raw, err)
		}
		var fromRaw, fromCanonical string
		if err := pool.QueryRow(ctx, `SELECT $1::jsonb::text, $2::jsonb::text`, raw, string(got)).Scan(&fromRaw, &fromCanonical); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if string(got) != fromRaw || fromCanonical != fromRaw {
			t.Errorf("canonical form mismatch for %s\n go:         %s\n postgres:   %s\n round trip: %s", raw, got, fromRaw, fromCanonical)
		}
		again, err := canonicalizeJSON(got)
		if err != nil || string(again) != string(got) {
			t.Errorf("canonical form is not a fixed point: %s -> %s (%v)", got, again, err)
		}
	}
}

// TestRecordReadBackHashesAlike appends a record whose body and time
// exercise every normalisation and re-derives its hash from the row.
func TestRecordReadBackHashesAlike(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	rec := f.offer(0)
	rec.Body.Inputs["weird"] = map[string]any{"é": "Ș\n\t\"<>&", "n": 1e-7, "big": 1e21, "f": 0.1, "x": 3.0}
	rec.Body.Note = "line1\nline2 \u2028 €"
	got, err := log.Append(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := CanonicalJSON(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := pool.QueryRow(ctx, `SELECT body::text FROM decision_records WHERE seq = $1`, got[0].Seq).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != string(want) {
		t.Fatalf("stored body differs from the canonical form hashed:\n stored: %s\n hashed: %s", stored, want)
	}
	key := testKey(t)
	res := mustVerify(t, pool, key)
	if !res.OK() || res.LastHash != got[0].Hash {
		t.Fatalf("read back: %v, hash %x want %x", res.Problem, res.LastHash, got[0].Hash)
	}
}

func TestCanonicalEncodingSeparatesFields(t *testing.T) {
	// Length prefixes and presence bytes: moving bytes between adjacent
	// fields, or NULL versus a value, changes the encoding.
	a := recordFields{seq: 1, engine: []byte("ab"), engineVersion: []byte("c")}
	b := recordFields{seq: 1, engine: []byte("a"), engineVersion: []byte("bc")}
	c := recordFields{seq: 1, productID: 0}
	d := recordFields{seq: 1, productVersionID: 0, productID: 1}
	if string(appendCanonical(nil, &a)) == string(appendCanonical(nil, &b)) ||
		string(appendCanonical(nil, &c)) == string(appendCanonical(nil, &d)) {
		t.Fatal("distinct records encode alike")
	}
}

// The canonicaliser as first written: decode into maps and slices, then
// print. The streaming one must give the same bytes.
func canonicalizeReference(raw []byte) ([]byte, error) {
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
	return appendReferenceValue(b, v)
}

func appendReferenceValue(b []byte, v any) ([]byte, error) {
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
			if b, err = appendReferenceValue(b, e); err != nil {
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
			if b, err = appendReferenceValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("canonical json: unexpected %T", v)
}

// randomJSON writes a random JSON document: nested objects (with duplicate
// and same-length keys), arrays, numbers in every notation, strings with
// escapes, Unicode and HTML characters, and random whitespace.
func randomJSON(r *rand.Rand, b *strings.Builder, depth int) {
	ws := func() {
		if r.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.IntN(4)])
		}
	}
	keys := []string{"a", "b", "aa", "ab", "ba", "z", "é", "Ș", "inputs", "checks", "reasons", "", "x1", "x2", "dup"}
	strs := []string{"", "plain", `quo\"te`, `back\\slash`, `\u00e9\u2028`, "<a href='x'>&amp;</a>", "Ștefănescu € 日本", `\ud83d\ude00`, `tab\tnl\n`, `\/`, `\u0001`}
	nums := []string{"0", "-0", "1", "-42", "1.50", "0.1", "1e2", "1.5e-1", "1E+3", "-0.00", "123456789012345678901234567890", "1e-7", "3.0"}
	k := r.IntN(10)
	if depth > 4 {
		k = 5 + r.IntN(5)
	}
	switch {
	case k < 2:
		b.WriteByte('{')
		n := r.IntN(6)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			fmt.Fprintf(b, "%q", keys[r.IntN(len(keys))])
			ws()
			b.WriteByte(':')
			ws()
			randomJSON(r, b, depth+1)
			ws()
		}
		b.WriteByte('}')
	case k < 4:
		b.WriteByte('[')
		n := r.IntN(5)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			randomJSON(r, b, depth+1)
			ws()
		}
		b.WriteByte(']')
	case k < 6:
		b.WriteString(`"` + strs[r.IntN(len(strs))] + `"`)
	case k < 8:
		b.WriteString(nums[r.IntN(len(nums))])
	default:
		b.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	}
}

// TestCanonicalizerMatchesReference compares the streaming canonicaliser
// with the decode-and-print one on 20,000 random documents and on bodies
// the gate writes, and checks both refuse what is not JSON.
func TestCanonicalizerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	docs := []string{}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		randomJSON(r, &b, 0)
		docs = append(docs, b.String())
	}
	body, err := json.Marshal(Body{Inputs: map[string]any{"profile": map[string]any{"Age": 41, "Income": "48000.00"}},
		Reasons: []i18n.Message{i18n.Plain("Lowest APR")}, Checks: []Check{{Name: CheckConsent, Passed: true, Detail: i18n.Plain("Consent to marketing on the portal given")}}})
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, string(body))
	for _, doc := range docs {
		want, errWant := canonicalizeReference([]byte(doc))
		got, errGot := canonicalizeJSON([]byte(doc))
		if (errWant == nil) != (errGot == nil) || !bytes.Equal(want, got) {
			t.Fatalf("%s\n reference: %s (%v)\n streaming: %s (%v)", doc, want, errWant, got, errGot)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `[1 2]`, `01`, `1.`, `-`, `1e`, `"a`, `tru`, `{"a":1}x`, `"\u0000"`, "\"a\x01b\"", `{"a":1,}`, `nul`} {
		if _, err := canonicalizeJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestBodyCanonicalMatchesCanonicalJSON: the member-by-member writer of a
// body gives the bytes CanonicalJSON gives, for bodies with and without
// each member, raw or map inputs.
func TestBodyCanonicalMatchesCanonicalJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 2000; i++ {
		var b Body
		if r.IntN(2) == 0 {
			b.Note = []string{"declined: too expensive", "Ș\n\"x\"", "<b>&"}[r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			b.Score = &Score{Value: decimal.New(int64(r.IntN(1000)), -2), Components: []ScoreComponent{{Name: "rank", Value: decimal.NewFromInt(1)}}}
		}
		for n := r.IntN(3); n > 0; n-- {
			b.Checks = append(b.Checks, Check{Name: CheckNames[r.IntN(len(CheckNames))], Passed: r.IntN(2) == 0, Warning: r.IntN(4) == 0, Detail: i18n.Plain("détail")})
		}
		switch r.IntN(3) {
		case 0:
			var sb strings.Builder
			sb.WriteString(`{"k": `)
			randomJSON(r, &sb, 1)
			sb.WriteString(`, "a": 1.50}`)
			b.RawInputs = json.RawMessage(sb.String())
		case 1:
			b.Inputs = map[string]any{"age": 41, "income": "48000.00", "nested": map[string]any{"z": []any{1, "two"}}}
		}
		for n := r.IntN(3); n > 0; n-- {
			b.Reasons = append(b.Reasons, i18n.Plain("reason € "+fmt.Sprint(n)))
		}
		for n := r.IntN(2); n > 0; n-- {
			b.Disclosures = append(b.Disclosures, Disclosure{Kind: "fee", Text: i18n.Plain("Fee"), Amount: &ecrm.Money{Amount: decimal.New(20000, -2), Currency: "EUR"}})
		}
		want, err1 := CanonicalJSON(b)
		got, err2 := b.canonical()
		if err1 != nil || err2 != nil || !bytes.Equal(want, got) {
			t.Fatalf("body %d:\n CanonicalJSON: %s (%v)\n canonical:     %s (%v)", i, want, err1, got, err2)
		}
	}
}
