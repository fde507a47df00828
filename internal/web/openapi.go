package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// baseDocument holds the shared parts of the OpenAPI description (info,
// operations endpoints, common schemas such as Money and Problem). Each
// domain package documents its own routes in an openapi.json fragment of the
// same shape ({"paths": {...}, "components": {"schemas": {...}}}) kept next
// to its handlers; NewOpenAPI merges them. A test in cmd/ecrm compares the
// result with the routes the server registers, both ways.
//
//go:embed openapi.json
var baseDocument []byte

// OpenAPIDocument is the merged OpenAPI 3 description.
type OpenAPIDocument struct {
	raw []byte
}

// NewOpenAPI merges the domain fragments into the base document. A path or
// schema defined twice is an error.
func NewOpenAPI(fragments ...[]byte) (*OpenAPIDocument, error) {
	var doc map[string]any
	if err := json.Unmarshal(baseDocument, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for i, f := range fragments {
		var frag struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(f, &frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %d: %w", i, err)
		}
		for p, item := range frag.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("openapi fragment %d: path %s documented twice", i, p)
			}
			paths[p] = item
		}
		for name, s := range frag.Components.Schemas {
			if _, dup := schemas[name]; dup {
				return nil, fmt.Errorf("openapi fragment %d: schema %s defined twice", i, name)
			}
			schemas[name] = s
		}
	}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return &OpenAPIDocument{raw: raw}, nil
}

// ServeHTTP serves the document.
func (d *OpenAPIDocument) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(d.raw)
}

// Operations lists the documented operations as "METHOD /path" with path
// parameters in chi's {name} form, sorted.
func (d *OpenAPIDocument) Operations() ([]string, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(d.raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
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
