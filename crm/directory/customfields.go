package directory

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// Custom field types. Every type but enum takes no allowed values.
const (
	FieldString   = "string"
	FieldNumber   = "number"
	FieldInteger  = "integer"
	FieldBoolean  = "boolean"
	FieldDate     = "date"     // YYYY-MM-DD
	FieldDateTime = "datetime" // RFC 3339, such as 2025-03-01T09:30:00Z
	FieldEnum     = "enum"     // one of the allowed values
	FieldEmail    = "email"
	FieldPhone    = "phone" // read in the workspace's default region, stored as written
	FieldURL      = "url"   // absolute http or https URL
)

// FieldTypes lists the custom field types in the order the API documents
// them.
var FieldTypes = []string{
	FieldString, FieldNumber, FieldInteger, FieldBoolean, FieldDate, FieldDateTime,
	FieldEnum, FieldEmail, FieldPhone, FieldURL,
}

// Limits of custom field definitions.
const (
	MaxCustomFields           = 100
	MaxAllowedValues          = 200
	MaxAllowedValueLength     = 200
	MaxFieldDescriptionLength = 2000
)

// fieldName is the form of a custom field name: a lowercase letter, then
// lowercase letters, digits and underscores, 64 characters at most.
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// BuiltinContactFields are the contact fields of the API, which custom
// field names may not repeat, so metadata never lists a name twice.
var BuiltinContactFields = []string{
	"id", "phonebook_id", "external_id", "first_name", "last_name", "display_name", "company",
	"emails", "phone_numbers", "extra_data", "created_at", "updated_at",
}

// CustomFieldInput is a new custom field as a client writes it.
type CustomFieldInput struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	Description   string   `json:"description"`
	AllowedValues []string `json:"allowed_values"`
}

// CustomFieldPatch holds the custom field attributes an update changes;
// nil fields keep their value. Name and type cannot change, because stored
// values would no longer match them: delete the field and create another.
type CustomFieldPatch struct {
	Required      *bool     `json:"required"`
	Description   *string   `json:"description"`
	AllowedValues *[]string `json:"allowed_values"`
}

// ListCustomFields returns the custom contact fields of the workspace,
// oldest first.
func (s *Service) ListCustomFields(ctx context.Context, workspaceID string) ([]store.CustomField, error) {
	return s.store.ListCustomFields(ctx, workspaceID)
}

// CreateCustomField validates in and adds the field to the workspace. The
// field must hold for the contacts already stored. When some contact has a
// value of another type under the name, or lacks a value while the field is
// required, the error wraps store.ErrConflict. It counts those contacts per
// cause and names one with its value. Fix those
// contacts first (a batch upsert or an import sets the value on many at
// once), then create the field.
func (s *Service) CreateCustomField(ctx context.Context, workspaceID string, in CustomFieldInput) (store.CustomField, error) {
	f := store.CustomField{WorkspaceID: workspaceID}
	if err := checkNewField(&f, in); err != nil {
		return store.CustomField{}, err
	}

	err := s.store.InTx(ctx, func(q *store.Queries) error {
		existing, err := q.ListCustomFields(ctx, workspaceID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxCustomFields {
			return validation.New("name", "the workspace has %d custom fields, the limit", MaxCustomFields)
		}
		if err := s.checkStoredContacts(ctx, q, workspaceID, f); err != nil {
			return err
		}
		return q.CreateCustomField(ctx, &f)
	})
	if err != nil {
		return store.CustomField{}, err
	}
	return f, nil
}

// UpdateCustomField applies patch to the field named name. Like a new
// field, the changed field must hold for every stored contact.
func (s *Service) UpdateCustomField(ctx context.Context, workspaceID, name string, patch CustomFieldPatch) (store.CustomField, error) {
	var f store.CustomField
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if f, err = q.GetCustomField(ctx, workspaceID, name); err != nil {
			return err
		}
		if err := applyFieldPatch(&f, patch); err != nil {
			return err
		}
		if err := s.checkStoredContacts(ctx, q, workspaceID, f); err != nil {
			return err
		}
		return q.UpdateCustomField(ctx, &f)
	})
	if err != nil {
		return store.CustomField{}, err
	}
	return f, nil
}

// DeleteCustomField removes the field named name. Values stored under it
// stay in the contacts' extra_data and are no longer checked.
func (s *Service) DeleteCustomField(ctx context.Context, workspaceID, name string) error {
	return s.store.DeleteCustomField(ctx, workspaceID, name)
}

func checkNewField(f *store.CustomField, in CustomFieldInput) error {
	var v validation.Error
	f.Name = strings.TrimSpace(in.Name)
	switch {
	case f.Name == "":
		v.Add("name", "is missing: name the extra_data key the value is stored under, such as tier")
	case !fieldName.MatchString(f.Name):
		v.Add("name", "%q is not a field name: use a lowercase letter, then lowercase letters, digits and _ (64 characters at most)", f.Name)
	case slices.Contains(BuiltinContactFields, f.Name):
		v.Add("name", "%q is a built-in contact field: choose another name", f.Name)
	}

	f.Type = strings.TrimSpace(in.Type)
	if !slices.Contains(FieldTypes, f.Type) {
		v.Add("type", "%q is not a field type: use one of %s", f.Type, strings.Join(FieldTypes, ", "))
	}
	if v.Err() != nil {
		// A bad type makes the allowed values impossible to judge.
		return v.Err()
	}

	values := in.AllowedValues
	return applyFieldPatch(f, CustomFieldPatch{Required: &in.Required, Description: &in.Description, AllowedValues: &values})
}

func applyFieldPatch(f *store.CustomField, patch CustomFieldPatch) error {
	var v validation.Error
	if patch.Required != nil {
		f.Required = *patch.Required
	}
	if patch.Description != nil {
		f.Description = checkText(&v, "description", *patch.Description, MaxFieldDescriptionLength)
	}
	if patch.AllowedValues != nil {
		f.AllowedValues.V = checkAllowedValues(&v, f.Type, *patch.AllowedValues)
	}
	return v.Err()
}

func checkAllowedValues(v *validation.Error, fieldType string, values []string) []string {
	if fieldType != FieldEnum {
		if len(values) > 0 {
			v.Add("allowed_values", "is only for fields of type enum, and this one is %s", fieldType)
		}
		return []string{}
	}
	if len(values) == 0 || len(values) > MaxAllowedValues {
		v.Add("allowed_values", "has %d values: an enum field needs 1 to %d", len(values), MaxAllowedValues)
		return nil
	}

	out := make([]string, 0, len(values))
	for i, raw := range values {
		field := fmt.Sprintf("allowed_values[%d]", i)
		value := checkText(v, field, raw, MaxAllowedValueLength)
		switch {
		case value == "":
			v.Add(field, "is empty")
		case slices.Contains(out, value):
			v.Add(field, "repeats %q", value)
		default:
			out = append(out, value)
		}
	}
	return out
}

// storedContactsPage is how many contacts checkStoredContacts reads at a
// time.
const storedContactsPage = 1000

// checkStoredContacts reads the extra_data of every contact of the
// workspace, a page at a time, and returns an error wrapping
// store.ErrConflict when f does not hold for some of them.
//
// NOTE: on PostgreSQL a contact written by another transaction while this
// one runs is checked against the fields before the change, so it may
// break the new field.
func (s *Service) checkStoredContacts(ctx context.Context, q *store.Queries, workspaceID string, f store.CustomField) error {
	region, err := s.region(ctx, workspaceID)
	if err != nil {
		return err
	}
	faults := map[valueFault]*faultExample{}
	for after := ""; ; {
		page, err := q.ExtraDataOf(ctx, workspaceID, after, storedContactsPage)
		if err != nil {
			return err
		}
		for i, raw := range page.ExtraData {
			values, _ := decodeObjectOrNil(raw)
			value, present := values[f.Name]
			if _, fault := judgeValue(f, value, present, region); fault != faultNone {
				faults[fault] = countFault(faults[fault], page.IDs[i], value)
			}
		}
		if len(page.IDs) < storedContactsPage {
			break
		}
		after = page.IDs[len(page.IDs)-1]
	}

	if len(faults) == 0 {
		return nil
	}
	var causes []string
	for _, fault := range []valueFault{faultMissing, faultType, faultNotAllowed, faultRange} {
		if ex := faults[fault]; ex != nil {
			causes = append(causes, ex.describe(f, fault))
		}
	}
	return fmt.Errorf("custom field %s would reject stored contacts under extra_data.%s: %s; set valid values on them first: %w",
		f.Name, f.Name, strings.Join(causes, "; "), store.ErrConflict)
}

// faultExample counts the stored contacts with one kind of fault and keeps
// the first of them with its value.
type faultExample struct {
	count     int
	contactID string
	value     any
}

func countFault(ex *faultExample, contactID string, value any) *faultExample {
	if ex == nil {
		return &faultExample{count: 1, contactID: contactID, value: value}
	}
	ex.count++
	return ex
}

// describe returns how many contacts have the fault and names the example
// with its value, such as `2 stored contacts have a value not in the
// allowed values, such as ct_1 with "gold"`.
func (ex *faultExample) describe(f store.CustomField, fault valueFault) string {
	var singular, plural string
	switch fault {
	case faultMissing:
		singular, plural = "lacks a value", "lack a value"
	case faultNotAllowed:
		singular, plural = "has a value not in the allowed values", "have a value not in the allowed values"
	case faultRange:
		singular, plural = "has a number out of range", "have a number out of range"
	default:
		singular = "has a value that is not " + describeType(f)
		plural = "have a value that is not " + describeType(f)
	}

	example := ex.contactID
	if fault != faultMissing {
		example += " with " + describeValue(ex.value)
	}
	if ex.count == 1 {
		return fmt.Sprintf("1 stored contact %s: %s", singular, example)
	}
	return fmt.Sprintf("%d stored contacts %s, such as %s", ex.count, plural, example)
}
