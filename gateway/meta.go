package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/store"
)

// objectType is one kind of object of the API. Its operations and fields
// are read from the OpenAPI document, so metadata cannot drift from it.
type objectType struct {
	Name        string
	Description string
	// Tag is the OpenAPI tag of the type's operations.
	Tag string
	// Schema is the schema of the object as the API returns it.
	Schema string
	// CreateSchema is the schema of a create request, which decides which
	// fields are required and writable. It is "" when clients cannot create
	// the type, and then every field is read-only.
	CreateSchema string
}

// objectTypes lists the object types of GET /v1/meta/object-types.
var objectTypes = []objectType{
	{"contacts", "Entries of a phonebook, with the workspace's custom fields under extra_data.", "Contacts", "Contact", "ContactCreate"},
	{"phonebooks", "Lists of contacts, one per source such as a CRM or a CSV file.", "Phonebooks", "Phonebook", "PhonebookCreate"},
	{"calls", "Calls reported by telephony connections; the gateway creates them.", "Calls", "Call", ""},
	{"telephony-connections", "Accounts of telephony platforms that send call webhooks.", "Telephony connections", "TelephonyConnection", "TelephonyConnectionCreate"},
	{"crm-connections", "CRM accounts that contacts are looked up in and synced from.", "CRM connections", "CRMConnection", "CRMConnectionCreate"},
	{"webhooks", "Webhook subscriptions of integration platforms.", "Webhook subscriptions", "WebhookSubscription", "WebhookSubscriptionCreate"},
	{"users", "Agents and supervisors who sign in to the agent console.", "Users", "User", "UserCreate"},
	{"api-keys", "API keys of the workspace; the token is shown once.", "API keys", "APIKey", "APIKeyCreate"},
	{"workspace", "The workspace of the credential.", "Workspace", "Workspace", ""},
	{"custom-fields", "Typed keys of contacts' extra_data.", "Metadata", "CustomField", "CustomFieldCreate"},
}

// operationView is one API operation of an object type.
type operationView struct {
	// Name is the operationId, unique in the API and stable.
	Name string `json:"name"`
	// Kind is one of the operation kinds, such as list or action.
	Kind        string `json:"kind"`
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Summary     string `json:"summary"`
	// Scope is the scope the operation needs, "" when any credential may
	// call it.
	Scope string `json:"scope"`
}

type objectTypeView struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	FieldsURL   string          `json:"fields_url"`
	Operations  []operationView `json:"operations"`
}

// fieldView is one field of an object type.
type fieldView struct {
	Name string `json:"name"`
	// Type is the JSON type; Format refines it, such as date-time or email.
	Type   string `json:"type"`
	Format string `json:"format,omitempty"`
	// ItemType and ItemFormat describe the items of an array field.
	ItemType   string `json:"item_type,omitempty"`
	ItemFormat string `json:"item_format,omitempty"`
	Nullable   bool   `json:"nullable"`
	// Required means a create request must send the field.
	Required    bool   `json:"required"`
	ReadOnly    bool   `json:"read_only"`
	Description string `json:"description"`
	// AllowedValues lists the values of an enumerated field, or is absent.
	AllowedValues []string `json:"allowed_values,omitempty"`
	// Custom marks a custom contact field, stored at Path.
	Custom bool   `json:"custom"`
	Path   string `json:"path"`
	// CustomType is the type a custom field was created with.
	CustomType string `json:"custom_type,omitempty"`
}

// metaDocument is the OpenAPI document loaded once for metadata. The
// document is embedded and checked by the tests, so failing to load it is
// a build defect, not a request error.
var metaDocument = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	return loader.LoadFromData(openAPIDocument)
})

func findObjectType(name string) (objectType, error) {
	i := slices.IndexFunc(objectTypes, func(t objectType) bool { return t.Name == name })
	if i < 0 {
		names := make([]string, len(objectTypes))
		for j, t := range objectTypes {
			names[j] = t.Name
		}
		return objectType{}, newProblem(probNotFound, "No object type %q; the types are %s.", name, strings.Join(names, ", "))
	}
	return objectTypes[i], nil
}

// listObjectTypes returns every object type with its operations.
func (s *Server) listObjectTypes(c echo.Context) error {
	doc, err := metaDocument()
	if err != nil {
		return fmt.Errorf("load OpenAPI document: %w", err)
	}

	views := make([]objectTypeView, len(objectTypes))
	for i, t := range objectTypes {
		views[i] = viewObjectType(doc, t)
	}
	return c.JSON(http.StatusOK, listResponse[objectTypeView]{Data: views})
}

// getObjectType returns one object type with its operations.
func (s *Server) getObjectType(c echo.Context) error {
	t, err := findObjectType(c.Param("type"))
	if err != nil {
		return err
	}
	doc, err := metaDocument()
	if err != nil {
		return fmt.Errorf("load OpenAPI document: %w", err)
	}
	return c.JSON(http.StatusOK, viewObjectType(doc, t))
}

// listObjectTypeFields returns the fields of an object type, and for
// contacts the workspace's custom fields after the built-in ones.
func (s *Server) listObjectTypeFields(c echo.Context) error {
	p := principalOf(c)
	t, err := findObjectType(c.Param("type"))
	if err != nil {
		return err
	}
	doc, err := metaDocument()
	if err != nil {
		return fmt.Errorf("load OpenAPI document: %w", err)
	}

	fields := schemaFields(doc, t)
	if t.Name == "contacts" {
		custom, err := s.customFieldViews(c.Request().Context(), p.WorkspaceID)
		if err != nil {
			return err
		}
		fields = append(fields, custom...)
	}
	return c.JSON(http.StatusOK, listResponse[fieldView]{Data: fields})
}

func viewObjectType(doc *openapi3.T, t objectType) objectTypeView {
	view := objectTypeView{
		Name: t.Name, Description: t.Description, FieldsURL: "/v1/meta/object-types/" + t.Name + "/fields",
		Operations: []operationView{},
	}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range item.Operations() {
			if slices.Contains(op.Tags, t.Tag) {
				view.Operations = append(view.Operations, operationView{
					Name: op.OperationID, Kind: operationKind(op.OperationID), OperationID: op.OperationID,
					Method: method, Path: path, Summary: op.Summary, Scope: operationScope(op),
				})
			}
		}
	}
	sort.Slice(view.Operations, func(i, j int) bool {
		a, b := view.Operations[i], view.Operations[j]
		return a.Path < b.Path || a.Path == b.Path && a.Method < b.Method
	})
	return view
}

// operationKinds maps the verb that starts an operationId to the kind of
// the operation. Every other verb, such as test, import or signIn's sign,
// is an action.
var operationKinds = map[string]string{
	"list": "list", "get": "get", "create": "create", "update": "update", "patch": "update",
	"replace": "replace", "delete": "delete", "search": "search", "lookup": "lookup",
}

// operationKind returns the kind of an operation from the verb that starts
// its operationId: list for listContacts, update for patchContact and
// action for batchUpsertContacts.
func operationKind(operationID string) string {
	verb := operationID
	if end := strings.IndexFunc(operationID, unicode.IsUpper); end >= 0 {
		verb = operationID[:end]
	}
	if kind, ok := operationKinds[verb]; ok {
		return kind
	}
	return "action"
}

// operationScope returns the scope op documents, "" when it needs none.
func operationScope(op *openapi3.Operation) string {
	if op.Security == nil {
		return ""
	}
	for _, req := range *op.Security {
		for _, scopes := range req {
			if len(scopes) > 0 {
				return scopes[0]
			}
		}
	}
	return ""
}

// schemaFields returns the fields of t's schema in the document's order of
// names, sorted. A field is required when the create schema requires it,
// and read-only when the create schema does not have it or the schema
// marks it readOnly.
func schemaFields(doc *openapi3.T, t objectType) []fieldView {
	schemas := doc.Components.Schemas
	properties, _ := flatten(schemas[t.Schema])
	var writable map[string]*openapi3.SchemaRef
	var required []string
	if t.CreateSchema != "" {
		writable, required = flatten(schemas[t.CreateSchema])
	}

	names := make([]string, 0, len(properties))
	for name := range properties {
		names = append(names, name)
	}
	sort.Strings(names)

	fields := make([]fieldView, 0, len(names))
	for _, name := range names {
		schema := properties[name].Value
		_, isWritable := writable[name]
		f := fieldView{
			Name: name, Path: name, Description: schema.Description,
			Required: slices.Contains(required, name),
			ReadOnly: !isWritable || schema.ReadOnly,
		}
		f.Type, f.Nullable = schemaType(schema)
		f.Format = schema.Format
		if schema.Items != nil && schema.Items.Value != nil {
			f.ItemType, _ = schemaType(schema.Items.Value)
			f.ItemFormat = schema.Items.Value.Format
		}
		for _, v := range schema.Enum {
			if text, ok := v.(string); ok {
				f.AllowedValues = append(f.AllowedValues, text)
			}
		}
		fields = append(fields, f)
	}
	return fields
}

// flatten returns the properties and required names of a schema, merged
// with those of every schema in its allOf.
func flatten(ref *openapi3.SchemaRef) (map[string]*openapi3.SchemaRef, []string) {
	properties := map[string]*openapi3.SchemaRef{}
	var required []string
	if ref == nil || ref.Value == nil {
		return properties, nil
	}
	for _, part := range ref.Value.AllOf {
		partProperties, partRequired := flatten(part)
		for name, p := range partProperties {
			properties[name] = p
		}
		required = append(required, partRequired...)
	}
	for name, p := range ref.Value.Properties {
		properties[name] = p
	}
	return properties, append(required, ref.Value.Required...)
}

// schemaType returns the JSON type of schema, "object" for one built of
// allOf, anyOf or oneOf, and whether null is allowed. OpenAPI 3.1 writes a
// nullable type as a list such as ["string", "null"].
func schemaType(schema *openapi3.Schema) (string, bool) {
	nullable := false
	var types []string
	if schema.Type != nil {
		for _, t := range *schema.Type {
			if t == "null" {
				nullable = true
				continue
			}
			types = append(types, t)
		}
	}
	for _, alt := range append(schema.AnyOf, schema.OneOf...) {
		if alt.Value != nil && alt.Value.Type != nil && alt.Value.Type.Is("null") {
			nullable = true
		}
	}
	if len(types) == 0 {
		return "object", nullable
	}
	return strings.Join(types, " or "), nullable
}

// customFieldFormats maps custom field types to the JSON type and format
// metadata shows for them.
var customFieldFormats = map[string][2]string{
	directory.FieldString:   {"string", ""},
	directory.FieldNumber:   {"number", ""},
	directory.FieldInteger:  {"integer", ""},
	directory.FieldBoolean:  {"boolean", ""},
	directory.FieldDate:     {"string", "date"},
	directory.FieldDateTime: {"string", "date-time"},
	directory.FieldEnum:     {"string", ""},
	directory.FieldEmail:    {"string", "email"},
	directory.FieldPhone:    {"string", "phone"},
	directory.FieldURL:      {"string", "uri"},
}

// customFieldViews returns the workspace's custom contact fields as
// metadata fields.
func (s *Server) customFieldViews(ctx context.Context, workspaceID string) ([]fieldView, error) {
	fields, err := s.directory.ListCustomFields(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	views := make([]fieldView, len(fields))
	for i, f := range fields {
		format := customFieldFormats[f.Type]
		views[i] = fieldView{
			Name: f.Name, Type: format[0], Format: format[1], Required: f.Required,
			Description: f.Description, AllowedValues: f.AllowedValues.V, Custom: true,
			Path: "extra_data." + f.Name, CustomType: f.Type,
		}
		if f.Type != directory.FieldEnum {
			views[i].AllowedValues = nil
		}
	}
	return views, nil
}

// viewCustomField returns f as the API shows it.
func viewCustomField(f store.CustomField) customFieldView {
	values := f.AllowedValues.V
	if values == nil {
		values = []string{}
	}
	return customFieldView{
		ID: f.ID, Name: f.Name, Type: f.Type, Required: f.Required, Description: f.Description,
		AllowedValues: values, CreatedAt: formatTime(f.CreatedAt.Time), UpdatedAt: formatTime(f.UpdatedAt.Time),
	}
}
