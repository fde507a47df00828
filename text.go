package ecrm

import (
	"bytes"
	"encoding/json"
)

// Text is a text the firm writes in each language ecrm is translated into:
// a product's name, a description, a disclosure, a rule's reason. Message
// catalogue entries cover the words ecrm itself shows; Text covers the
// words a firm's staff type, which the catalogue cannot know.
type Text struct {
	EN string `json:"en"`
	RO string `json:"ro"`
}

// In returns the text in lang ("en" or "ro", or a tag whose base is one of
// them such as "ro-RO"), English when the Romanian text is missing.
func (t Text) In(lang string) string {
	if len(lang) >= 2 && lang[:2] == "ro" && t.RO != "" {
		return t.RO
	}
	return t.EN
}

// IsZero reports whether the text is empty in every language.
func (t Text) IsZero() bool { return t.EN == "" && t.RO == "" }

// UnmarshalJSON reads {"en": …, "ro": …} and, for files written before a
// field had a Romanian text, a plain string as the English text; the
// validation of the field then asks for the Romanian one by name.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*t = Text{}
		return json.Unmarshal(b, &t.EN)
	}
	type plain Text
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Text(p)
	return nil
}
