package crmsync

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/mapping"
)

// errNoValidPhone is the failure of a record whose phone fields hold
// values but no number the mapping could read.
var errNoValidPhone = errors.New("phone_numbers: no valid phone number")

// mapRecord returns rec as a batch item for directory.UpsertRecords. The
// external_id is always the record's id, even when the mapping sets another,
// because deletions arrive as record ids.
//
// mapping.Apply leaves out phone numbers it cannot parse, so a contact
// with one bad number among good ones still syncs. A record whose phone
// fields hold values none of which is a valid number fails instead: a
// contact no caller can match would hide the problem.
func mapRecord(m mapping.Mapping, region string, rec crm.Record) (json.RawMessage, error) {
	in, err := mapping.Apply(m, rec, region)
	if err != nil {
		return nil, err
	}
	in.ExternalID = rec.ID

	if len(in.PhoneNumbers) == 0 {
		if fields := filledPhoneFields(m, rec); len(fields) > 0 {
			return nil, fmt.Errorf("%w in the CRM field(s) %s", errNoValidPhone, strings.Join(fields, ", "))
		}
	}

	item, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode the contact: %w", err)
	}
	return item, nil
}

// filledPhoneFields returns the CRM fields mapped to phone_numbers that
// hold a value in rec.
func filledPhoneFields(m mapping.Mapping, rec crm.Record) []string {
	var fields []string
	for _, f := range m.Fields {
		if f.Target != mapping.TargetPhoneNumbers {
			continue
		}
		for _, source := range append([]string{f.Source}, f.Sources...) {
			if source != "" && hasValue(rec.Properties[source]) {
				fields = append(fields, source)
			}
		}
	}
	return fields
}

// hasValue reports whether a property, as a connector decoded it from
// JSON, holds anything but blanks: a list element or an object's "value"
// counts, as mapping.Apply reads them.
func hasValue(property any) bool {
	switch v := property.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	case []any:
		for _, element := range v {
			if hasValue(element) {
				return true
			}
		}
		return false
	case map[string]any:
		return hasValue(v["value"])
	}
	return true
}
