package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// decodeContactInput decodes one contact document strictly: no unknown
// fields and every field of its declared type. Failures are validation
// errors naming the field, because the document is known to be well-formed
// JSON (a batch item or the result of a merge patch).
func decodeContactInput(doc []byte) (ContactInput, error) {
	var in ContactInput
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return ContactInput{}, fieldError(doc, err)
	}
	return in, nil
}

func fieldError(doc []byte, err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return validation.New("contact", "must be a JSON object, not %s", typeErr.Value)
	case errors.As(err, &typeErr):
		return validation.New(typeErr.Field, "must be %s, not %s", validation.JSONKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation.New(validation.UnknownFieldPath(doc, &ContactInput{}, name), "is not a known field; check the spelling against the API reference")
	}
	return validation.New("contact", "is not valid JSON: %v", err)
}
