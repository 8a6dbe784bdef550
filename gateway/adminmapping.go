package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

// maxAdminMappingRows bounds the rows the mapping form reads.
const maxAdminMappingRows = mapping.MaxFieldMappings + 20

// mappingTargets are the phonebook fields the editor always offers a row
// for, in order, with their labels.
var mappingTargets = []struct{ target, label string }{
	{mapping.TargetFirstName, "First name"},
	{mapping.TargetLastName, "Last name"},
	{mapping.TargetDisplayName, "Display name"},
	{mapping.TargetCompany, "Company"},
	{mapping.TargetEmails, "Email addresses"},
	{mapping.TargetPhoneNumbers, "Phone numbers"},
	{mapping.TargetExternalID, "External ID (the CRM record's id)"},
}

var mappingTransforms = []choice{
	{Value: mapping.TransformNone, Label: "as is"},
	{Value: mapping.TransformNormalizePhone, Label: "phone number in E.164"},
	{Value: mapping.TransformLowercase, Label: "lower case"},
	{Value: mapping.TransformConstant, Label: "fixed text (value)"},
	{Value: mapping.TransformTemplate, Label: "template (value with {{field}})"},
}

// mappingPage is the data of the field mapping editor.
type mappingPage struct {
	ID, Name, Kind string
	IsDefault      bool
	Rows           []mappingRow
	Fields         []crm.Field
	// FieldsError is the reason the CRM's fields could not be listed.
	FieldsError string
	Preview     *crmconn.Preview
	// Warnings are mistakes the preview found that do not stop a save,
	// such as a template with a stray {{ or }}.
	Warnings []string
}

// mappingRow is one field mapping of the editor. Extra rows write one
// extra_data key and show the key alone.
type mappingRow struct {
	Index       int
	Target      string
	TargetLabel string
	Extra       bool
	Key         string
	Sources     string
	Transform   string
	Transforms  []choice
	Label       string
	Value       string
	IsPhone     bool
}

func (s *Server) showAdminMapping(c echo.Context) error {
	svc, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}
	page := s.mappingPageOf(c, svc, conn, conn.EffectiveMapping().Fields)
	page.IsDefault = conn.Mapping == nil
	return s.renderAdmin(c, http.StatusOK, "mapping.html", &adminPage{Title: "Field mapping: " + conn.Name, Section: "crm", Data: page})
}

// saveAdminMapping checks the submitted mapping against the CRM's fields
// and stores it.
func (s *Server) saveAdminMapping(c echo.Context) error {
	p := principalOf(c)
	svc, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}

	m, rowOf := formMapping(c)
	_, err = svc.SetMapping(c.Request().Context(), p.WorkspaceID, conn.ID, m)
	if err == nil {
		return adminRedirect(c, "/admin/crm/"+conn.ID+"/mapping?notice=saved")
	}

	// NOTE: the rows are laid out again from m, which leaves out empty
	// rows, so an error shown beside an input can land on a neighbouring
	// row. The error summary names the row as posted.
	page := s.mappingPageOf(c, svc, conn, m.Fields)
	adminPg := &adminPage{Title: "Field mapping: " + conn.Name, Section: "crm", Data: page, Labels: formRowLabels(c)}
	return s.renderAdminForm(c, "mapping.html", adminPg, mappingErrors(c, err, rowOf))
}

// previewAdminMapping maps a sample record from the CRM with the
// submitted mapping, without storing anything.
func (s *Server) previewAdminMapping(c echo.Context) error {
	p := principalOf(c)
	svc, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}

	m, rowOf := formMapping(c)
	page := s.mappingPageOf(c, svc, conn, m.Fields)
	adminPg := &adminPage{Title: "Field mapping: " + conn.Name, Section: "crm", Data: page, Labels: formRowLabels(c)}
	preview, err := svc.Preview(c.Request().Context(), p.WorkspaceID, conn.ID, crmconn.PreviewInput{Mapping: &m})
	if err != nil {
		return s.renderAdminForm(c, "mapping.html", adminPg, mappingErrors(c, err, rowOf))
	}
	page.Preview = &preview
	page.Warnings = templateWarnings(m, rowOf)
	adminPg.Notice = "Preview below; the mapping is not saved yet."
	return s.renderAdmin(c, http.StatusOK, "mapping.html", adminPg)
}

// mappingPageOf lays fields out as editor rows and lists the CRM's
// fields, live.
func (s *Server) mappingPageOf(c echo.Context, svc *crmconn.Service, conn crmconn.Connection, fields []mapping.FieldMapping) *mappingPage {
	page := &mappingPage{ID: conn.ID, Name: conn.Name, Kind: string(conn.Kind), Rows: mappingRows(fields)}
	crmFields, err := svc.Fields(c.Request().Context(), conn.WorkspaceID, conn.ID)
	if err != nil {
		page.FieldsError = s.toProblem(crmProblem(c, err)).Detail
	}
	page.Fields = crmFields
	return page
}

// formRowLabels names each row of the submitted editor by its number and
// phonebook field, such as "Row 4 (Company)", for the error summary. It
// reads the form, because mappingErrors names rows by their index there.
func formRowLabels(c echo.Context) map[string]string {
	form, _ := c.FormParams()
	labels := map[string]string{}
	for i := 0; i < maxAdminMappingRows; i++ {
		prefix := fmt.Sprintf("fields[%d].", i)
		if _, ok := form[prefix+"target"]; !ok {
			break
		}
		field := strings.TrimSpace(form.Get(prefix + "target"))
		if form.Get(prefix+"extra") == "1" {
			field = strings.TrimSpace("extra_data " + field)
		}
		for _, t := range mappingTargets {
			if t.target == field {
				field = t.label
			}
		}
		labels[fmt.Sprintf("fields[%d]", i)] = fmt.Sprintf("Row %d (%s)", i+1, field)
	}
	return labels
}

// mappingRows returns one row per field mapping, grouped by phonebook
// field in the order of mappingTargets, an empty row for each field not
// mapped, one more row for another email or phone source, and two empty
// extra_data rows.
func mappingRows(fields []mapping.FieldMapping) []mappingRow {
	var rows []mappingRow
	add := func(r mappingRow) {
		r.Index = len(rows)
		r.Transforms = make([]choice, len(mappingTransforms))
		for i, t := range mappingTransforms {
			r.Transforms[i] = t
			r.Transforms[i].Selected = t.Value == r.Transform || (r.Transform == "" && t.Value == mapping.TransformNone)
		}
		r.IsPhone = r.Target == mapping.TargetPhoneNumbers
		rows = append(rows, r)
	}
	rowOf := func(f mapping.FieldMapping, label string) mappingRow {
		sources := f.Sources
		if f.Source != "" {
			sources = append([]string{f.Source}, sources...)
		}
		value := f.Value
		if f.Template != "" {
			value = f.Template
		}
		return mappingRow{Target: f.Target, TargetLabel: label, Sources: strings.Join(sources, ", "), Transform: f.Transform, Label: f.Label, Value: value}
	}

	for _, t := range mappingTargets {
		n := 0
		for _, f := range fields {
			if f.Target == t.target {
				add(rowOf(f, t.label))
				n++
			}
		}
		if n == 0 || t.target == mapping.TargetEmails || t.target == mapping.TargetPhoneNumbers {
			add(mappingRow{Target: t.target, TargetLabel: t.label})
		}
	}
	for _, f := range fields {
		if key, ok := strings.CutPrefix(f.Target, mapping.TargetExtraDataPrefix); ok {
			r := rowOf(f, "extra_data")
			r.Extra, r.Key = true, key
			add(r)
		}
	}
	for range 2 {
		add(mappingRow{Extra: true, TargetLabel: "extra_data"})
	}
	return rows
}

// formMapping reads the editor's rows into a mapping, leaving out rows
// with neither sources nor a value. rowOf maps each field mapping's index
// to its row, so errors land beside the row they concern.
func formMapping(c echo.Context) (mapping.Mapping, []int) {
	form, _ := c.FormParams()
	m := mapping.Mapping{Fields: []mapping.FieldMapping{}}
	var rowOf []int
	for i := 0; i < maxAdminMappingRows; i++ {
		prefix := fmt.Sprintf("fields[%d].", i)
		if _, ok := form[prefix+"target"]; !ok {
			break
		}
		target := strings.TrimSpace(form.Get(prefix + "target"))
		if form.Get(prefix+"extra") == "1" && target != "" {
			target = mapping.TargetExtraDataPrefix + target
		}
		var sources []string
		for _, source := range strings.Split(form.Get(prefix+"sources"), ",") {
			if source = strings.TrimSpace(source); source != "" {
				sources = append(sources, source)
			}
		}
		value := form.Get(prefix + "value")
		if len(sources) == 0 && strings.TrimSpace(value) == "" {
			continue
		}

		f := mapping.FieldMapping{Target: target, Label: strings.TrimSpace(form.Get(prefix + "label"))}
		if t := form.Get(prefix + "transform"); t != mapping.TransformNone {
			f.Transform = t
		}
		if len(sources) == 1 {
			f.Source = sources[0]
		} else {
			f.Sources = sources
		}
		if f.Transform == mapping.TransformTemplate {
			f.Template = value
		} else {
			f.Value = value
		}
		m.Fields = append(m.Fields, f)
		rowOf = append(rowOf, i)
	}
	return m, rowOf
}

// templateWarnings returns a warning for each template of m with a {{ or
// }} outside a placeholder, naming its row of the editor.
func templateWarnings(m mapping.Mapping, rowOf []int) []string {
	var warnings []string
	for i, f := range m.Fields {
		if f.Template != "" && mapping.HasStrayBraces(f.Template) {
			warnings = append(warnings, fmt.Sprintf("Row %d: the template %q has a {{ or }} outside a {{field}} placeholder, so the preview shows it as text. Write each placeholder as {{field}}.", rowOf[i]+1, f.Template))
		}
	}
	return warnings
}

// mappingFieldName matches a mapping error's field: fields[N] and the
// rest of the name.
var mappingFieldName = regexp.MustCompile(`^fields\[(\d+)\](.*)$`)

// mappingErrors renames the field errors of a mapping to the inputs of
// the editor: fields[i] becomes the row's index, source and sources
// become sources, template becomes value and the bare entry its target.
// CRM errors become problems.
func mappingErrors(c echo.Context, err error, rowOf []int) error {
	var verr *validation.Error
	if !errors.As(err, &verr) {
		return crmProblem(c, err)
	}
	renamed := validation.Error{}
	for _, f := range verr.Fields {
		name := strings.TrimPrefix(f.Field, "mapping.")
		if m := mappingFieldName.FindStringSubmatch(name); m != nil {
			index, _ := strconv.Atoi(m[1])
			if index < len(rowOf) {
				index = rowOf[index]
			}
			suffix := m[2]
			switch {
			case suffix == "":
				suffix = ".target"
			case suffix == ".source" || strings.HasPrefix(suffix, ".sources"):
				suffix = ".sources"
			case suffix == ".template":
				suffix = ".value"
			}
			name = fmt.Sprintf("fields[%d]%s", index, suffix)
		}
		// The editor lists the CRM's fields itself, so the API's advice to
		// list them is left out.
		reason, _, _ := strings.Cut(f.Reason, "; list the fields with GET")
		renamed.Add(name, "%s", reason)
	}
	return &renamed
}
