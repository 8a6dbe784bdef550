package directory

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

// csvColumnHelp lists the accepted CSV columns, for the error about an
// unknown one.
const csvColumnHelp = "external_id, first_name, last_name, display_name, company, email, email_2, email_3 and so on, " +
	"emails (addresses separated by ;), phone (label main), phone_<label> such as phone_mobile, and extra_data.<key>"

// MainPhoneLabel is the label of the number in the CSV column phone.
const MainPhoneLabel = "main"

// columnKind is the kind of value a CSV column contains.
type columnKind int

const (
	columnExternalID columnKind = iota
	columnFirstName
	columnLastName
	columnDisplayName
	columnCompany
	columnEmail  // one address: email, email_2, ...
	columnEmails // several addresses separated by ;
	columnPhone  // one number with the label in csvColumn.label
	columnExtra  // one extra_data key in csvColumn.key, as a string
)

var namedColumns = map[string]columnKind{
	"external_id":  columnExternalID,
	"first_name":   columnFirstName,
	"last_name":    columnLastName,
	"display_name": columnDisplayName,
	"company":      columnCompany,
	"email":        columnEmail,
	"emails":       columnEmails,
	"phone":        columnPhone,
}

var (
	numberedEmail = regexp.MustCompile(`^email_([2-9]|[1-9][0-9]+)$`)
	phoneLabel    = regexp.MustCompile(`^phone_([a-z0-9][a-z0-9_-]*)$`)
)

// csvColumn is one column of the header row.
type csvColumn struct {
	name  string // as written in the header, trimmed
	kind  columnKind
	label string
	key   string
}

// parseHeader maps the header row to columns. Names are matched without
// regard to case, except the key after "extra_data.", which is kept as
// written. An unknown, empty or repeated name is an error wrapping
// ErrInvalidCSV.
func parseHeader(record []string) ([]csvColumn, error) {
	columns := make([]csvColumn, len(record))
	seen := map[string]int{}
	for i, raw := range record {
		name := strings.TrimSpace(raw)
		if i == 0 {
			name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		}
		col, err := parseColumn(name)
		if err != nil {
			return nil, fmt.Errorf("%w: header column %d: %w", ErrInvalidCSV, i+1, err)
		}

		key := strings.ToLower(name)
		if col.kind == columnExtra {
			key = "extra_data." + col.key
		}
		if first, dup := seen[key]; dup {
			return nil, fmt.Errorf("%w: header columns %d and %d are both %q; name each column once", ErrInvalidCSV, first+1, i+1, name)
		}
		seen[key] = i
		columns[i] = col
	}
	return columns, nil
}

func parseColumn(name string) (csvColumn, error) {
	lower := strings.ToLower(name)
	col := csvColumn{name: name}

	if kind, ok := namedColumns[lower]; ok {
		col.kind = kind
		if kind == columnPhone {
			col.label = MainPhoneLabel
		}
		return col, nil
	}
	if key, ok := cutPrefixFold(name, "extra_data."); ok && key != "" {
		col.kind, col.key = columnExtra, key
		return col, nil
	}
	if numberedEmail.MatchString(lower) {
		col.kind = columnEmail
		return col, nil
	}
	if m := phoneLabel.FindStringSubmatch(lower); m != nil && len(m[1]) <= MaxLabelLength {
		col.kind, col.label = columnPhone, m[1]
		return col, nil
	}

	if name == "" {
		return csvColumn{}, fmt.Errorf("the column has no name; accepted columns are %s", csvColumnHelp)
	}
	return csvColumn{}, fmt.Errorf("%q is not a known column; accepted columns are %s", name, csvColumnHelp)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// csvRow is one data row as a ContactInput, with the column each email
// and phone number came from, to name columns in errors.
type csvRow struct {
	input        ContactInput
	emailColumns []string
	phoneColumns []string
}

// rowInput builds the contact of one data row. Empty cells are left out:
// an empty extra_data cell means the key is absent.
func rowInput(columns []csvColumn, record []string) csvRow {
	var row csvRow
	extra := map[string]string{}
	for i, col := range columns {
		value := strings.TrimSpace(record[i])
		if value == "" {
			continue
		}
		row.set(col, value, extra)
	}
	if len(extra) > 0 {
		// A map of strings always encodes.
		row.input.ExtraData, _ = json.Marshal(extra)
	}
	return row
}

func (row *csvRow) set(col csvColumn, value string, extra map[string]string) {
	in := &row.input
	switch col.kind {
	case columnExternalID:
		in.ExternalID = value
	case columnFirstName:
		in.FirstName = value
	case columnLastName:
		in.LastName = value
	case columnDisplayName:
		in.DisplayName = value
	case columnCompany:
		in.Company = value
	case columnEmail:
		in.Emails = append(in.Emails, value)
		row.emailColumns = append(row.emailColumns, col.name)
	case columnEmails:
		for _, part := range strings.Split(value, ";") {
			if part = strings.TrimSpace(part); part != "" {
				in.Emails = append(in.Emails, part)
				row.emailColumns = append(row.emailColumns, col.name)
			}
		}
	case columnPhone:
		in.PhoneNumbers = append(in.PhoneNumbers, PhoneNumberInput{Label: col.label, Number: value})
		row.phoneColumns = append(row.phoneColumns, col.name)
	case columnExtra:
		extra[col.key] = value
	}
}

var indexedField = regexp.MustCompile(`^(emails|phone_numbers)\[(\d+)\]`)

// columnErrors renames the fields of err, named as in the JSON API, after
// the CSV columns they came from: emails[1] becomes email_2 and
// phone_numbers[0].number becomes phone_mobile.
func (row csvRow) columnErrors(err *validation.Error) []validation.FieldError {
	out := make([]validation.FieldError, len(err.Fields))
	for i, f := range err.Fields {
		out[i] = validation.FieldError{Field: row.columnOf(f.Field), Reason: f.Reason}
	}
	return out
}

func (row csvRow) columnOf(field string) string {
	m := indexedField.FindStringSubmatch(field)
	if m == nil {
		return field
	}
	index, _ := strconv.Atoi(m[2])
	columns := row.emailColumns
	if m[1] == "phone_numbers" {
		columns = row.phoneColumns
	}
	if index < len(columns) {
		return columns[index]
	}
	return field
}
