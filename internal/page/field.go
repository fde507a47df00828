package page

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// FormField is one labelled form control as the "form-field" template in
// layout.html draws it: the label, an optional hint, the error message at
// the field, and the input or select, with aria-describedby and
// aria-invalid wired to the hint and error. Every form in ecrm's pages uses
// it, so fields look and behave alike everywhere.
type FormField struct {
	Name     string // the form parameter
	ID       string // the HTML id; the hint and error ids derive from it
	LabelKey string // catalogue key of the label
	HintKey  string // catalogue key of the hint, if any
	// Type is the input type ("text" when empty); ignored for a select.
	Type         string
	Autocomplete string
	InputMode    string
	MaxLength    int
	Value        string
	// Error is the message shown at the field, already translated.
	Error string
	// Options makes the field a select.
	Options []FormOption
	// Rows makes the field a textarea of that many rows.
	Rows int
}

// FormOption is one choice of a select; LabelKey is translated, Label is
// shown as it is when there is no key.
type FormOption struct {
	Value    string
	LabelKey string
	Label    string
	Selected bool
}

// DescribedBy lists the ids of the hint and the error message, for
// aria-describedby.
func (f FormField) DescribedBy() string {
	var ids []string
	if f.HintKey != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// FormErrors are a refused form's messages in the reader's language: in
// the form's order for the summary at the top, and by field for the
// message at each field.
type FormErrors struct {
	List    []ecrm.FieldError
	ByField map[string]string
}

// NewFormErrors reads the field errors of err (none when err is not an
// application error); messages that are catalogue keys are translated,
// others are kept as they are.
func NewFormErrors(l *i18n.Localizer, err error) FormErrors {
	fe := FormErrors{ByField: map[string]string{}}
	var appErr *ecrm.Error
	if !errors.As(err, &appErr) {
		return fe
	}
	for _, f := range appErr.Fields {
		msg := l.T(f.Message)
		fe.List = append(fe.List, ecrm.FieldError{Field: f.Field, Message: msg})
		if _, seen := fe.ByField[f.Field]; !seen {
			fe.ByField[f.Field] = msg
		}
	}
	return fe
}

// Any reports whether the form was refused.
func (f FormErrors) Any() bool { return len(f.List) > 0 }

// NewFormKey is a fresh idempotency key for a form that sends something
// once (a message): the form carries it in a hidden field, so a double
// click or a resend after a lost answer does not send it twice.
func NewFormKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
