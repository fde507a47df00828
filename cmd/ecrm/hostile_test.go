package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestEveryRouteRefusesWhatCannotBeStored walks every route the service
// registers (the API from its OpenAPI document, with request bodies made
// from its schemas; the pages from the router) as each kind of caller, with
// a NUL byte, invalid UTF-8 and over-long values in the path, the query,
// forms and JSON bodies. None may answer 5xx: the shared layer refuses such
// input before any handler or query sees it, so a route added tomorrow is
// covered without a line of its own. Input that can never be valid must get
// a 4xx; an ordinary request made from the schema must not fail either.
func TestEveryRouteRefusesWhatCannotBeStored(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every route")
	}
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	callers := map[string]*browser{"anonymous": e.newBrowser()}
	for name, subject := range map[string]string{"client": clientSubject, "advisor": advisorSubject,
		"compliance": "demo-compliance-andrei", "admin": "demo-admin-elena"} {
		b := e.newBrowser()
		e.login(b, subject)
		callers[name] = b
	}

	var doc struct {
		// A path's operations by method, and maybe the path's own
		// "parameters" (an array, skipped below).
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	_, body := callers["anonymous"].get(e.baseURL + "/api/v1/openapi.json")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	gen := bodyMaker{schemas: doc.Components.Schemas}

	long := strings.Repeat("9", 100_000)
	type probe struct {
		name, method, target, contentType, body string
		mustRefuse                              bool
	}
	var probes []probe
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			method = strings.ToUpper(method)
			if method == "PARAMETERS" {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			withParams := func(value string) string {
				return pathParam.ReplaceAllString(path, value)
			}
			hasParams := pathParam.MatchString(path)
			if hasParams {
				for _, bad := range []string{"%00", "%FF", "%C3%28", url.PathEscape(long[:5000])} {
					probes = append(probes, probe{"path " + bad[:min(len(bad), 8)], method, withParams(bad), "", "", bad != url.PathEscape(long[:5000])})
				}
			}
			q := url.Values{}
			for _, p := range op.Parameters {
				if p.In == "query" {
					q.Set(p.Name, "\x00")
				}
			}
			if len(q) == 0 {
				q.Set("x", "\x00")
			}
			probes = append(probes, probe{"query NUL", method, withParams("1") + "?" + q.Encode(), "", "", !readsNoQuery[path]})
			for k := range q {
				q.Set(k, long)
			}
			probes = append(probes, probe{"query long", method, withParams("1") + "?" + q.Encode(), "", "", false})
			if op.RequestBody == nil {
				continue
			}
			schema := op.RequestBody.Content["application/json"].Schema
			for _, mode := range []string{"nul", "invalid-utf8", "long", "ordinary"} {
				b, err := json.Marshal(gen.make(schema, mode, 0))
				if err != nil {
					t.Fatal(err)
				}
				if mode == "invalid-utf8" {
					b = []byte(strings.ReplaceAll(string(b), "INVALID", "\xff\xfe"))
				}
				probes = append(probes, probe{"body " + mode, method, withParams("1"), "application/json", string(b), mode != "ordinary"})
			}
			probes = append(probes, probe{"body as text/plain", method, withParams("1"), "text/plain", gen.mustJSON(schema), true})
		}
	}
	// Pages and every other route the router knows, by their patterns.
	err := chi.Walk(e.app.routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/") || strings.Contains(route, "*") {
			return nil
		}
		target := pathParam.ReplaceAllString(route, "%00")
		probes = append(probes, probe{"page path NUL", method, target, "", "", pathParam.MatchString(route)})
		probes = append(probes, probe{"page query NUL", method, pathParam.ReplaceAllString(route, "1") + "?q=%00&amount=" + long[:1000], "", "", !readsNoQuery[route]})
		if method == http.MethodPost {
			probes = append(probes, probe{"page form NUL", method, pathParam.ReplaceAllString(route, "1"),
				"application/x-www-form-urlencoded", "subject=a%00b&amount=" + long, true})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(probes, func(i, j int) bool { return probes[i].target+probes[i].name < probes[j].target+probes[j].name })

	var requests, refused int
	names := make([]string, 0, len(callers))
	for name := range callers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, p := range probes {
		for _, who := range names {
			header := map[string]string{"Accept": "application/json"}
			if p.contentType != "" {
				header["Content-Type"] = p.contentType
			}
			if !strings.HasPrefix(p.target, "/api/") {
				header["Accept"] = "text/html"
			}
			res, answer := callers[who].doBody(p.method, e.baseURL+p.target, p.body, header)
			requests++
			switch {
			case res.StatusCode >= 500:
				t.Errorf("%s %s (%s) as %s: %d\n%.300s", p.method, shorten(p.target), p.name, who, res.StatusCode, answer)
			case p.mustRefuse && (res.StatusCode < 400 || res.StatusCode >= 500):
				t.Errorf("%s %s (%s) as %s: %d, want a 4xx\n%.300s", p.method, shorten(p.target), p.name, who, res.StatusCode, answer)
			case res.StatusCode >= 400:
				refused++
			}
		}
	}
	t.Logf("%d probes × %d callers: %d requests, %d refused with a 4xx, none answered 5xx", len(probes), len(callers), requests, refused)
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// readsNoQuery are the operations endpoints, which answer before the
// input check and read no query string: a NUL there reaches nothing.
var readsNoQuery = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/api/v1/openapi.json": true}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// doBody sends a raw body.
func (b *browser) doBody(method, target, body string, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %.80s: %v", method, target, err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res, sb.String()
}

type operation struct {
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

// bodyMaker makes a JSON value from an OpenAPI schema: every string set to
// the mode's hostile value, or, in "ordinary" mode, to a plain value (the
// first enum value, "1").
type bodyMaker struct {
	schemas map[string]json.RawMessage
}

type schema struct {
	Ref        string                     `json:"$ref"`
	Type       any                        `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Items      json.RawMessage            `json:"items"`
	Enum       []any                      `json:"enum"`
	OneOf      []json.RawMessage          `json:"oneOf"`
	AnyOf      []json.RawMessage          `json:"anyOf"`
	AllOf      []json.RawMessage          `json:"allOf"`
	MinItems   int                        `json:"minItems"`
}

func (g bodyMaker) mustJSON(raw json.RawMessage) string {
	b, _ := json.Marshal(g.make(raw, "ordinary", 0))
	return string(b)
}

func (g bodyMaker) make(raw json.RawMessage, mode string, depth int) any {
	var s schema
	if json.Unmarshal(raw, &s) != nil || depth > 8 {
		return nil
	}
	if s.Ref != "" {
		return g.make(g.schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")], mode, depth+1)
	}
	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := g.make(part, mode, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	for _, alt := range [][]json.RawMessage{s.OneOf, s.AnyOf} {
		if len(alt) > 0 {
			return g.make(alt[0], mode, depth+1)
		}
	}
	typ := fmt.Sprint(s.Type)
	if list, ok := s.Type.([]any); ok && len(list) > 0 {
		typ = fmt.Sprint(list[0])
	}
	switch {
	case typ == "object" || s.Properties != nil:
		m := map[string]any{}
		for name, p := range s.Properties {
			m[name] = g.make(p, mode, depth+1)
		}
		return m
	case typ == "array":
		n := max(1, s.MinItems)
		list := make([]any, n)
		for i := range list {
			list[i] = g.make(s.Items, mode, depth+1)
		}
		return list
	case typ == "integer":
		return 1
	case typ == "number":
		if mode == "long" {
			return json.Number(strings.Repeat("9", 100_000))
		}
		return 1
	case typ == "boolean":
		return true
	}
	switch mode {
	case "nul":
		return "a\x00b"
	case "invalid-utf8":
		return "INVALID"
	case "long":
		return strings.Repeat("9", 100_000)
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	return "1"
}

// TestHostileRequestsAnswer4xxNamingTheField sends the exact requests that
// answered 500 or burnt CPU before, through the whole service, and checks
// each problem document.
func TestHostileRequestsAnswer4xxNamingTheField(t *testing.T) {
	e := newTestEnv(t, nil)
	anonymous, advisor := e.newBrowser(), e.newBrowser()
	e.login(advisor, advisorSubject)
	long := strings.Repeat("9", 1_000_000) // "a 1 MB digit string", within the 1 MiB body limit
	half := strings.Repeat("x", 512<<10)
	for _, tt := range []struct {
		who                 *browser
		method, path, ctype string
		body                string
		status              int
		field, message      string
	}{
		{anonymous, "POST", "/api/v1/calculators/loan", "application/json",
			`{"principal":{"amount":"` + long + `","currency":"EUR"},"months":36,"nominal_annual_rate":"0.079"}`,
			422, "principal.amount", "has more than 40 characters"},
		{anonymous, "POST", "/api/v1/calculators/loan", "application/json",
			`{"principal":{"amount":"` + half + `","currency":"EUR"},"months":36,"nominal_annual_rate":"0.079"}`,
			422, "principal.amount", "has more than 40 characters"},
		{anonymous, "POST", "/api/v1/calculators/loan", "application/json",
			`{"principal":{"amount":"abc","currency":"EUR"},"months":36,"nominal_annual_rate":"0.079"}`,
			422, "principal.amount", "must be a decimal number such as 1234.56"},
		{anonymous, "POST", "/api/v1/calculators/loan", "text/plain",
			`{"principal":{"amount":"20000","currency":"EUR"},"months":36,"nominal_annual_rate":"0.079"}`, 415, "", ""},
		{anonymous, "POST", "/api/v1/calculators/loan", "",
			`{"principal":{"amount":"20000","currency":"EUR"},"months":36,"nominal_annual_rate":"0.079"}`, 415, "", ""},
		{anonymous, "GET", "/api/v1/products/%00", "", "", 422, "path", "must be valid UTF-8 text without control characters"},
		{anonymous, "GET", "/api/v1/products/%FF", "", "", 422, "path", "must be valid UTF-8 text without control characters"},
		{anonymous, "GET", "/api/v1/products/%C3%28", "", "", 422, "path", "must be valid UTF-8 text without control characters"},
		{advisor, "GET", "/api/v1/clients?q=%00", "", "", 422, "q", "must be valid UTF-8 text without control characters"},
		{advisor, "POST", "/api/v1/clients/1/interactions", "application/json",
			`{"channel":"phone","direction":"inbound","subject":"a\u0000b"}`, 422, "subject", "must be valid UTF-8 text without control characters"},
		{advisor, "POST", "/api/v1/clients/1/interactions", "application/json",
			"{\"channel\":\"phone\",\"direction\":\"inbound\",\"subject\":\"a\xffb\"}", 422, "subject", "must be valid UTF-8 text without control characters"},
	} {
		header := map[string]string{"Accept": "application/json"}
		if tt.ctype != "" {
			header["Content-Type"] = tt.ctype
		}
		res, body := tt.who.doBody(tt.method, e.baseURL+tt.path, tt.body, header)
		var p struct {
			Status int `json:"status"`
			Errors []struct {
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		name := fmt.Sprintf("%s %s %.60s", tt.method, tt.path, tt.body)
		if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal([]byte(body), &p) != nil || p.Status != tt.status {
			t.Errorf("%s: %d %s %.300s, want %d problem+json", name, res.StatusCode, res.Header.Get("Content-Type"), body, tt.status)
			continue
		}
		if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Message != tt.message) {
			t.Errorf("%s: errors %+v, want %s: %s", name, p.Errors, tt.field, tt.message)
		}
		if len(body) > 1024 {
			t.Errorf("%s: a %d-byte answer echoes the input", name, len(body))
		}
	}
}
