package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestSIGTERMUnderLoadLosesNoAcknowledgedRequest runs the real binary,
// loads it from several connections, sends SIGTERM and checks that every
// request the server accepted got its whole response, and that the process
// exits cleanly. Requests refused after the listener closed were never
// acknowledged and are fine.
func TestSIGTERMUnderLoadLosesNoAcknowledgedRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "ecrm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.NewURL(t), "ECRM_ADDR="+addr, "ECRM_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The reference body every acknowledged response must match in full.
	res, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(res.Body)
	res.Body.Close()

	var (
		mu       sync.Mutex
		ok       int
		failures []string
		wg       sync.WaitGroup
	)
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, err := client.Get(base + "/api/v1/openapi.json")
				if err != nil {
					if errors.Is(err, syscall.ECONNREFUSED) {
						return // the listener is closed: not acknowledged
					}
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				mu.Lock()
				if err != nil || res.StatusCode != 200 || len(body) != len(want) {
					failures = append(failures, res.Status)
				} else {
					ok++
				}
				mu.Unlock()
			}
		}()
	}
	// Signal once the load is well under way (at least 100 answers), not
	// after a fixed time: on a busy machine half a second may see fewer.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := ok
		mu.Unlock()
		if n >= 100 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("ecrm exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ecrm did not exit after SIGTERM")
	}
	wg.Wait()
	if ok < 100 {
		t.Fatalf("only %d requests completed before SIGTERM; the load did not run", ok)
	}
	if len(failures) > 0 {
		t.Fatalf("%d acknowledged requests failed (of %d): %v", len(failures), ok+len(failures), failures[:min(5, len(failures))])
	}
}
