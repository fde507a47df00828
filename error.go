package ecrm

import (
	"errors"
	"fmt"
)

// Application error codes. They are mapped to HTTP status codes in one
// place (internal/web) and are safe to show to a user; anything else is an
// internal error and is shown only as "Internal error".
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
	ENOTIMPLEMENTED = "not_implemented"
	EUNAVAILABLE    = "unavailable"
	// EUNSUPPORTED: the request body is not in a format the route reads.
	EUNSUPPORTED = "unsupported_media_type"
)

// ErrCurrencyMismatch is returned when two amounts in different currencies
// are combined.
var ErrCurrencyMismatch = errors.New("currency mismatch")

// Error is an application error: a code, a message for the user and,
// for validation errors, the field the message is about.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault (JSON name), when there is one.
	Field string
	// Fields carries one message per field when several fields are invalid.
	Fields []FieldError
}

// FieldError is one invalid input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("ecrm error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("ecrm error: code=%s message=%s", e.Code, e.Message)
}

// Errorf is a helper function to return an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: field + ": " + msg, Field: field, Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode unwraps an application error and returns its code. Non-application
// errors always return EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage unwraps an application error and returns its message.
// Non-application errors always return "Internal error."
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
