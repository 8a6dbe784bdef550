// Package validation collects field errors in input so every one of them is
// reported at once, as a 422 problem response with a list of invalid
// fields.
package validation

import (
	"fmt"
	"strings"
)

// FieldError is one invalid field. Field uses JSON names with dots and
// indexes, such as phone_numbers[1].number.
type FieldError struct {
	Field  string `json:"name"`
	Reason string `json:"reason"`
}

// Error is a set of field errors; it is an error only when not empty.
type Error struct {
	Fields []FieldError
}

// Add records that field is invalid for reason, formatted like fmt.Sprintf.
func (e *Error) Add(field, reason string, args ...any) {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason})
}

// Merge adds every field error of other with prefix put before its names.
func (e *Error) Merge(prefix string, other *Error) {
	if other == nil {
		return
	}
	for _, f := range other.Fields {
		name := f.Field
		if prefix != "" {
			name = prefix + "." + f.Field
			if strings.HasPrefix(f.Field, "[") {
				name = prefix + f.Field
			}
		}
		e.Fields = append(e.Fields, FieldError{Field: name, Reason: f.Reason})
	}
}

// Err returns e when it has field errors and nil otherwise, so a validator
// can end with `return v.Err()`.
func (e *Error) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// New returns an error with one invalid field.
func New(field, reason string, args ...any) error {
	var e Error
	e.Add(field, reason, args...)
	return &e
}
