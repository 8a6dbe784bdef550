package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

const contactColumns = `id, workspace_id, phonebook_id, external_id, first_name, last_name, display_name, company,
	emails, phone_numbers, extra_data, created_at, updated_at`

// contactWriteColumns are the columns every contact write sets, in the
// order of contactRow.writeArgs.
const contactWriteColumns = `id, workspace_id, phonebook_id, external_id, first_name, last_name, display_name, company,
	emails, phone_numbers, extra_data, search_text, created_at, updated_at`

// contactRow is a contact as its columns store it, with the JSON documents
// as text. Writes are built from it, and upserts compare it as text to find
// unchanged contacts.
type contactRow struct {
	ID           string    `db:"id"`
	WorkspaceID  string    `db:"workspace_id"`
	PhonebookID  string    `db:"phonebook_id"`
	ExternalID   *string   `db:"external_id"`
	FirstName    string    `db:"first_name"`
	LastName     string    `db:"last_name"`
	DisplayName  string    `db:"display_name"`
	Company      string    `db:"company"`
	Emails       string    `db:"emails"`
	PhoneNumbers string    `db:"phone_numbers"`
	ExtraData    string    `db:"extra_data"`
	SearchText   string    `db:"search_text"`
	CreatedAt    UnixMilli `db:"created_at"`
	UpdatedAt    UnixMilli `db:"updated_at"`

	// e164s and emailKeys are the lookup rows to write: distinct E.164
	// numbers and distinct lowercased emails. Only encodeContact sets them.
	e164s     []string
	emailKeys []string
}

// encodeContact normalises c in place and returns its stored form. Nil
// slices become empty ones, ExtraData becomes a canonical JSON object ({}
// when nil) and an empty ExternalID becomes nil.
func encodeContact(c *Contact) (contactRow, error) {
	if c.Emails.V == nil {
		c.Emails.V = []string{}
	}
	if c.PhoneNumbers.V == nil {
		c.PhoneNumbers.V = []PhoneNumber{}
	}
	if c.ExternalID != nil && *c.ExternalID == "" {
		c.ExternalID = nil
	}
	extra, err := canonicalObject(c.ExtraData)
	if err != nil {
		return contactRow{}, err
	}
	c.ExtraData = json.RawMessage(extra)

	emails, err := marshalJSON(c.Emails.V)
	if err != nil {
		return contactRow{}, fmt.Errorf("encode emails: %w", err)
	}
	phones, err := marshalJSON(c.PhoneNumbers.V)
	if err != nil {
		return contactRow{}, fmt.Errorf("encode phone numbers: %w", err)
	}

	return contactRow{
		ID:           c.ID,
		WorkspaceID:  c.WorkspaceID,
		PhonebookID:  c.PhonebookID,
		ExternalID:   c.ExternalID,
		FirstName:    c.FirstName,
		LastName:     c.LastName,
		DisplayName:  c.DisplayName,
		Company:      c.Company,
		Emails:       emails,
		PhoneNumbers: phones,
		ExtraData:    extra,
		SearchText:   searchText(c),
		CreatedAt:    c.CreatedAt,
		UpdatedAt:    c.UpdatedAt,
		e164s:        distinctE164s(c.PhoneNumbers.V),
		emailKeys:    distinctLower(c.Emails.V),
	}, nil
}

// contact decodes r into the model type.
func (r contactRow) contact() (Contact, error) {
	c := Contact{
		ID:          r.ID,
		WorkspaceID: r.WorkspaceID,
		PhonebookID: r.PhonebookID,
		ExternalID:  r.ExternalID,
		FirstName:   r.FirstName,
		LastName:    r.LastName,
		DisplayName: r.DisplayName,
		Company:     r.Company,
		ExtraData:   json.RawMessage(r.ExtraData),
		CreatedAt:   r.CreatedAt,
		UpdatedAt:   r.UpdatedAt,
	}
	if err := c.Emails.Scan(r.Emails); err != nil {
		return Contact{}, fmt.Errorf("decode emails of contact %s: %w", r.ID, err)
	}
	if err := c.PhoneNumbers.Scan(r.PhoneNumbers); err != nil {
		return Contact{}, fmt.Errorf("decode phone numbers of contact %s: %w", r.ID, err)
	}
	return c, nil
}

// sameContent reports whether r and o hold the same names, company, emails,
// numbers and extra data. It ignores ids, phonebook and timestamps.
func (r contactRow) sameContent(o contactRow) bool {
	return r.FirstName == o.FirstName &&
		r.LastName == o.LastName &&
		r.DisplayName == o.DisplayName &&
		r.Company == o.Company &&
		r.Emails == o.Emails &&
		r.PhoneNumbers == o.PhoneNumbers &&
		r.ExtraData == o.ExtraData
}

// writeArgs returns the values of contactWriteColumns, with id in place of
// r.ID.
func (r contactRow) writeArgs(id string) []any {
	return []any{id, r.WorkspaceID, r.PhonebookID, r.ExternalID, r.FirstName, r.LastName, r.DisplayName, r.Company,
		r.Emails, r.PhoneNumbers, r.ExtraData, r.SearchText, r.CreatedAt, r.UpdatedAt}
}

// searchText returns the lowercased names, company, emails and numbers
// (as given and in E.164) of c, one per line, for the q search.
func searchText(c *Contact) string {
	parts := []string{c.FirstName, c.LastName, c.DisplayName, c.Company}
	parts = append(parts, c.Emails.V...)
	for _, p := range c.PhoneNumbers.V {
		parts = append(parts, p.Number, p.E164)
	}

	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.ToLower(p))
	}
	return b.String()
}

func distinctE164s(numbers []PhoneNumber) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range numbers {
		if n.E164 == "" || seen[n.E164] {
			continue
		}
		seen[n.E164] = true
		out = append(out, n.E164)
	}
	return out
}

func distinctLower(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func sameExternalID(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// nextUpdatedAt returns the updated_at of a contact changed now: the
// current time, but always at least 1 ms after prev, so every change moves
// updated_at forward even within one millisecond.
func nextUpdatedAt(prev, at UnixMilli) UnixMilli {
	if at.After(prev.Time) {
		return at
	}
	return Millis(prev.Add(1e6))
}

// duplicateExternalID returns an error wrapping ErrConflict when err is a
// unique violation of (phonebook_id, external_id), and err wrapped with
// what otherwise.
func (q *Queries) duplicateExternalID(err error, what string, r contactRow) error {
	if q.dialect.isUniqueViolation(err) && r.ExternalID != nil {
		return fmt.Errorf("external_id %q already exists in phonebook %s: %w", *r.ExternalID, r.PhonebookID, ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// maxStatementParams bounds the arguments of one multi-row statement,
// well below the limits of both databases (65,535 on PostgreSQL, 32,766 on
// SQLite since 3.32).
const maxStatementParams = 8000

// valuesStatements splits rows into statements of the form head VALUES
// (...), (...) tail, each with at most maxStatementParams arguments. Every
// row must have the same number of values.
func valuesStatements(head, tail string, rows [][]any) []statement {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	group := "(" + placeholders(width) + ")"
	perStatement := max(1, maxStatementParams/width)

	var out []statement
	for start := 0; start < len(rows); start += perStatement {
		end := min(start+perStatement, len(rows))
		groups := make([]string, 0, end-start)
		args := make([]any, 0, (end-start)*width)
		for _, r := range rows[start:end] {
			groups = append(groups, group)
			args = append(args, r...)
		}
		out = append(out, statement{query: head + " VALUES " + strings.Join(groups, ", ") + tail, args: args})
	}
	return out
}

// inStatements splits ids into statements query with its one %s replaced
// by a list of ? placeholders, each list at most maxStatementParams long.
// leading arguments come before the ids in every statement.
func inStatements(query string, leading []any, ids []string) []statement {
	var out []statement
	for start := 0; start < len(ids); start += maxStatementParams {
		end := min(start+maxStatementParams, len(ids))
		args := append([]any{}, leading...)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		list := placeholders(end - start)
		out = append(out, statement{query: fmt.Sprintf(query, list), args: args})
	}
	return out
}

// statement is one SQL statement with its arguments.
type statement struct {
	query string
	args  []any
}

// writeLookups writes the phone and email lookup rows of rows, all of
// workspaceID, with multi-row INSERT statements. replaced lists the contact
// ids whose old lookup rows must go first; new contacts have none.
func (q *Queries) writeLookups(ctx context.Context, workspaceID string, rows []contactRow, replaced []string) error {
	for _, table := range []string{"contact_phones", "contact_emails"} {
		for _, st := range inStatements(`DELETE FROM `+table+` WHERE workspace_id = ? AND contact_id IN (%s)`, []any{workspaceID}, replaced) {
			if _, err := q.exec(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("delete old %s rows: %w", table, err)
			}
		}
	}

	phones, emails := lookupValues(rows)
	for _, st := range valuesStatements(`INSERT INTO contact_phones (contact_id, workspace_id, phonebook_id, e164)`, "", phones) {
		if _, err := q.exec(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("insert contact_phones rows: %w", err)
		}
	}
	for _, st := range valuesStatements(`INSERT INTO contact_emails (contact_id, workspace_id, phonebook_id, email)`, "", emails) {
		if _, err := q.exec(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("insert contact_emails rows: %w", err)
		}
	}
	return nil
}

// lookupValues returns the contact_phones and contact_emails rows of rows,
// as argument lists (contact_id, workspace_id, phonebook_id, key).
func lookupValues(rows []contactRow) (phones, emails [][]any) {
	for _, r := range rows {
		for _, e := range r.e164s {
			phones = append(phones, []any{r.ID, r.WorkspaceID, r.PhonebookID, e})
		}
		for _, e := range r.emailKeys {
			emails = append(emails, []any{r.ID, r.WorkspaceID, r.PhonebookID, e})
		}
	}
	return phones, emails
}
