package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// singleTargets take one value, so each may appear once in a mapping.
var singleTargets = []string{TargetFirstName, TargetLastName, TargetDisplayName, TargetCompany, TargetExternalID}

// recordSources are the sources every record has, whatever its CRM.
var recordSources = []string{SourceID, SourceObject, SourceURL, SourceOwnerID, SourceOwnerName, SourceOwnerEmail, SourceUpdatedAt}

var transforms = []string{TransformNone, TransformNormalizePhone, TransformLowercase, TransformConstant, TransformTemplate}

var extraDataKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// placeholder matches {{field}} in a template, spaces inside allowed.
var placeholder = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// Validate checks m and returns a *validation.Error naming every invalid
// field, such as fields[2].source. When fields is not nil, every source and
// template placeholder must be one of their names or a record source. With
// nil fields, only the mapping's own shape is checked.
func Validate(m Mapping, fields []crm.Field) error {
	var v validation.Error
	switch {
	case len(m.Fields) == 0:
		v.Add("fields", "is empty: map at least one contact field")
	case len(m.Fields) > MaxFieldMappings:
		v.Add("fields", "has %d field mappings; the limit is %d", len(m.Fields), MaxFieldMappings)
	}

	known := fieldNames(fields)
	seen := map[string]int{}
	for i, f := range m.Fields {
		prefix := fmt.Sprintf("fields[%d]", i)
		checkTarget(&v, prefix, f.Target, seen, i)
		checkTransform(&v, prefix, f)
		checkSources(&v, prefix, f, known)
		checkLabel(&v, prefix, f)
	}
	return v.Err()
}

// fieldNames returns the set of names in fields, nil when fields is nil.
func fieldNames(fields []crm.Field) map[string]bool {
	if fields == nil {
		return nil
	}
	names := make(map[string]bool, len(fields))
	for _, f := range fields {
		names[f.Name] = true
	}
	return names
}

func checkTarget(v *validation.Error, prefix, target string, seen map[string]int, index int) {
	field := prefix + ".target"
	switch {
	case target == "":
		v.Add(field, "is missing: name a contact field such as last_name, phone_numbers or extra_data.tier")
		return
	case strings.HasPrefix(target, TargetExtraDataPrefix):
		if !extraDataKey.MatchString(strings.TrimPrefix(target, TargetExtraDataPrefix)) {
			v.Add(field, "%q has an invalid extra_data key: use 1 to %d letters, digits, _ or -", target, MaxExtraDataKey)
			return
		}
	case target == TargetEmails || target == TargetPhoneNumbers:
		return // several mappings may add to a list
	case !slices.Contains(singleTargets, target):
		v.Add(field, "%q is not a contact field: use first_name, last_name, display_name, company, emails, phone_numbers, external_id or extra_data.KEY", target)
		return
	}

	if first, ok := seen[target]; ok {
		v.Add(field, "repeats the target of fields[%d]; %s takes one value, so map it once with several sources instead", first, target)
		return
	}
	seen[target] = index
}

func checkTransform(v *validation.Error, prefix string, f FieldMapping) {
	transform := f.transform()
	if !slices.Contains(transforms, transform) {
		v.Add(prefix+".transform", "%q is not a transform: use none, normalize_phone, lowercase, constant or template", f.Transform)
		return
	}

	if transform == TransformConstant {
		if strings.TrimSpace(f.Value) == "" {
			v.Add(prefix+".value", "is missing: the constant transform writes this text")
		} else if len(f.Value) > MaxValueLength {
			v.Add(prefix+".value", "is %d bytes long; the limit is %d", len(f.Value), MaxValueLength)
		}
	} else if f.Value != "" {
		v.Add(prefix+".value", "is only read by the constant transform: leave it out")
	}

	if transform == TransformTemplate {
		switch {
		case !placeholder.MatchString(f.Template):
			v.Add(prefix+".template", "must contain at least one {{field}} placeholder, such as {{firstname}} {{lastname}}")
		case len(f.Template) > MaxTemplateLength:
			v.Add(prefix+".template", "is %d bytes long; the limit is %d", len(f.Template), MaxTemplateLength)
		}
	} else if f.Template != "" {
		v.Add(prefix+".template", "is only read by the template transform: leave it out")
	}
}

func checkSources(v *validation.Error, prefix string, f FieldMapping, known map[string]bool) {
	transform := f.transform()
	takesNone := transform == TransformConstant || transform == TransformTemplate
	switch {
	case takesNone && (f.Source != "" || len(f.Sources) > 0):
		v.Add(prefix+".source", "must be left out with the %s transform", transform)
	case takesNone:
		for _, name := range TemplateFields(f.Template) {
			if !isKnownSource(name, known) {
				v.Add(prefix+".template", "names %q, which is not a field of this CRM connection; list the fields with GET /v1/crm-connections/{id}/fields", name)
			}
		}
	case f.Source != "" && len(f.Sources) > 0:
		v.Add(prefix+".sources", "is set together with source: use source for one field or sources for several")
	case f.Source == "" && len(f.Sources) == 0:
		v.Add(prefix+".source", "is missing: name the CRM field to read, or use sources for several")
	case len(f.Sources) > MaxSources:
		v.Add(prefix+".sources", "has %d fields; the limit is %d", len(f.Sources), MaxSources)
	case f.Source != "":
		checkSource(v, prefix+".source", f.Source, known)
	default:
		for j, source := range f.Sources {
			checkSource(v, fmt.Sprintf("%s.sources[%d]", prefix, j), source, known)
		}
	}
}

func checkSource(v *validation.Error, field, source string, known map[string]bool) {
	switch {
	case strings.TrimSpace(source) == "":
		v.Add(field, "is empty: name a CRM field")
	case !isKnownSource(source, known):
		v.Add(field, "%q is not a field of this CRM connection; list the fields with GET /v1/crm-connections/{id}/fields", source)
	}
}

// isKnownSource reports whether source is a record source, one of known,
// or anything at all when known is nil.
func isKnownSource(source string, known map[string]bool) bool {
	if strings.HasPrefix(source, "$") {
		return slices.Contains(recordSources, source)
	}
	return known == nil || known[source]
}

func checkLabel(v *validation.Error, prefix string, f FieldMapping) {
	switch {
	case f.Label == "":
	case f.Target != TargetPhoneNumbers:
		v.Add(prefix+".label", "is only read for phone_numbers: leave it out")
	case utf8.RuneCountInString(f.Label) > directory.MaxLabelLength:
		v.Add(prefix+".label", "is %d characters long; the limit is %d", utf8.RuneCountInString(f.Label), directory.MaxLabelLength)
	}
}

// TemplateFields returns the sources the {{field}} placeholders of
// template name, in order.
func TemplateFields(template string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		names = append(names, m[1])
	}
	return names
}

// HasStrayBraces reports whether template has a "{{" or "}}" outside a
// {{field}} placeholder, such as "{{nonexistent}". Apply writes those
// braces as text, which is seldom what the template's author meant.
func HasStrayBraces(template string) bool {
	rest := placeholder.ReplaceAllString(template, "")
	return strings.Contains(rest, "{{") || strings.Contains(rest, "}}")
}
