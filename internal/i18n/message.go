package i18n

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Message is a text kept for later readers: what the first reader saw
// (Text, in their language) and how to say it again in any language — a
// catalogue key with its arguments, or a firm-written text in each
// language. Offer records keep their reasons, check findings and
// disclosures as Messages, so that a compliance officer reads in her
// language what a client read in his, and the record still holds exactly
// what he saw.
//
// A Message with neither key nor texts is written in JSON as a plain
// string, the form records had before, which reads back as such.
type Message struct {
	Text  string     `json:"text"`
	Key   string     `json:"key,omitempty"`
	Args  []Arg      `json:"args,omitempty"`
	Texts *ecrm.Text `json:"texts,omitempty"`
	// Parts are messages said one after the other, "; " between them.
	Parts []Message `json:"parts,omitempty"`
}

// Arg is one argument of a Message, typed so that it is formatted in the
// reader's language: an amount, a date or a percentage in her separators,
// a word (Key) from her catalogue.
type Arg struct {
	Text    *string          `json:"text,omitempty"`
	Int     *int64           `json:"int,omitempty"`
	Money   *ecrm.Money      `json:"money,omitempty"`
	Date    string           `json:"date,omitempty"` // YYYY-MM-DD
	Percent *decimal.Decimal `json:"percent,omitempty"`
	Places  int32            `json:"places,omitempty"`
	Key     string           `json:"key,omitempty"`
}

// Key is a message argument that is itself a catalogue key ("the
// objective growth" in the reader's words).
type Key string

// Ratio is a message argument shown as a percentage with Places decimals.
type Ratio struct {
	Value  decimal.Decimal
	Places int32
}

// Say formats the message key with args, like T, and keeps the key and
// the arguments. Arguments are strings, integers, ecrm.Money, time.Time
// (a date), Ratio and Key.
func (l *Localizer) Say(key string, args ...any) Message {
	m := Message{Key: key}
	if len(args) > 0 {
		m.Args = make([]Arg, len(args))
		for i, a := range args {
			m.Args[i] = argOf(a)
		}
	}
	m.Text = m.In(l)
	return m
}

// SayText keeps a firm-written text in every language, with the reader's.
func (l *Localizer) SayText(t ecrm.Text) Message {
	return Message{Text: l.Text(t), Texts: &t}
}

// Join says parts one after the other.
func (l *Localizer) Join(parts []Message) Message {
	if len(parts) == 1 {
		return parts[0]
	}
	m := Message{Parts: parts}
	m.Text = m.In(l)
	return m
}

// Plain is a message that can only be said as it was written.
func Plain(text string) Message { return Message{Text: text} }

func argOf(a any) Arg {
	switch v := a.(type) {
	case string:
		return Arg{Text: &v}
	case int:
		n := int64(v)
		return Arg{Int: &n}
	case int64:
		return Arg{Int: &v}
	case ecrm.Money:
		return Arg{Money: &v}
	case time.Time:
		return Arg{Date: v.Format(time.DateOnly)}
	case Ratio:
		return Arg{Percent: &v.Value, Places: v.Places}
	case Key:
		return Arg{Key: string(v)}
	}
	s := fmt.Sprint(a)
	return Arg{Text: &s}
}

// In says the message in l's language. A message of neither key nor texts
// can only be said as it was written.
func (m Message) In(l *Localizer) string {
	switch {
	case m.Key != "":
		args := make([]any, len(m.Args))
		for i, a := range m.Args {
			args[i] = a.in(l)
		}
		return l.T(m.Key, args...)
	case m.Texts != nil:
		return l.Text(*m.Texts)
	case len(m.Parts) > 0:
		var b strings.Builder
		for i, p := range m.Parts {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.In(l))
		}
		return b.String()
	}
	return m.Text
}

func (a Arg) in(l *Localizer) any {
	switch {
	case a.Text != nil:
		return *a.Text
	case a.Int != nil:
		return *a.Int
	case a.Money != nil:
		return l.Money(*a.Money)
	case a.Date != "":
		if t, err := time.Parse(time.DateOnly, a.Date); err == nil {
			return l.Date(t)
		}
		return a.Date
	case a.Percent != nil:
		return l.Percent(*a.Percent, a.Places)
	case a.Key != "":
		return l.T(a.Key)
	}
	return ""
}

// Fixed reports a message that can only be said as it was written (a
// record made before messages were kept as keys): its text is in the
// language of the record, whoever reads it.
func (m Message) Fixed() bool { return m.Key == "" && m.Texts == nil && m.Parts == nil }

// IsZero reports an empty message.
func (m Message) IsZero() bool {
	return m.Text == "" && m.Key == "" && m.Texts == nil && m.Parts == nil
}

// MarshalJSON writes a message that can only be said as written as a
// plain string.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.Key == "" && m.Texts == nil && m.Parts == nil {
		return json.Marshal(m.Text)
	}
	type plain Message
	return json.Marshal(plain(m))
}

// UnmarshalJSON reads either form.
func (m *Message) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*m = Message{}
		return json.Unmarshal(b, &m.Text)
	}
	type plain Message
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = Message(p)
	return nil
}
