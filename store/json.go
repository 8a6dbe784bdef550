package store

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
)

// JSONColumn stores V as JSON text in a column. A nil slice is written as
// [] and a nil map as {}, never as null, so readers in other languages get
// the type the column promises.
type JSONColumn[V any] struct{ V V }

// Scan implements sql.Scanner.
func (j *JSONColumn[V]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		var zero V
		j.V = zero
		return nil
	default:
		return fmt.Errorf("scan JSON column: unsupported type %T", src)
	}
	return json.Unmarshal(b, &j.V)
}

// Value implements driver.Valuer.
func (j JSONColumn[V]) Value() (driver.Value, error) {
	return marshalJSON(j.V)
}

// marshalJSON returns v as compact JSON text, with <, > and & left as they
// are, a nil slice as [] and a nil map as {}.
func marshalJSON(v any) (string, error) {
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.Slice && rv.IsNil():
		return "[]", nil
	case rv.Kind() == reflect.Map && rv.IsNil():
		return "{}", nil
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// canonicalObject returns the JSON object raw in canonical form: compact,
// keys sorted at every level, numbers as written. Empty input and null give
// {}; any other JSON value than an object is an error.
func canonicalObject(raw json.RawMessage) (string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return "{}", nil
	}

	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", fmt.Errorf("extra_data must be a JSON object: %w", err)
	}
	if dec.InputOffset() != int64(len(trimmed)) {
		return "", fmt.Errorf("extra_data must be a single JSON object, but more text follows it")
	}
	if obj == nil {
		return "{}", nil
	}
	return marshalJSON(obj)
}
