package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/store"
)

// mimeMergePatch is the media type of JSON Merge Patch documents (RFC 7396).
const mimeMergePatch = "application/merge-patch+json"

// contactView is a contact as the API shows it.
type contactView struct {
	ID           string            `json:"id"`
	PhonebookID  string            `json:"phonebook_id"`
	ExternalID   *string           `json:"external_id"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	DisplayName  string            `json:"display_name"`
	Company      string            `json:"company"`
	Emails       []string          `json:"emails"`
	PhoneNumbers []phoneNumberView `json:"phone_numbers"`
	ExtraData    json.RawMessage   `json:"extra_data"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
}

type phoneNumberView struct {
	Label  string `json:"label"`
	Number string `json:"number"`
	E164   string `json:"e164"`
}

func viewContact(c store.Contact) contactView {
	v := contactView{
		ID:           c.ID,
		PhonebookID:  c.PhonebookID,
		ExternalID:   c.ExternalID,
		FirstName:    c.FirstName,
		LastName:     c.LastName,
		DisplayName:  c.DisplayName,
		Company:      c.Company,
		Emails:       c.Emails.V,
		PhoneNumbers: make([]phoneNumberView, len(c.PhoneNumbers.V)),
		ExtraData:    c.ExtraData,
		CreatedAt:    formatTime(c.CreatedAt.Time),
		UpdatedAt:    formatTime(c.UpdatedAt.Time),
	}
	if v.Emails == nil {
		v.Emails = []string{}
	}
	for i, n := range c.PhoneNumbers.V {
		v.PhoneNumbers[i] = phoneNumberView(n)
	}
	if len(v.ExtraData) == 0 {
		v.ExtraData = json.RawMessage(`{}`)
	}
	return v
}

func viewContacts(contacts []store.Contact) []contactView {
	views := make([]contactView, len(contacts))
	for i, c := range contacts {
		views[i] = viewContact(c)
	}
	return views
}

// batchRequest is the body of a batch upsert. Items are decoded one by one
// by the directory, so a bad item fails alone.
type batchRequest struct {
	Contacts []json.RawMessage `json:"contacts"`
}

func (s *Server) createContact(c echo.Context) error {
	p := principalOf(c)

	var in directory.ContactInput
	if _, err := s.decodeObject(c, &in); err != nil {
		return err
	}

	contact, err := s.directory.CreateContact(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}

	c.Response().Header().Set(echo.HeaderLocation, "/v1/contacts/"+contact.ID)
	return c.JSON(http.StatusCreated, viewContact(contact))
}

// getContact returns one contact, with its phonebook and recent calls when
// include names them.
func (s *Server) getContact(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	includes, err := parseInclude(c, includePhonebook, includeCalls)
	if err != nil {
		return err
	}

	contact, err := s.directory.GetContact(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}

	view, err := s.viewContactDetail(ctx, p.WorkspaceID, contact, includes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view)
}

// patchContact applies a JSON Merge Patch (RFC 7396). The body must be a
// JSON object, sent as application/merge-patch+json or application/json.
func (s *Server) patchContact(c echo.Context) error {
	p := principalOf(c)

	var members map[string]json.RawMessage
	patch, err := s.decodeObject(c, &members, mimeMergePatch, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}

	contact, err := s.directory.PatchContact(c.Request().Context(), p.WorkspaceID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewContact(contact))
}

// replaceContact sets every writable field. Absent fields are cleared.
func (s *Server) replaceContact(c echo.Context) error {
	p := principalOf(c)

	var in directory.ContactInput
	if _, err := s.decodeObject(c, &in); err != nil {
		return err
	}

	contact, err := s.directory.ReplaceContact(c.Request().Context(), p.WorkspaceID, c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewContact(contact))
}

func (s *Server) deleteContact(c echo.Context) error {
	p := principalOf(c)

	if err := s.directory.DeleteContact(c.Request().Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// getContactByExternalID returns the contact of a phonebook with the
// external id, with its phonebook and recent calls when include names
// them, as getContact does.
func (s *Server) getContactByExternalID(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	externalID := pathParam(c, "external_id")
	includes, err := parseInclude(c, includePhonebook, includeCalls)
	if err != nil {
		return err
	}

	contact, err := s.directory.GetContactByExternalID(ctx, p.WorkspaceID, c.Param("id"), externalID)
	if err != nil {
		return err
	}

	view, err := s.viewContactDetail(ctx, p.WorkspaceID, contact, includes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view)
}

// lookupContacts finds contacts by phone, email or external_id, oldest
// first, with their phonebooks when include names them. Routing picks
// the first of several contacts sharing a number.
func (s *Server) lookupContacts(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	query := directory.LookupQuery{
		Phone:       phoneParam(c.QueryParam("phone")),
		Email:       c.QueryParam("email"),
		ExternalID:  c.QueryParam("external_id"),
		PhonebookID: c.QueryParam("phonebook_id"),
	}
	includes, err := parseInclude(c, includePhonebook)
	if err != nil {
		return err
	}

	contacts, err := s.directory.LookupContacts(ctx, p.WorkspaceID, query)
	if err != nil {
		return asQueryProblem(err)
	}

	views, err := s.viewContactsWith(ctx, p.WorkspaceID, contacts, includes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[contactDetailView]{Data: views})
}

func (s *Server) batchUpsertContacts(c echo.Context) error {
	p := principalOf(c)

	var req batchRequest
	if _, err := s.decodeObject(c, &req); err != nil {
		return err
	}

	report, err := s.directory.UpsertBatch(c.Request().Context(), p.WorkspaceID, c.Param("id"), req.Contacts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

// importContacts streams a CSV body into the directory, so a large file is
// never held in memory whole.
func (s *Server) importContacts(c echo.Context) error {
	p := principalOf(c)

	body, err := s.streamBody(c, s.cfg.MaxImportBytes, "text/csv")
	if err != nil {
		return err
	}

	report, err := s.directory.ImportCSV(c.Request().Context(), p.WorkspaceID, c.Param("id"), body)
	if err != nil {
		return importProblem(err, s.cfg.MaxImportBytes)
	}
	return c.JSON(http.StatusOK, report)
}

// decodeObject is decodeJSON for bodies that must be a JSON object, with
// the accepted media types (application/json when none are given). It also
// rejects null, which decodeJSON reads as an empty object, so a PUT of null
// cannot clear a contact. It returns the body read.
func (s *Server) decodeObject(c echo.Context, dst any, mediaTypes ...string) ([]byte, error) {
	if len(mediaTypes) == 0 {
		mediaTypes = []string{echo.MIMEApplicationJSON}
	}
	body, err := s.readBody(c, s.cfg.MaxBodyBytes, mediaTypes...)
	if err != nil {
		return nil, err
	}
	if string(bytes.TrimSpace(body)) == "null" {
		return nil, newProblem(probMalformed, "The body is null; send a JSON object.")
	}
	return body, decodeStrict(body, dst)
}

// streamBody checks the media type and declared size of the body like
// readBody, and returns it unread, capped at limit bytes.
func (s *Server) streamBody(c echo.Context, limit int64, mediaType string) (io.Reader, error) {
	req := c.Request()
	got := req.Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(got)
	if err != nil || mt != mediaType {
		if got == "" {
			got = "none"
		}
		return nil, newProblem(probMediaType, "Content-Type is %s; this endpoint accepts %s.", got, mediaType)
	}

	if req.ContentLength > limit {
		return nil, newProblem(probTooLarge, "The body is %d bytes; the limit is %d bytes.", req.ContentLength, limit)
	}
	return http.MaxBytesReader(c.Response(), req.Body, limit), nil
}

// importProblem maps the errors of a CSV import: a bad header is a 400 and
// a body over the limit a 413.
func importProblem(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, directory.ErrInvalidCSV):
		return newProblem(probMalformed, "%s.", capitalise(err.Error()))
	case errors.As(err, &tooLarge):
		return newProblem(probTooLarge, "The body is over the limit of %s; rows before the limit may have been imported.", byteSize(limit))
	}
	return err
}

// pathParam returns the path parameter name unescaped. Echo matches
// routes on the escaped path when the request has one (an external_id
// with an encoded slash, say), and then returns parameters escaped.
func pathParam(c echo.Context, name string) string {
	value := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return value
	}
	if unescaped, err := url.PathUnescape(value); err == nil {
		return unescaped
	}
	return value
}

// phoneParam undoes the usual damage to a phone query parameter: an
// unescaped + in a query string arrives as a space, so a leading space
// before a digit is read as +.
func phoneParam(value string) string {
	trimmed := strings.TrimLeft(value, " ")
	if trimmed != value && trimmed != "" && trimmed[0] >= '0' && trimmed[0] <= '9' {
		return "+" + trimmed
	}
	return value
}
