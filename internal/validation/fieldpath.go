package validation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// UnknownFieldPath returns the full path of a member called name that the
// type of dst has no field for, such as "settings.call_log.enabeld". The
// error of encoding/json names only the member, so the path is found by
// walking body along the type. It returns name when no such member is
// found, such as below a type with its own UnmarshalJSON.
func UnknownFieldPath(body []byte, dst any, name string) string {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return name
	}
	if path, ok := findUnknownField(doc, reflect.TypeOf(dst), name, ""); ok {
		return path
	}
	return name
}

// findUnknownField searches doc, decoded into type t at path, for a
// member called name that t has no field for. Members are visited in
// sorted order, so with several such members it returns the first in that
// order.
func findUnknownField(doc any, t reflect.Type, name, path string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", false
	}

	switch value := doc.(type) {
	case map[string]any:
		keys := slices.Sorted(func(yield func(string) bool) {
			for key := range value {
				if !yield(key) {
					return
				}
			}
		})
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for _, key := range keys {
				field, known := fields[strings.ToLower(key)]
				if !known && key == name {
					return joinPath(path, key), true
				}
				if known {
					if found, ok := findUnknownField(value[key], field, name, joinPath(path, key)); ok {
						return found, true
					}
				}
			}
		case reflect.Map:
			for _, key := range keys {
				if found, ok := findUnknownField(value[key], t.Elem(), name, joinPath(path, key)); ok {
					return found, true
				}
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "", false
		}
		for i, item := range value {
			if found, ok := findUnknownField(item, t.Elem(), name, fmt.Sprintf("%s[%d]", path, i)); ok {
				return found, true
			}
		}
	}
	return "", false
}

// jsonFields returns the types of the JSON members of struct type t by
// lowercase name, with the fields of embedded structs, as encoding/json
// matches member names without regard to case.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		embedded := f.Type
		for embedded.Kind() == reflect.Pointer {
			embedded = embedded.Elem()
		}
		if f.Anonymous && tag == "" && embedded.Kind() == reflect.Struct {
			for name, ft := range jsonFields(embedded) {
				if _, ok := fields[name]; !ok {
					fields[name] = ft
				}
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		fields[strings.ToLower(tag)] = f.Type
	}
	return fields
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// JSONKind names the JSON value that Go type t decodes from, such as
// "a string" or "an array", for messages about a value of the wrong type.
func JSONKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "a " + t.Kind().String()
}
