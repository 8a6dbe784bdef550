package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MergePatch applies the JSON Merge Patch patch to the JSON document target
// as RFC 7396 defines it and returns the result. An object in patch is
// merged member by member, a null member removes that member from target,
// and any other value, arrays included, replaces the target value whole.
// Numbers are copied as written, so large integers keep every digit.
func MergePatch(target, patch []byte) ([]byte, error) {
	targetValue, err := decodeAny(target)
	if err != nil {
		return nil, fmt.Errorf("merge patch: target: %w", err)
	}
	patchValue, err := decodeAny(patch)
	if err != nil {
		return nil, fmt.Errorf("merge patch: patch: %w", err)
	}

	merged, err := marshalCompact(mergeValue(targetValue, patchValue))
	if err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	return merged, nil
}

// mergeValue is the MergePatch algorithm of RFC 7396 section 2 on decoded
// values. It may change target's maps in place.
func mergeValue(target, patch any) any {
	patchObject, ok := patch.(map[string]any)
	if !ok {
		return patch
	}

	targetObject, ok := target.(map[string]any)
	if !ok {
		targetObject = map[string]any{}
	}
	for name, value := range patchObject {
		if value == nil {
			delete(targetObject, name)
			continue
		}
		targetObject[name] = mergeValue(targetObject[name], value)
	}
	return targetObject
}

// decodeAny decodes one JSON value with numbers kept as json.Number.
func decodeAny(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()

	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, err
	}
	if dec.InputOffset() != int64(len(bytes.TrimRight(doc, " \t\r\n"))) {
		return nil, fmt.Errorf("more data follows the JSON value")
	}
	return value, nil
}

// decodeObjectOrNil decodes doc and reports whether it is a JSON object.
func decodeObjectOrNil(doc []byte) (map[string]any, bool) {
	value, err := decodeAny(doc)
	if err != nil {
		return nil, false
	}
	object, ok := value.(map[string]any)
	return object, ok
}

// marshalCompact encodes v as compact JSON with map keys sorted and <, >
// and & left unescaped, so equal values always encode to equal text.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
