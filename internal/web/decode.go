package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// DecodeJSON reads a JSON request body into v. It is the one way request
// bodies are read, so what it refuses no handler ever sees:
//   - a body that is not declared as JSON (415): a form or text/plain body is
//     not quietly parsed as JSON;
//   - invalid JSON, invalid UTF-8 (never replaced with U+FFFD), duplicate
//     member names, more than one value;
//   - a string holding a control character other than tab, CR and LF, in
//     any member name or value, at any depth (ecrm.CheckText), and a number
//     longer than ecrm.MaxDecimalLength;
//   - unknown members, and values of the wrong type;
//   - a decimal that is not plain notation of at most 40 characters
//     (ecrm.ParseDecimal), refused before it is parsed.
//
// Every error names the field as a path ("principal.amount",
// "products[3].rules") and never echoes the value sent.
func DecodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	if err := checkDeclaredLength(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err // *http.MaxBytesError (413) or a broken connection
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ecrm.Errorf(ecrm.EINVALID, "The request body is empty.")
	}
	if err := checkJSONTokens(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v, decodeOptions); err != nil {
		return decodeError(err)
	}
	return nil
}

// readBody reads the whole body into a buffer of the declared length, so a
// large body is not copied over and over as io.ReadAll grows its buffer.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > 8<<20 {
		return io.ReadAll(r.Body) // unknown, or more than any route allows: the limit reader stops it
	}
	body := make([]byte, r.ContentLength)
	n, err := io.ReadFull(r.Body, body)
	if err == io.ErrUnexpectedEOF {
		return body[:n], nil // shorter than declared: the parser says what is missing
	}
	if err != nil {
		return nil, err
	}
	return body, nil
}

// requireJSON answers 415 unless the body is declared as application/json
// or a +json type (application/merge-patch+json).
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	media, _, err := mime.ParseMediaType(ct)
	if err == nil && (media == "application/json" || (strings.HasPrefix(media, "application/") && strings.HasSuffix(media, "+json"))) {
		return nil
	}
	if ct == "" {
		ct = "none"
	}
	return ecrm.Errorf(ecrm.EUNSUPPORTED, "The request body must be sent as Content-Type: application/json (it was %s).", shortPrefix(ct))
}

// checkJSONTokens walks every token of the body once: syntax, UTF-8,
// control characters in strings and over-long numbers, whatever Go type the
// value later lands in (json.RawMessage and map values included).
func checkJSONTokens(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body)) // a Buffer is parsed in place, not copied
	values := 0
	for {
		tok, err := dec.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var syntax *jsontext.SyntacticError
			if errors.As(err, &syntax) {
				if syntax.Err != nil && strings.Contains(syntax.Err.Error(), "invalid UTF-8") {
					return fieldError(syntax.JSONPointer, ecrm.ErrInvalidText.Error())
				}
				if errors.Is(err, jsontext.ErrDuplicateName) {
					return fieldError(syntax.JSONPointer, "appears more than once")
				}
				if values > 0 && dec.StackDepth() == 0 {
					return ecrm.Errorf(ecrm.EINVALID, "The request body holds more than one JSON value.")
				}
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return ecrm.Errorf(ecrm.EINVALID, "The request body is not valid JSON: it ends too early.")
				}
				return ecrm.Errorf(ecrm.EINVALID, "The request body is not valid JSON (at byte %d).", syntax.ByteOffset)
			}
			return ecrm.Errorf(ecrm.EINVALID, "The request body is not valid JSON.")
		}
		if dec.StackDepth() == 0 {
			if values++; values > 1 {
				return ecrm.Errorf(ecrm.EINVALID, "The request body holds more than one JSON value.")
			}
		}
		switch tok.Kind() {
		case '"':
			if ecrm.CheckText(tok.String()) != nil {
				return fieldError(dec.StackPointer(), ecrm.ErrInvalidText.Error())
			}
		case '0':
			if len(tok.String()) > ecrm.MaxDecimalLength {
				return fieldError(dec.StackPointer(), ecrm.ErrDecimalTooLong.Error())
			}
		}
	}
}

// decodeOptions: unknown members are refused (a typo must not pass for an
// absent field), and decimals go through ecrm.ParseDecimal.
var decodeOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.WithUnmarshalers(json.UnmarshalFromFunc(unmarshalDecimal)),
)

var decimalType = reflect.TypeFor[decimal.Decimal]()

// unmarshalDecimal reads a decimal sent as a JSON string ("1234.56", as
// ecrm writes them) or number, through ecrm.ParseDecimal.
func unmarshalDecimal(dec *jsontext.Decoder, d *decimal.Decimal) error {
	k := dec.PeekKind()
	if k == 'n' {
		return json.SkipFunc // null leaves the decimal as it is, as before
	}
	if k != '"' && k != '0' {
		return &json.SemanticError{JSONKind: k, GoType: decimalType, Err: ecrm.ErrNotDecimal}
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	parsed, err := ecrm.ParseDecimal(tok.String())
	if err != nil {
		return &json.SemanticError{Err: err}
	}
	*d = parsed
	return nil
}

// decodeError turns what the json package reports into a field error in
// our words; its own messages echo values and Go type names.
func decodeError(err error) error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return err
	}
	var sem *json.SemanticError
	if !errors.As(err, &sem) {
		return ecrm.Errorf(ecrm.EINVALID, "The request body cannot be read.")
	}
	switch {
	case errors.Is(sem.Err, json.ErrUnknownName):
		return fieldError(sem.JSONPointer, "is not a known field")
	case errors.Is(sem.Err, ecrm.ErrDecimalTooLong), errors.Is(sem.Err, ecrm.ErrNotDecimal):
		return fieldError(sem.JSONPointer, sem.Err.Error())
	}
	return fieldError(sem.JSONPointer, expectedKind(sem.GoType))
}

// expectedKind says in words what a Go type wants.
func expectedKind(t reflect.Type) string {
	if t == nil {
		return "has the wrong type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == decimalType {
		return ecrm.ErrNotDecimal.Error()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Slice, reflect.Array:
		return "must be a list"
	case reflect.Struct, reflect.Map:
		if t.PkgPath() == "time" {
			return "must be a date and time such as 2026-12-06T10:00:00Z"
		}
		return "must be an object"
	}
	return "has the wrong type"
}

// fieldError names the value at p as a path a person reads:
// /products/3/rules becomes products[3].rules. The whole body is "body". A
// member name that is not valid text is not echoed: the path stops before it.
func fieldError(p jsontext.Pointer, message string) error {
	var b strings.Builder
	for tok := range p.Tokens() {
		if ecrm.CheckText(tok) != nil {
			break
		}
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(shortPrefix(tok))
	}
	field := b.String()
	if field == "" {
		field = "body"
	}
	return ecrm.FieldErrorf(field, "%s", message)
}

// shortPrefix keeps an echoed piece of input short: at most 40 bytes, cut
// on a character boundary.
func shortPrefix(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// NameListItems names the items of a body that is a JSON list: the field
// "[3].rules" of an error from DecodeJSON becomes "products[3].rules" for
// list "products", as the list's own validation names them. Other errors
// (and "body", the whole body) are returned as they are.
func NameListItems(err error, list string) error {
	var e *ecrm.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	named := *e
	named.Fields = make([]ecrm.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if strings.HasPrefix(f.Field, "[") {
			f.Field = list + f.Field
		}
		named.Fields[i] = f
	}
	if strings.HasPrefix(named.Field, "[") {
		named.Message = list + named.Message
		named.Field = list + named.Field
	}
	return &named
}
