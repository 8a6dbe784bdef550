package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// PhoneNumber is one number of a contact: its label, the text as given and
// its E.164 form, the match key for lookups.
type PhoneNumber struct {
	Label  string `json:"label"`
	Number string `json:"number"`
	E164   string `json:"e164"`
}

// Contact is one entry of a phonebook. Emails, PhoneNumbers and ExtraData
// are stored as JSON text; the phone and email lookup tables are kept in
// step on every write.
type Contact struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	PhonebookID string `db:"phonebook_id"`
	// ExternalID is the source system's id, unique within the phonebook;
	// nil when the contact has none. Writes store an empty string as nil.
	ExternalID   *string                   `db:"external_id"`
	FirstName    string                    `db:"first_name"`
	LastName     string                    `db:"last_name"`
	DisplayName  string                    `db:"display_name"`
	Company      string                    `db:"company"`
	Emails       JSONColumn[[]string]      `db:"emails"`
	PhoneNumbers JSONColumn[[]PhoneNumber] `db:"phone_numbers"`
	// ExtraData is a JSON object in canonical form (keys sorted, as
	// encoding/json writes maps), so equal documents compare equal as text.
	// Writes canonicalise it and store nil as {}.
	ExtraData json.RawMessage `db:"extra_data"`
	CreatedAt UnixMilli       `db:"created_at"`
	UpdatedAt UnixMilli       `db:"updated_at"`
}

// CreateContact inserts c in one transaction. See Queries.CreateContact.
func (s *Store) CreateContact(ctx context.Context, c *Contact) error {
	return s.InTx(ctx, func(q *Queries) error { return q.CreateContact(ctx, c) })
}

// CreateContact inserts c with its phone and email lookup rows and fills
// its id and timestamps. It normalises c as stored: nil slices become
// empty, ExtraData canonical ({} when nil), an empty ExternalID nil. A
// phonebook outside c.WorkspaceID gives ErrNotFound, and an external_id
// already used in the phonebook an error wrapping ErrConflict. Call it
// inside InTx, or use Store.CreateContact.
func (q *Queries) CreateContact(ctx context.Context, c *Contact) error {
	if err := q.checkPhonebook(ctx, c.WorkspaceID, c.PhonebookID); err != nil {
		return err
	}

	c.ID = NewID(PrefixContact)
	c.CreatedAt = now()
	c.UpdatedAt = c.CreatedAt
	row, err := encodeContact(c)
	if err != nil {
		return err
	}

	if _, err := q.exec(ctx, `INSERT INTO contacts (`+contactWriteColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.writeArgs(row.ID)...); err != nil {
		return q.duplicateExternalID(err, "insert contact", row)
	}
	return q.writeLookups(ctx, c.WorkspaceID, []contactRow{row}, nil)
}

// GetContact returns the contact id of workspaceID.
func (q *Queries) GetContact(ctx context.Context, workspaceID, id string) (Contact, error) {
	return q.getContact(ctx, "contact "+id,
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetContactByExternalID returns the contact of the phonebook whose
// external_id is externalID.
func (q *Queries) GetContactByExternalID(ctx context.Context, workspaceID, phonebookID, externalID string) (Contact, error) {
	return q.getContact(ctx, fmt.Sprintf("contact with external_id %q in phonebook %s", externalID, phonebookID),
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND phonebook_id = ? AND external_id = ?`,
		workspaceID, phonebookID, externalID)
}

func (q *Queries) getContact(ctx context.Context, what, query string, args ...any) (Contact, error) {
	var row contactRow
	if err := q.get(ctx, &row, query, args...); err != nil {
		return Contact{}, notFound(err, what)
	}
	return row.contact()
}

// FindContactsByPhone returns the contacts of workspaceID with the number
// e164, oldest first: ordered by (created_at, id). When several contacts
// share a number, call routing picks the first, so this order is the
// routing choice. phonebookIDs limits the search to those phonebooks; nil
// searches all, an empty non-nil slice finds nothing.
func (q *Queries) FindContactsByPhone(ctx context.Context, workspaceID, e164 string, phonebookIDs []string) ([]Contact, error) {
	return q.findContacts(ctx, "contact_phones", "e164", workspaceID, e164, phonebookIDs)
}

// FindContactsByEmail returns the contacts of workspaceID with the email
// address emailLower (compared case-insensitively), in the order and with
// the phonebook filter of FindContactsByPhone.
func (q *Queries) FindContactsByEmail(ctx context.Context, workspaceID, emailLower string, phonebookIDs []string) ([]Contact, error) {
	return q.findContacts(ctx, "contact_emails", "email", workspaceID, strings.ToLower(strings.TrimSpace(emailLower)), phonebookIDs)
}

// findContacts joins the lookup table to contacts on key = value. table and
// column are constants of the callers above.
func (q *Queries) findContacts(ctx context.Context, table, column, workspaceID, value string, phonebookIDs []string) ([]Contact, error) {
	if phonebookIDs != nil && len(phonebookIDs) == 0 {
		return []Contact{}, nil
	}

	query := `SELECT ` + contactColumnsOfC + ` FROM ` + table + ` l
		JOIN contacts c ON c.id = l.contact_id
		WHERE l.workspace_id = ? AND l.` + column + ` = ?`
	args := []any{workspaceID, value}
	if phonebookIDs != nil {
		query += ` AND l.phonebook_id IN (` + placeholders(len(phonebookIDs)) + `)`
		for _, id := range phonebookIDs {
			args = append(args, id)
		}
	}
	query += ` ORDER BY c.created_at, c.id`

	return q.selectContacts(ctx, "find contacts by "+column, query, args...)
}

func (q *Queries) selectContacts(ctx context.Context, what, query string, args ...any) ([]Contact, error) {
	var rows []contactRow
	if err := q.selectAll(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]Contact, 0, len(rows))
	for _, r := range rows {
		c, err := r.contact()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// UpdateContact replaces the contact in one transaction. See
// Queries.UpdateContact.
func (s *Store) UpdateContact(ctx context.Context, c *Contact) (changed bool, err error) {
	err = s.InTx(ctx, func(q *Queries) error {
		changed, err = q.UpdateContact(ctx, c)
		return err
	})
	return changed, err
}

// UpdateContact replaces every writable field of the contact c.ID of
// c.WorkspaceID with c's: phonebook (another phonebook of the same
// workspace moves it), external_id, names, company, emails, numbers and
// extra data. It rewrites the lookup rows, normalises c like CreateContact
// and fills its timestamps. A changed contact's updated_at moves forward by
// at least 1 ms. When nothing differs it writes nothing, keeps updated_at
// and returns false. Call it inside InTx, or use Store.UpdateContact.
func (q *Queries) UpdateContact(ctx context.Context, c *Contact) (changed bool, err error) {
	current, err := q.lockContact(ctx, c.WorkspaceID, c.ID)
	if err != nil {
		return false, err
	}
	if c.PhonebookID != current.PhonebookID {
		if err := q.checkPhonebook(ctx, c.WorkspaceID, c.PhonebookID); err != nil {
			return false, err
		}
	}

	row, err := encodeContact(c)
	if err != nil {
		return false, err
	}
	row.CreatedAt = current.CreatedAt
	c.CreatedAt = current.CreatedAt
	if row.PhonebookID == current.PhonebookID && sameExternalID(row.ExternalID, current.ExternalID) && row.sameContent(current) {
		c.UpdatedAt = current.UpdatedAt
		return false, nil
	}

	row.UpdatedAt = nextUpdatedAt(current.UpdatedAt, now())
	if _, err := q.exec(ctx, `UPDATE contacts SET phonebook_id = ?, external_id = ?, first_name = ?, last_name = ?,
		display_name = ?, company = ?, emails = ?, phone_numbers = ?, extra_data = ?, search_text = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		row.PhonebookID, row.ExternalID, row.FirstName, row.LastName, row.DisplayName, row.Company,
		row.Emails, row.PhoneNumbers, row.ExtraData, row.SearchText, row.UpdatedAt, row.WorkspaceID, row.ID); err != nil {
		return false, q.duplicateExternalID(err, "update contact "+row.ID, row)
	}
	if err := q.writeLookups(ctx, row.WorkspaceID, []contactRow{row}, []string{row.ID}); err != nil {
		return false, err
	}
	c.UpdatedAt = row.UpdatedAt
	return true, nil
}

// lockContact returns the stored row of the contact and, on PostgreSQL,
// locks it until the transaction ends.
func (q *Queries) lockContact(ctx context.Context, workspaceID, id string) (contactRow, error) {
	var row contactRow
	err := q.get(ctx, &row, `SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`+q.dialect.lockForUpdate(),
		workspaceID, id)
	if err != nil {
		return contactRow{}, notFound(err, "contact "+id)
	}
	return row, nil
}

// DeleteContact deletes the contact in one transaction. See
// Queries.DeleteContact.
func (s *Store) DeleteContact(ctx context.Context, workspaceID, id string) error {
	return s.InTx(ctx, func(q *Queries) error { return q.DeleteContact(ctx, workspaceID, id) })
}

// DeleteContact writes a tombstone for the contact and deletes it with its
// lookup rows. Call it inside InTx, or use Store.DeleteContact.
func (q *Queries) DeleteContact(ctx context.Context, workspaceID, id string) error {
	res, err := q.exec(ctx, `INSERT INTO contact_tombstones (contact_id, workspace_id, phonebook_id, external_id, deleted_at)
		SELECT id, workspace_id, phonebook_id, external_id, ? FROM contacts WHERE workspace_id = ? AND id = ?`,
		now(), workspaceID, id)
	if err != nil {
		return fmt.Errorf("write tombstone of contact %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFoundOr(err, "contact "+id)
	}
	if _, err := q.exec(ctx, `DELETE FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, id); err != nil {
		return fmt.Errorf("delete contact %s: %w", id, err)
	}
	return nil
}

// contactColumnsOfC is contactColumns qualified with the alias c.
var contactColumnsOfC = prefixColumns("c.", contactColumns)

// prefixColumns returns the comma-separated columns each qualified with
// prefix, such as "c.".
func prefixColumns(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// notFoundOr returns err wrapped with what when it is not nil, and an error
// wrapping ErrNotFound naming what otherwise.
func notFoundOr(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, ErrNotFound)
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
