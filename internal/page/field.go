package page

import "strings"

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
