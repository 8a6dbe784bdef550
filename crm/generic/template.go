package generic

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Placeholders a template may use. The phone placeholders are filled from
// the E.164 number being looked up, shown here for +14155550100.
const (
	PlaceholderE164           = "e164"            // +14155550100
	PlaceholderDigits         = "digits"          // 14155550100: the E.164 form without "+"
	PlaceholderNational       = "national"        // (415) 555-0100: the national format
	PlaceholderNationalDigits = "national_digits" // 4155550100: the national significant number
	PlaceholderID             = "id"              // the record id, in RecordURLTemplate
	PlaceholderSince          = "since"           // the start of a change listing, in ListURLTemplate
	PlaceholderCursor         = "cursor"          // the CRM's cursor of the next page, in ListURLTemplate
)

// phonePlaceholders are the placeholders of LookupURLTemplate and
// BodyTemplate.
var phonePlaceholders = []string{PlaceholderE164, PlaceholderDigits, PlaceholderNational, PlaceholderNationalDigits}

// placeholderPattern matches a placeholder. Other braces, such as those of
// a JSON body, are kept as they are.
var placeholderPattern = regexp.MustCompile(`\{[a-z][a-z0-9_]*\}`)

// placeholders returns the names of the placeholders in template, or an
// error naming the first one not in allowed.
func placeholders(template string, allowed []string) ([]string, error) {
	var names []string
	for _, match := range placeholderPattern.FindAllString(template, -1) {
		name := strings.Trim(match, "{}")
		if !slices.Contains(allowed, name) {
			return nil, fmt.Errorf("has the unknown placeholder %s; it may use {%s}", match, strings.Join(allowed, "}, {"))
		}
		names = append(names, name)
	}
	return names, nil
}

// renderURL fills the placeholders of template with values, each escaped so
// that it is one literal path segment or query value.
func renderURL(template string, values map[string]string) string {
	return placeholderPattern.ReplaceAllStringFunc(template, func(match string) string {
		return escapeComponent(values[strings.Trim(match, "{}")])
	})
}

// renderJSON fills the placeholders of a JSON template with values, each
// escaped as the inside of a JSON string, so the template writes the quotes:
// {"phone": "{e164}"}.
func renderJSON(template string, values map[string]string) string {
	return placeholderPattern.ReplaceAllStringFunc(template, func(match string) string {
		quoted, _ := json.Marshal(values[strings.Trim(match, "{}")])
		return string(quoted[1 : len(quoted)-1])
	})
}

// escapeComponent percent-encodes every byte of value except the unreserved
// characters of RFC 3986 (letters, digits, "-", ".", "_" and "~"). Unlike
// url.QueryEscape it also encodes a space as %20, so the result means the
// same in a path and in a query: "+" would be a space in a query.
func escapeComponent(value string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(value) {
		c := value[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
