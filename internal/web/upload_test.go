package web

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
)

func multipartBody(t *testing.T, fields map[string]string, files ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

func TestReadUpload(t *testing.T) {
	read := func(maxFile int64, maxFiles int, fields map[string]string, files ...[2]string) (*Upload, error) {
		body, ctype := multipartBody(t, fields, files...)
		r := httptest.NewRequest("POST", "/upload", body)
		r.Header.Set("Content-Type", ctype)
		return ReadUpload(httptest.NewRecorder(), r, maxFile, maxFiles)
	}

	u, err := read(10, 2, map[string]string{"kind": "prices"}, [2]string{"a.csv", "0123456789"}, [2]string{"b.csv", "xy"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Values["kind"] != "prices" || len(u.Files) != 2 || u.File("file").Name != "a.csv" || string(u.File("file").Data) != "0123456789" || string(u.Files[1].Data) != "xy" {
		t.Fatalf("upload = %+v", u)
	}
	if u.File("other") != nil {
		t.Fatal("a field never sent has a file")
	}
	if _, err := read(10, 2, nil, [2]string{"a.csv", "0123456789A"}); !errors.Is(err, ErrUploadTooLarge) {
		t.Fatalf("a file one byte over: %v", err)
	}
	if _, err := read(10, 1, nil, [2]string{"a.csv", "1"}, [2]string{"b.csv", "2"}); !errors.Is(err, ErrUploadTooLarge) {
		t.Fatalf("one file too many: %v", err)
	}
	if _, err := read(10, 1, map[string]string{"note": strings.Repeat("x", maxUploadField+1)}); !errors.Is(err, ErrNoUpload) {
		t.Fatalf("a text field over its bound: %v", err)
	}
	r := httptest.NewRequest("POST", "/upload", strings.NewReader("a=1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := ReadUpload(httptest.NewRecorder(), r, 10, 1); !errors.Is(err, ErrNoUpload) {
		t.Fatalf("a url-encoded form: %v", err)
	}
}
