package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// openAPIDocument is the OpenAPI 3 description of every API route. A test in
// cmd/ecrm compares it with the routes the server registers, both ways.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI serves the document.
func OpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}

// OpenAPIOperations lists the documented operations as "METHOD /path" with
// path parameters in chi's {name} form, sorted.
func OpenAPIOperations() ([]string, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			if methods[method] {
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(ops)
	return ops, nil
}
