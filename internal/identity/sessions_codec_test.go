package identity

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeWithEncodingJSON is how Decode read every record before its fast
// path; the fast path must agree with it.
func decodeWithEncodingJSON(b []byte) (time.Time, map[string]any, error) {
	var rec sessionRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return time.Time{}, nil, err
	}
	values := make(map[string]any, len(rec.Values))
	for k, v := range rec.Values {
		values[k] = v
	}
	return time.Unix(0, rec.Deadline), values, nil
}

func TestSessionCodecRoundTrip(t *testing.T) {
	deadline := time.Unix(0, 1795752877932891593)
	values := map[string]any{
		"principal": `{"kind":"client","client_id":1,"name":"Ana <Popescu> & co","email":"ana@example.com"}`,
		"id_token":  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl",
		"":          "",
		"ünïcode":   "line\nbreak\t\u2028 \x01 \\ / 😀",
	}
	b, err := stringCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := decodeSessionRecord(b); !ok {
		t.Fatalf("fast path refused %s", b)
	}
	gotDeadline, got, err := stringCodec{}.Decode(b)
	if err != nil || !gotDeadline.Equal(deadline) || !reflect.DeepEqual(got, values) {
		t.Errorf("Decode = %v %v %v, want %v %v", gotDeadline, got, err, deadline, values)
	}
	if _, err := (stringCodec{}).Encode(deadline, map[string]any{"n": 1}); err == nil {
		t.Error("Encode took a non-string value")
	}
}

func FuzzSessionCodecDecode(f *testing.F) {
	for _, s := range []string{
		`{"d":1,"v":{}}`, `{"d":-5,"v":{"a":"b","c":"d"}}`, `{"d":1,"v":{"a":"\"q\" \u003c\ud83d\ude00"}}`,
		`{"d":1,"v":{"a":"b"}} `, `{"d":1, "v":{}}`, `{"v":{},"d":1}`, `{"d":1e3,"v":{}}`, `{"d":1,"v":{"a":"\xff"}}`,
		`{"d":1,"v":{"a":"b",}}`, `{"d":1,"v":{"a":"b"`, `{"d":1,"v":{"a":"b\"}}`, `{"d":+1,"v":{}}`, `{"d":1,"v":{"a":"b","a":"c"}}`,
		`{"d":1,"v":{"a":"\u00e9\u0000\/\b\f\n\r\t\u20AC"}}`, `{"d":1,"v":{"a":"\q"}}`, `{"d":1,"v":{"a":"\u12"}}`, `{"d":01,"v":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		deadline, values, ok := decodeSessionRecord(b)
		if !ok {
			return // encoding/json decides, as before
		}
		wantDeadline, want, err := decodeWithEncodingJSON(b)
		if err != nil {
			t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", b, err)
		}
		if !deadline.Equal(wantDeadline) || !reflect.DeepEqual(values, want) {
			t.Fatalf("fast path read %q as %v %v, encoding/json as %v %v", b, deadline, values, wantDeadline, want)
		}
	})
}

// BenchmarkSessionCodecDecode decodes a record the size of a logged-in
// client's (an ID token of 1.2 KB and the principal), as every request does.
func BenchmarkSessionCodecDecode(b *testing.B) {
	token := make([]byte, 1200)
	for i := range token {
		token[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."[i%65]
	}
	rec, err := stringCodec{}.Encode(time.Now(), map[string]any{
		"auth_time": "2026-11-26T20:14:37Z",
		"id_token":  string(token),
		"principal": `{"kind":"client","client_id":1,"name":"Ana Popescu","email":"ana.popescu@demo.ecrm.example"}`,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast-path", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := (stringCodec{}).Decode(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeWithEncodingJSON(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
