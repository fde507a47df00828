// Command ecrmload is the load generator behind the README's benchmark
// figures: it logs in the way a person does (through the OpenID provider,
// with a cookie jar) or uses a bearer token, then sends requests from a
// fixed number of concurrent connections for a fixed time and reports
// throughput and latency percentiles. It only ever targets the URL it is
// given, and stops by itself.
//
//	ecrmload -url http://127.0.0.1:8080/api/v1/me -login-as demo-client-ana -c 32 -d 20s
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ecrmload: "+err.Error())
		os.Exit(1)
	}
}

type options struct {
	target      string
	method      string
	body        string
	contentType string
	connections int
	duration    time.Duration
	loginAs     string
	bearer      string
	warmup      time.Duration
}

func run(args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("ecrmload", flag.ContinueOnError)
	fs.StringVar(&o.target, "url", "", "URL to load (required)")
	fs.StringVar(&o.method, "method", "GET", "HTTP method")
	fs.StringVar(&o.body, "body", "", "request body (for POST/PUT), or @file")
	fs.StringVar(&o.contentType, "content-type", "application/json", "Content-Type of the body")
	fs.IntVar(&o.connections, "c", 32, "concurrent connections")
	fs.DurationVar(&o.duration, "d", 20*time.Second, "how long to send requests")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "requests sent before measuring")
	fs.StringVar(&o.loginAs, "login-as", "", "log in first through the development OpenID provider as this demo subject")
	fs.StringVar(&o.bearer, "bearer", "", "send this access token as Authorization: Bearer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.target == "" {
		return errors.New("-url is required")
	}
	u, err := url.Parse(o.target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q is not a URL", o.target)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("-url %q: ecrmload only loads servers on this machine (loopback addresses)", o.target)
	}
	if o.connections < 1 || o.connections > 1024 || o.duration <= 0 || o.duration > 10*time.Minute {
		return errors.New("-c must be 1..1024 and -d at most 10m")
	}
	if strings.HasPrefix(o.body, "@") {
		b, err := os.ReadFile(o.body[1:])
		if err != nil {
			return err
		}
		o.body = string(b)
	}
	transport := &http.Transport{MaxIdleConns: o.connections, MaxIdleConnsPerHost: o.connections, MaxConnsPerHost: o.connections}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second}
	if o.loginAs != "" {
		if err := login(client, u, o.loginAs); err != nil {
			return fmt.Errorf("log in as %s: %w", o.loginAs, err)
		}
	}
	if o.warmup > 0 {
		load(client, o, o.warmup)
	}
	res := load(client, o, o.duration)
	res.print(stdout, o)
	if res.errors > 0 && res.ok == 0 {
		return errors.New("every request failed")
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// login follows the portal's login through the development provider's
// non-interactive sign-in, leaving the session cookie in the client's jar.
func login(client *http.Client, target *url.URL, subject string) error {
	base := target.Scheme + "://" + target.Host
	res, err := client.Get(base + "/login")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	id := res.Request.URL.Query().Get("authRequestID")
	if id == "" {
		return fmt.Errorf("the login did not reach the development provider's login page (at %s)", res.Request.URL)
	}
	loginURL := *res.Request.URL
	loginURL.RawQuery = ""
	res, err = client.PostForm(loginURL.String(), url.Values{"authRequestID": {id}, "user": {subject}})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Host != target.Host {
		return fmt.Errorf("login ended at %s with status %d", res.Request.URL, res.StatusCode)
	}
	return nil
}

type result struct {
	latencies []time.Duration
	ok        int
	non2xx    int
	errors    int
	elapsed   time.Duration
}

func load(client *http.Client, o options, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var total result
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < o.connections; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			for ctx.Err() == nil {
				req, _ := http.NewRequest(o.method, o.target, bytes.NewReader([]byte(o.body)))
				if o.body != "" {
					req.Header.Set("Content-Type", o.contentType)
				}
				req.Header.Set("Accept", "application/json")
				if o.bearer != "" {
					req.Header.Set("Authorization", "Bearer "+o.bearer)
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					r.errors++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat := time.Since(t0)
				if ctx.Err() != nil {
					break // finished after the deadline: not counted
				}
				r.latencies = append(r.latencies, lat)
				if res.StatusCode/100 == 2 {
					r.ok++
				} else {
					r.non2xx++
				}
			}
			mu.Lock()
			total.latencies = append(total.latencies, r.latencies...)
			total.ok += r.ok
			total.non2xx += r.non2xx
			total.errors += r.errors
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p)
	return r.latencies[i]
}

func (r result) print(w io.Writer, o options) {
	slices.Sort(r.latencies)
	n := len(r.latencies)
	fmt.Fprintf(w, "%s %s — %d connections, %s\n", o.method, o.target, o.connections, o.duration)
	fmt.Fprintf(w, "requests %d (2xx %d, other %d, errors %d)\n", n, r.ok, r.non2xx, r.errors)
	fmt.Fprintf(w, "throughput %.0f requests/s\n", float64(n)/r.elapsed.Seconds())
	if n > 0 {
		fmt.Fprintf(w, "latency p50 %s  p90 %s  p99 %s  max %s\n",
			r.percentile(0.50).Round(10*time.Microsecond), r.percentile(0.90).Round(10*time.Microsecond),
			r.percentile(0.99).Round(10*time.Microsecond), r.latencies[n-1].Round(10*time.Microsecond))
	}
}
