package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestLoadReportsThroughputAndStatuses(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"-url", srv.URL, "-c", "1", "-d", "200ms", "-warmup", "0", "-bearer", "tok"}, &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`requests (\d+) \(2xx (\d+), other 0, errors 0\)`).FindStringSubmatch(out.String())
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("report = %q", out.String())
	}
	if !strings.Contains(out.String(), "latency p50") {
		t.Fatalf("no latency line: %q", out.String())
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://192.168.1.1:8080/"} {
		if err := run([]string{"-url", u, "-d", "1s"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: err = %v, want a refusal", u, err)
		}
	}
}
