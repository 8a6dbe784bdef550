// Package mapping turns CRM records into phonebook contacts. A Mapping
// lists, for each contact field, the CRM fields it is read from and a
// transform; the same mapping shapes the contacts a sync writes and the
// contact a real-time lookup returns.
//
// # Targets
//
// first_name, last_name, display_name, company and external_id take one
// value: the first source with a value wins. emails and phone_numbers
// collect a value from every source, and may be the target of several
// field mappings, such as one per phone label. extra_data.KEY sets one
// key of extra_data; KEY is 1 to 64 letters, digits, "_" or "-".
//
// # Sources
//
// A source is a CRM field name as the connector lists it (crm.Field.Name),
// or one of the record's own values: $id, $object, $url, $owner_id,
// $owner_name, $owner_email and $updated_at. A field holding a list, such
// as Pipedrive's emails, gives one value per element; an element object
// gives its "value" and, for phone numbers, its "label".
//
// # Transforms
//
//	none             the value as text (the default)
//	normalize_phone  the number in E.164 form, read in the workspace's region
//	lowercase        the value in lower case
//	constant         Value, with no source
//	template         Template with each {{field}} replaced by that source's
//	                 first value, then runs of white space made one space
//
// Templates are plain placeholder replacement, not text/template: a
// mapping is admin input that runs for every synced record, and a replacer
// cannot loop, call functions or fail at run time.
package mapping

import (
	"github.com/switchboard-oss/switchboard/crm"
)

// Contact fields a mapping can write.
const (
	TargetFirstName    = "first_name"
	TargetLastName     = "last_name"
	TargetDisplayName  = "display_name"
	TargetCompany      = "company"
	TargetEmails       = "emails"
	TargetPhoneNumbers = "phone_numbers"
	TargetExternalID   = "external_id"
	// TargetExtraDataPrefix starts a target naming one extra_data key.
	TargetExtraDataPrefix = "extra_data."
)

// Transforms of a field mapping.
const (
	TransformNone           = "none"
	TransformNormalizePhone = "normalize_phone"
	TransformLowercase      = "lowercase"
	TransformConstant       = "constant"
	TransformTemplate       = "template"
)

// Sources naming values of the record itself rather than a CRM field.
const (
	SourceID         = "$id"
	SourceObject     = "$object"
	SourceURL        = "$url"
	SourceOwnerID    = "$owner_id"
	SourceOwnerName  = "$owner_name"
	SourceOwnerEmail = "$owner_email"
	SourceUpdatedAt  = "$updated_at"
)

// Limits of a mapping.
const (
	MaxFieldMappings  = 100
	MaxSources        = 20   // sources of one field mapping
	MaxTemplateLength = 1000 // bytes
	MaxValueLength    = 1000 // bytes of a constant
	MaxExtraDataKey   = 64   // characters
)

// Mapping is the field mapping of one CRM connection.
type Mapping struct {
	Fields []FieldMapping `json:"fields"`
}

// FieldMapping fills one contact field from CRM fields.
type FieldMapping struct {
	// Target is the contact field written, such as "last_name" or
	// "extra_data.tier".
	Target string `json:"target"`
	// Source is one CRM field; Sources lists several. Set one of them,
	// except with the constant and template transforms, which take none.
	Source  string   `json:"source,omitempty"`
	Sources []string `json:"sources,omitempty"`
	// Transform is one of the Transform constants; empty means none.
	Transform string `json:"transform,omitempty"`
	// Label is the label of the phone numbers this mapping adds. Empty
	// keeps the label a list element carries, if any.
	Label string `json:"label,omitempty"`
	// Value is the text of the constant transform.
	Value string `json:"value,omitempty"`
	// Template is the text of the template transform, such as
	// "{{firstname}} {{lastname}}".
	Template string `json:"template,omitempty"`
}

// sourceList returns Source and Sources as one list.
func (f FieldMapping) sourceList() []string {
	if f.Source == "" {
		return f.Sources
	}
	return append([]string{f.Source}, f.Sources...)
}

// transform returns Transform, TransformNone when empty.
func (f FieldMapping) transform() string {
	if f.Transform == "" {
		return TransformNone
	}
	return f.Transform
}

// ownerAndLink are the field mappings every default mapping ends with: the
// record's id as external_id, its owner and its deep link in extra_data.
var ownerAndLink = []FieldMapping{
	{Target: TargetExternalID, Source: SourceID},
	{Target: "extra_data.owner_id", Source: SourceOwnerID},
	{Target: "extra_data.owner_name", Source: SourceOwnerName},
	{Target: "extra_data.owner_email", Source: SourceOwnerEmail},
	{Target: "extra_data.crm_url", Source: SourceURL},
}

// Default returns the mapping a connection of kind uses until an admin
// sets one: names, company, email addresses and labelled phone numbers
// from the fields the kind's connector reads, then the record's id, owner
// and deep link.
func Default(kind crm.Kind) Mapping {
	var fields []FieldMapping
	switch kind {
	case crm.KindHubSpot:
		fields = []FieldMapping{
			{Target: TargetFirstName, Source: "firstname"},
			{Target: TargetLastName, Source: "lastname"},
			{Target: TargetCompany, Source: "company"},
			{Target: TargetEmails, Source: "email"},
			{Target: TargetPhoneNumbers, Source: "phone", Label: "work"},
			{Target: TargetPhoneNumbers, Source: "mobilephone", Label: "mobile"},
		}
	case crm.KindPipedrive:
		fields = []FieldMapping{
			{Target: TargetFirstName, Source: "first_name"},
			{Target: TargetLastName, Source: "last_name"},
			{Target: TargetDisplayName, Source: "name"},
			{Target: TargetCompany, Source: "org_name"},
			{Target: TargetEmails, Source: "emails"},
			{Target: TargetPhoneNumbers, Source: "phones"},
		}
	case crm.KindSalesforce:
		fields = []FieldMapping{
			{Target: TargetFirstName, Source: "FirstName"},
			{Target: TargetLastName, Source: "LastName"},
			{Target: TargetDisplayName, Source: "Name"},
			{Target: TargetCompany, Sources: []string{"Account.Name", "Company"}},
			{Target: TargetEmails, Source: "Email"},
			{Target: TargetPhoneNumbers, Source: "Phone", Label: "work"},
			{Target: TargetPhoneNumbers, Source: "MobilePhone", Label: "mobile"},
			{Target: TargetPhoneNumbers, Source: "HomePhone", Label: "home"},
			{Target: TargetPhoneNumbers, Source: "OtherPhone", Label: "other"},
			{Target: "extra_data.title", Source: "Title"},
		}
	default:
		fields = []FieldMapping{
			{Target: TargetFirstName, Source: "first_name"},
			{Target: TargetLastName, Source: "last_name"},
			{Target: TargetDisplayName, Source: "name"},
			{Target: TargetCompany, Source: "company"},
			{Target: TargetEmails, Source: "email"},
			{Target: TargetPhoneNumbers, Source: "phone"},
		}
	}
	return Mapping{Fields: append(fields, ownerAndLink...)}
}
