package servicedesk

import (
	"errors"
	"net/http"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// TranslateError turns the catalogue keys of the desk's errors into l's
// language; a refused file's message names the file and the limit it
// broke.
func (d *Desk) TranslateError(l *i18n.Localizer, err error) error {
	var appErr *ecrm.Error
	if !errors.As(err, &appErr) {
		return err
	}
	var input *InputError
	errors.As(err, &input)
	t := *appErr
	t.Message = l.T(appErr.Message)
	t.Fields = nil
	file := 0
	for _, f := range appErr.Fields {
		msg := l.T(f.Message)
		if f.Field == "attachments" && input != nil && file < len(input.Files) {
			msg = d.fileMessage(l, input.Files[file])
			file++
		}
		t.Fields = append(t.Fields, ecrm.FieldError{Field: f.Field, Message: msg})
	}
	return &t
}

func (d *Desk) fileMessage(l *i18n.Localizer, p FileProblem) string {
	lim := d.cfg.Attachments
	switch p.Key {
	case "servicedesk.error.attachment_size":
		return l.T(p.Key, p.Name, l.FileSize(lim.MaxBytes))
	case "servicedesk.error.attachment_type":
		return l.T(p.Key, p.Name, lim.TypeLabels())
	case "servicedesk.error.attachment_count":
		return l.T(p.Key, lim.MaxFiles)
	case "servicedesk.error.attachments_total":
		return l.T(p.Key, l.FileSize(int64(lim.MaxFiles)*lim.MaxBytes))
	}
	return l.T(p.Key, p.Name)
}

// FormTooLarge turns a page's body over the limit (*http.MaxBytesError
// from ReadSubmission) into a refusal at the form's file input that
// states the limit; any other error is returned as it is. (The API
// answers such a body with 413 and the limit in bytes.)
func FormTooLarge(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return invalid(nil, []FileProblem{{Key: "servicedesk.error.attachments_total"}})
	}
	return err
}

// AttachmentHint is the form's hint: how many files, how large, of which
// types.
func (d *Desk) AttachmentHint(l *i18n.Localizer) string {
	lim := d.cfg.Attachments
	return l.T("servicedesk.attachments.hint", lim.MaxFiles, l.FileSize(lim.MaxBytes), lim.TypeLabels())
}

// RequestJSON is a request as the JSON API gives it, to the client and to
// staff alike.
type RequestJSON struct {
	ID          int64      `json:"id"`
	Number      string     `json:"number"`
	Kind        string     `json:"kind"`
	Subject     string     `json:"subject"`
	Status      string     `json:"status"`
	Team        string     `json:"team,omitempty"`
	Assignee    string     `json:"assignee,omitempty"`
	DueAt       time.Time  `json:"due_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	FirstAnswer *time.Time `json:"first_answer_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	Unread      int        `json:"unread"`
	ClientID    int64      `json:"client_id,omitempty"`
}

// MessageJSON is one message of a thread in the JSON API.
type MessageJSON struct {
	ID          int64        `json:"id"`
	Author      string       `json:"author"`
	StaffName   string       `json:"staff_name,omitempty"`
	Body        string       `json:"body"`
	CreatedAt   time.Time    `json:"created_at"`
	Attachments []Attachment `json:"attachments"`
}

// ThreadJSON is a request with its messages.
type ThreadJSON struct {
	RequestJSON
	Messages []MessageJSON `json:"messages"`
}

// JSON is the request as the API gives it; withClient adds the client's
// id (staff).
func (r Request) JSON(withClient bool) RequestJSON {
	out := RequestJSON{ID: r.ID, Number: r.Number(), Kind: r.Kind, Subject: r.Subject, Status: r.Status, Team: r.Team,
		Assignee: r.AssigneeName, DueAt: r.DueAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FirstAnswer: r.FirstAnswer,
		ClosedAt: r.ClosedAt, Unread: r.Unread}
	if withClient {
		out.ClientID = r.ClientID
	}
	return out
}

// JSON is the thread as the API gives it.
func (t *Thread) JSON(withClient bool) ThreadJSON {
	out := ThreadJSON{RequestJSON: t.Request.JSON(withClient), Messages: []MessageJSON{}}
	for _, m := range t.Messages {
		att := m.Attachments
		if att == nil {
			att = []Attachment{}
		}
		out.Messages = append(out.Messages, MessageJSON{ID: m.ID, Author: m.Author, StaffName: m.StaffName, Body: m.Body, CreatedAt: m.CreatedAt, Attachments: att})
	}
	return out
}

// ListJSON is a list of requests as the API gives it.
func ListJSON(list []Request, withClient bool) []RequestJSON {
	out := make([]RequestJSON, 0, len(list))
	for _, r := range list {
		out = append(out, r.JSON(withClient))
	}
	return out
}
