package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runServe runs serve with env until the test ends and returns its log once
// /readyz answers.
func runServe(t *testing.T, env map[string]string) (base string, logs *syncBuffer) {
	t.Helper()
	env["ECRM_ADDR"] = freeAddr(t)
	cfg, err := loadConfig(envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	logs = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, newLogger(cfg, logs), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base = "http://" + env["ECRM_ADDR"]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", logs.String())
		}
	}
}

func status(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServeWithLeastPrivilegeAndPrivateMetrics: serve warns when it
// connects as a superuser and not when it connects as the application
// role; with ECRM_METRICS_ADDR, /metrics is served there and not on the
// public address.
func TestServeWithLeastPrivilegeAndPrivateMetrics(t *testing.T) {
	url := pgtest.NewURL(t)
	const warning = "a superuser, which can switch off the offer log's triggers"

	t.Run("AsSuperuser", func(t *testing.T) {
		base, logs := runServe(t, map[string]string{"DATABASE_URL": url})
		if !strings.Contains(logs.String(), warning) {
			t.Errorf("no warning about the superuser role:\n%s", logs.String())
		}
		if got := status(t, base+"/metrics"); got != http.StatusOK {
			t.Errorf("public /metrics without ECRM_METRICS_ADDR = %d, want 200", got)
		}
	})
	t.Run("AsApplicationRole", func(t *testing.T) {
		metrics := freeAddr(t)
		base, logs := runServe(t, map[string]string{"DATABASE_URL": pgtest.AppURL(t, url), "ECRM_METRICS_ADDR": metrics})
		if strings.Contains(logs.String(), warning) || strings.Contains(logs.String(), "owns the offer log") {
			t.Errorf("warned about the application role:\n%s", logs.String())
		}
		if got := status(t, base+"/metrics"); got != http.StatusNotFound {
			t.Errorf("public /metrics with ECRM_METRICS_ADDR = %d, want 404", got)
		}
		if got := status(t, "http://"+metrics+"/metrics"); got != http.StatusOK {
			t.Errorf("private /metrics = %d, want 200", got)
		}
	})
}
