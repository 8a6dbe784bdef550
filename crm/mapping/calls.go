package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// Sources of a call mapping: the values of the call being logged. Times
// are RFC 3339, and the _local forms are in the workspace's time zone.
const (
	CallSourceID              = "call_id"
	CallSourceDirection       = "direction" // inbound or outbound
	CallSourceFrom            = "from"
	CallSourceTo              = "to"
	CallSourceOutcome         = "outcome" // completed, missed, busy, failed, cancelled or voicemail
	CallSourceAgent           = "agent"
	CallSourceDurationSeconds = "duration_seconds"
	CallSourceStartedAt       = "started_at"
	CallSourceStartedAtLocal  = "started_at_local"
	CallSourceEndedAt         = "ended_at"
	CallSourceEndedAtLocal    = "ended_at_local"
	CallSourceRecordingURL    = "recording_url"
	CallSourceNotes           = "notes"
	CallSourceProvider        = "provider"
	// CallSourceCaller is the other party's number: from for an inbound
	// call, to for an outbound one.
	CallSourceCaller = "caller"
	// CallSourceContactName is the name of the Switchboard contact the
	// caller matched, "" when none did.
	CallSourceContactName = "contact_name"
)

// CallSources lists every source of a call mapping.
var CallSources = []string{
	CallSourceID, CallSourceDirection, CallSourceFrom, CallSourceTo, CallSourceOutcome, CallSourceAgent,
	CallSourceDurationSeconds, CallSourceStartedAt, CallSourceStartedAtLocal, CallSourceEndedAt,
	CallSourceEndedAtLocal, CallSourceRecordingURL, CallSourceNotes, CallSourceProvider, CallSourceCaller,
	CallSourceContactName,
}

// CallTargetTitle is the target of a call mapping that sets the title of
// the CRM entry, whatever the CRM's field for it is called.
const CallTargetTitle = "title"

// callTransforms are the transforms a call mapping may use. A call's
// numbers are E.164 already, so normalize_phone has nothing to do.
var callTransforms = []string{TransformNone, TransformLowercase, TransformConstant, TransformTemplate}

// crmFieldName is the shape of a CRM field name a call mapping may write:
// HubSpot property names, Pipedrive keys (40-character hashes for custom
// fields) and Salesforce API names such as Call_Reason__c.
var crmFieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]{0,99}$`)

// DefaultCall returns the call mapping a connection uses until an admin
// sets one: a title naming the direction and the caller.
func DefaultCall() Mapping {
	return Mapping{Fields: []FieldMapping{
		{Target: CallTargetTitle, Transform: TransformTemplate, Template: "{{direction}} call {{caller}} {{contact_name}}"},
	}}
}

// ValidateCall checks a call mapping and returns a *validation.Error
// naming every invalid field. A target is "title" or the name of a CRM
// field of the call entry, and sources are CallSources.
func ValidateCall(m Mapping) error {
	var v validation.Error
	switch {
	case len(m.Fields) == 0:
		v.Add("fields", "is empty: map at least one field, or leave out mapping for the default title")
	case len(m.Fields) > MaxFieldMappings:
		v.Add("fields", "has %d field mappings; the limit is %d", len(m.Fields), MaxFieldMappings)
	}
	seen := map[string]int{}
	for i, f := range m.Fields {
		prefix := fmt.Sprintf("fields[%d]", i)
		checkCallTarget(&v, prefix, f.Target, seen, i)
		checkCallSources(&v, prefix, f)
	}
	return v.Err()
}

func checkCallTarget(v *validation.Error, prefix, target string, seen map[string]int, i int) {
	switch {
	case target == "":
		v.Add(prefix+".target", "is required: \"title\" or a CRM field of the call entry, such as hs_call_title")
		return
	case target != CallTargetTitle && !crmFieldName.MatchString(target):
		v.Add(prefix+".target", "%q is not a CRM field name: use letters, digits, \"_\" or \".\", starting with a letter", target)
		return
	}
	if first, ok := seen[target]; ok {
		v.Add(prefix+".target", "%q is mapped already by fields[%d]", target, first)
		return
	}
	seen[target] = i
}

func checkCallSources(v *validation.Error, prefix string, f FieldMapping) {
	transform := f.transform()
	if !slices.Contains(callTransforms, transform) {
		v.Add(prefix+".transform", "%q is not a transform of call mappings: use %s", f.Transform, strings.Join(callTransforms, ", "))
		return
	}
	sources := f.sourceList()
	switch transform {
	case TransformConstant:
		if len(f.Value) > MaxValueLength {
			v.Add(prefix+".value", "is longer than %d bytes", MaxValueLength)
		}
		return
	case TransformTemplate:
		switch {
		case f.Template == "":
			v.Add(prefix+".template", "is required with the template transform, such as \"{{direction}} call {{caller}}\"")
		case len(f.Template) > MaxTemplateLength:
			v.Add(prefix+".template", "is longer than %d bytes", MaxTemplateLength)
		}
		sources = TemplateFields(f.Template)
	default:
		if len(sources) == 0 {
			v.Add(prefix+".source", "is required: one of %s", strings.Join(CallSources, ", "))
		}
	}
	for _, source := range sources {
		if !slices.Contains(CallSources, source) {
			v.Add(prefix+".source", "%q is not a call source: use %s", source, strings.Join(CallSources, ", "))
		}
	}
}

// ApplyCall returns the CRM fields m sets from values, the call's value
// of each source. A field whose sources are all empty is left out. The
// "title" target is returned under that name, and the connector puts it in
// its own title field.
func ApplyCall(m Mapping, values map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range m.Fields {
		var text string
		switch f.transform() {
		case TransformConstant:
			text = strings.TrimSpace(f.Value)
		case TransformTemplate:
			text = renderCall(f.Template, values)
		default:
			for _, source := range f.sourceList() {
				if text = values[source]; text != "" {
					break
				}
			}
			if f.transform() == TransformLowercase {
				text = strings.ToLower(text)
			}
		}
		if text != "" {
			out[f.Target] = text
		}
	}
	return out
}

// renderCall fills a template's {{source}} placeholders from values and
// makes runs of white space one space.
func renderCall(template string, values map[string]string) string {
	text := placeholder.ReplaceAllStringFunc(template, func(match string) string {
		return values[placeholder.FindStringSubmatch(match)[1]]
	})
	return strings.Join(strings.Fields(text), " ")
}
