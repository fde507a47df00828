package selfservice

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The hand-written overview encoder must write exactly what encoding/json
// writes. These tests compare the two on the fixture client and on
// overviews filled at random (every exported field set, nil or not, with
// strings that need escaping), so a field added to a type without being
// added to overview_json.go is caught.

func TestOverviewJSONMatchesEncodingJSON(t *testing.T) {
	pool := newFixture(t)
	svc := NewService(pool)
	svc.now = func() time.Time { return testNow }
	ctx := i18n.WithLocalizer(context.Background(), i18n.NewLocalizer(i18n.English))
	for _, id := range []int64{ana, 2, 99} {
		o, err := svc.Overview(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		o.Name = "Ana <&> \"Pop\"\u2028"
		assertSameJSON(t, o)
	}
}

func TestOverviewJSONRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var o Overview
		fillRandom(rng, reflect.ValueOf(&o).Elem(), 0)
		assertSameJSON(t, &o)
	}
}

func assertSameJSON(t *testing.T, o *Overview) {
	t.Helper()
	want, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.appendJSON(nil); string(got) != string(want) {
		t.Fatalf("appendJSON differs from encoding/json\ngot:  %s\nwant: %s", got, want)
	}
}

// randomStrings mixes plain text with everything encoding/json escapes.
var randomStrings = []string{
	"", "RON", "Cont curent", "Investiții", "a<b>&c", `quote " back \ slash`, "tab\tnew\nline\r\b\f\x01\x1f",
	"\u2028\u2029", "bad \xff utf8 \xe2\x82", "emoji 😀", "/portal/accounts/11?counterparty=Landlord+SRL",
}

// fillRandom sets v (and everything under it) to random values: pointers
// and slices are nil in a quarter of the cases, so both omitempty and null
// are exercised.
func fillRandom(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Unix(rng.Int64N(4e9), rng.Int64N(3)*int64(rng.IntN(1e9))).In(
			[]*time.Location{time.UTC, time.FixedZone("EET", 2*3600), time.FixedZone("X", -5*3600-1800)}[rng.IntN(3)])))
		return
	case decimal.Decimal:
		v.Set(reflect.ValueOf(decimal.New(rng.Int64N(2e9)-1e9, -rng.Int32N(8))))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(rng, v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if rng.IntN(4) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fillRandom(rng, v.Elem(), depth+1)
	case reflect.Slice:
		if rng.IntN(4) == 0 {
			v.SetZero()
			return
		}
		n := rng.IntN(4)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fillRandom(rng, v.Index(i), depth+1)
		}
	case reflect.String:
		v.SetString(randomStrings[rng.IntN(len(randomStrings))])
	case reflect.Int, reflect.Int64:
		if rng.IntN(4) == 0 {
			v.SetInt(0)
			return
		}
		v.SetInt(rng.Int64N(1e12) - 1e6)
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Float64:
		v.SetFloat(rng.Float64())
	default:
		panic("fillRandom: unhandled kind " + v.Kind().String() + " of " + v.Type().String())
	}
}
