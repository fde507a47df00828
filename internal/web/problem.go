// Package web holds the HTTP plumbing every domain shares: the server with
// its timeouts and graceful shutdown, middleware (request id, structured
// logs, Prometheus metrics, panic recovery, body limits), RFC 9457 problem
// responses, health endpoints and the OpenAPI document. Domain packages
// register their own routes; this package knows no business rules.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// ProblemDetails is an RFC 9457 problem document, extended with the request
// id (so a user's report can be matched to the log line) and, for invalid
// input, one entry per field at fault.
type ProblemDetails struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []ecrm.FieldError `json:"errors,omitempty"`
}

// codeStatus maps application error codes to HTTP status codes; it is the one
// place that mapping lives.
var codeStatus = map[string]int{
	ecrm.ECONFLICT:       http.StatusConflict,
	ecrm.EINVALID:        http.StatusUnprocessableEntity,
	ecrm.ENOTFOUND:       http.StatusNotFound,
	ecrm.EUNAUTHORIZED:   http.StatusUnauthorized,
	ecrm.EFORBIDDEN:      http.StatusForbidden,
	ecrm.ENOTIMPLEMENTED: http.StatusNotImplemented,
	ecrm.EUNAVAILABLE:    http.StatusServiceUnavailable,
	ecrm.EUNSUPPORTED:    http.StatusUnsupportedMediaType,
	ecrm.EINTERNAL:       http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status code for an error.
func ErrorStatus(err error) int {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return http.StatusRequestEntityTooLarge
	}
	if s, ok := codeStatus[ecrm.ErrorCode(err)]; ok && s != http.StatusInternalServerError {
		return s
	}
	if pgdb.IsUnavailable(err) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Problem writes err as problem+json. Internal errors are logged with the
// request id and shown only as "Internal error."; the database being
// unavailable is a 503 with Retry-After (see Fail); application errors carry
// their message and field errors.
func Problem(w http.ResponseWriter, r *http.Request, err error) {
	status := Fail(w, r, err, "internal error")
	p := ProblemDetails{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Instance:  r.URL.Path,
		RequestID: RequestIDFrom(r.Context()),
	}
	var appErr *ecrm.Error
	switch {
	case errors.As(err, &appErr):
		p.Detail = appErr.Message
		p.Errors = appErr.Fields
		if appErr.Code == ecrm.EINVALID {
			p.Type = "/problems/invalid-input"
		}
	case status == http.StatusRequestEntityTooLarge:
		p.Detail = "The request body is too large."
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			p.Detail = fmt.Sprintf("The request body is larger than %d bytes.", maxBytes.Limit)
		}
	case status == http.StatusServiceUnavailable:
		p.Detail = "The service is temporarily unavailable. Try again in a few seconds."
	default:
		p.Detail = "Internal error."
	}
	WriteProblem(w, p)
}

// WriteProblem writes a problem document as it is.
func WriteProblem(w http.ResponseWriter, p ProblemDetails) {
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WantsJSON reports whether the caller expects JSON rather than a page: API
// paths always do, other paths when Accept prefers JSON.
func WantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
