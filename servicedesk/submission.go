package servicedesk

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Submission is what a form or an API call sends to open a request or to
// answer in one.
type Submission struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Close closes the request with the answer (staff).
	Close bool     `json:"close"`
	Files []Upload `json:"-"`
	// Key is the idempotency key: the Idempotency-Key header of an API
	// call, the form's hidden key of a page.
	Key string `json:"-"`
}

// multipartMemory is how much of a multipart body is kept in memory; the
// rest of the files goes to temporary files until read.
const multipartMemory = 1 << 20

// ReadSubmission reads a page's form (url-encoded, or multipart with the
// files in "attachments") or an API call's body (JSON, or the same
// multipart form). Text is checked as every request's text is (CheckText):
// the middleware that checks ordinary forms does not read multipart
// bodies.
func (l AttachmentLimits) ReadSubmission(r *http.Request) (Submission, error) {
	var s Submission
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := web.DecodeJSON(r, &s); err != nil {
			return s, err
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(multipartMemory); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return s, err
			}
			return s, ecrm.FieldErrorf("attachments", "servicedesk.error.form")
		}
		uploads, err := l.ReadUploads(r.MultipartForm.File["attachments"])
		if err != nil {
			return s, err
		}
		s.Files = uploads
		fallthrough
	default:
		if err := r.ParseForm(); err != nil {
			return s, ecrm.FieldErrorf("body", "servicedesk.error.form")
		}
		s.Kind, s.Subject, s.Body = r.FormValue("kind"), r.FormValue("subject"), r.FormValue("body")
		s.Close, _ = strconv.ParseBool(r.FormValue("close"))
		s.Key = r.FormValue("key")
	}
	for field, v := range map[string]string{"kind": s.Kind, "subject": s.Subject, "body": s.Body, "key": s.Key} {
		if ecrm.CheckText(v) != nil {
			return s, ecrm.FieldErrorf(field, "servicedesk.error.characters")
		}
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		s.Key = k
	}
	if len(s.Key) > 200 {
		return s, ecrm.FieldErrorf("key", "servicedesk.error.key")
	}
	return s, nil
}
