package generic

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchboard-oss/switchboard/crm"
)

// millisecondsAbove is the number above which a numeric time is read as
// milliseconds: 10^11 seconds is the year 5138, 10^11 milliseconds is 1973.
const millisecondsAbove = 1e11

// items returns the records of body at path: the elements of an array, or
// an object as the only record. A missing or null value means no records.
func items(body []byte, path string) ([]gjson.Result, error) {
	result := gjson.ParseBytes(body)
	if path != "" {
		result = result.Get(path)
	}

	switch {
	case !result.Exists() || result.Type == gjson.Null:
		return nil, nil
	case result.IsArray():
		return result.Array(), nil
	case result.IsObject():
		return []gjson.Result{result}, nil
	}
	return nil, fmt.Errorf("%w: generic CRM response has %s at results path %q, not records", crm.ErrUnavailable, result.Type, path)
}

// toRecord converts one item of a response into a crm.Record.
func (c *Connector) toRecord(item gjson.Result) (crm.Record, error) {
	if !item.IsObject() {
		return crm.Record{}, fmt.Errorf("%w: generic CRM record is %s, not an object", crm.ErrUnavailable, item.Type)
	}

	id := item.Get(c.cfg.IDPath)
	if id.Type != gjson.String && id.Type != gjson.Number || id.String() == "" {
		return crm.Record{}, fmt.Errorf("%w: generic CRM record without id at %q", crm.ErrUnavailable, c.cfg.IDPath)
	}

	r := crm.Record{
		ID:         id.String(),
		Object:     c.object,
		Properties: c.properties(item),
		OwnerID:    c.text(item, c.cfg.OwnerIDPath),
		OwnerName:  c.text(item, c.cfg.OwnerPath),
		OwnerEmail: c.text(item, c.cfg.OwnerEmailPath),
	}
	if c.cfg.ArchivedPath != "" {
		r.Archived = item.Get(c.cfg.ArchivedPath).Bool()
	}
	if c.cfg.UpdatedAtPath != "" {
		updated, err := parseTime(item.Get(c.cfg.UpdatedAtPath))
		if err != nil {
			return crm.Record{}, fmt.Errorf("%w: generic CRM record %s: %s: %w", crm.ErrUnavailable, r.ID, c.cfg.UpdatedAtPath, err)
		}
		r.UpdatedAt = updated
	}
	r.URL = c.RecordURL(r)
	return r, nil
}

// text returns the value at path as a string, "" when path is empty or
// the value missing.
func (c *Connector) text(item gjson.Result, path string) string {
	if path == "" {
		return ""
	}
	return item.Get(path).String()
}

// properties returns every leaf of item by its flattened path, and the
// value of every configured path that is not one of those leaves, such as
// a query like "phones.#.number".
func (c *Connector) properties(item gjson.Result) map[string]any {
	properties := make(map[string]any)
	flatten(properties, "", item)

	for _, path := range c.paths() {
		if _, ok := properties[path]; ok {
			continue
		}
		if value := item.Get(path); value.Exists() {
			properties[path] = toValue(value)
		}
	}
	return properties
}

// paths returns every configured record path.
func (c *Connector) paths() []string {
	cfg := c.cfg
	paths := []string{cfg.IDPath, cfg.FirstNamePath, cfg.LastNamePath, cfg.DisplayNamePath, cfg.CompanyPath,
		cfg.OwnerPath, cfg.OwnerEmailPath, cfg.OwnerIDPath, cfg.UpdatedAtPath, cfg.ArchivedPath}
	paths = append(paths, cfg.PhonePaths...)
	paths = append(paths, cfg.EmailPaths...)

	configured := paths[:0]
	for _, path := range paths {
		if path != "" {
			configured = append(configured, path)
		}
	}
	return configured
}

// flatten adds the leaves of value to properties, named by their GJSON
// path: object keys joined with dots, array elements by index
// ("emails.0.address"). Dots, wildcards and backslashes in keys are escaped
// as GJSON expects. An empty object or array is configured as a leaf.
func flatten(properties map[string]any, path string, value gjson.Result) {
	empty := value.IsArray() && len(value.Array()) == 0 || value.IsObject() && len(value.Map()) == 0
	if !value.IsObject() && !value.IsArray() || empty {
		if path != "" {
			properties[path] = toValue(value)
		}
		return
	}

	prefix := path
	if prefix != "" {
		prefix += "."
	}
	index := 0
	value.ForEach(func(key, child gjson.Result) bool {
		name := escapeKey(key.String())
		if value.IsArray() {
			name = fmt.Sprint(index)
			index++
		}
		flatten(properties, prefix+name, child)
		return true
	})
}

var keyEscaper = strings.NewReplacer(`\`, `\\`, `.`, `\.`, `*`, `\*`, `?`, `\?`)

func escapeKey(key string) string { return keyEscaper.Replace(key) }

// toValue converts a JSON value for crm.Record.Properties. Numbers become
// json.Number so that long ids and phone numbers keep every digit.
func toValue(value gjson.Result) any {
	switch value.Type {
	case gjson.Number:
		return json.Number(value.Raw)
	case gjson.JSON:
		var decoded any
		decoder := json.NewDecoder(strings.NewReader(value.Raw))
		decoder.UseNumber()
		if decoder.Decode(&decoded) != nil {
			return value.Raw
		}
		return decoded
	}
	return value.Value()
}

// parseTime reads an RFC 3339 string or a number of seconds or milliseconds
// since the Unix epoch. A missing or null value is the zero time.
func parseTime(value gjson.Result) (time.Time, error) {
	switch value.Type {
	case gjson.Null:
		return time.Time{}, nil
	case gjson.Number:
		n := value.Float()
		if n > millisecondsAbove {
			return time.UnixMilli(int64(n)).UTC(), nil
		}
		return time.Unix(int64(n), 0).UTC(), nil
	case gjson.String:
		t, err := time.Parse(time.RFC3339Nano, value.Str)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339, such as 2024-05-10T12:00:00Z", value.Str)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %s: want an RFC 3339 string or a number", value.Raw)
}
