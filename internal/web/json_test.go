package web

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "<a href='x'>&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"\u2028\u2029", "Investiții 😀", "bad \xff\xfe utf8 \xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestWriteJSONAppend(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSONAppend(rec, 201, func(b []byte) []byte { return append(b, `{"a":1}`...) })
	if rec.Code != 201 || rec.Body.String() != "{\"a\":1}\n" ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != "8" {
		t.Errorf("got %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}
