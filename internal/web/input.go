package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/ecrm-project/ecrm"
)

// CheckRequestText applies ecrm.CheckText to everything a request carries
// as text outside a JSON body: the path, every query parameter (names and
// values) and, for a url-encoded form, every form field. Run once before
// routing, it keeps NUL bytes and invalid UTF-8 away from every handler and
// from PostgreSQL, which would refuse them with an error (SQLSTATE 22021)
// that surfaces as a 500. The error names the parameter: "path", the
// parameter's name, or "query"/"form" when the name itself is the problem.
func CheckRequestText(r *http.Request) error {
	if ecrm.CheckText(r.URL.Path) != nil {
		return ecrm.FieldErrorf("path", "%s", ecrm.ErrInvalidText.Error())
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return ecrm.FieldErrorf("query", "is not a valid query string")
	}
	if err := checkValues("query", query); err != nil {
		return err
	}
	if !isURLEncodedForm(r) {
		return nil
	}
	if err := checkDeclaredLength(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return ecrm.FieldErrorf("form", "is not a valid form")
	}
	return checkValues("form", r.PostForm)
}

func checkValues(where string, values url.Values) error {
	for name, vs := range values {
		if ecrm.CheckText(name) != nil {
			return ecrm.FieldErrorf(where, "%s", ecrm.ErrInvalidText.Error())
		}
		for _, v := range vs {
			if ecrm.CheckText(v) != nil {
				return ecrm.FieldErrorf(shortPrefix(name), "%s", ecrm.ErrInvalidText.Error())
			}
		}
	}
	return nil
}

func isURLEncodedForm(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && media == "application/x-www-form-urlencoded"
}
