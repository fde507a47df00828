package compliance

import (
	"context"
	"testing"

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
