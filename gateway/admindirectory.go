package gateway

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// adminContactsShown is how many contacts a phonebook page lists at once.
const adminContactsShown = 50

type phonebooksPage struct {
	Phonebooks []store.Phonebook
	Name       string
}

type phonebookPage struct {
	Phonebook store.Phonebook
	Search    string
	Contacts  []store.Contact
	HasMore   bool
	Report    *directory.ImportReport
}

type contactPage struct {
	Contact   store.Contact
	Phonebook store.Phonebook
	// ExtraData is the contact's extra_data with its keys in order.
	ExtraData []namedValue
	Calls     []store.Call
}

func (s *Server) listAdminPhonebooks(c echo.Context) error {
	page, err := s.phonebooksPage(c, "")
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "phonebooks.html", page)
}

func (s *Server) createAdminPhonebook(c echo.Context) error {
	p := principalOf(c)

	name := c.FormValue("name")
	pb, err := s.directory.CreatePhonebook(c.Request().Context(), p.WorkspaceID, directory.PhonebookInput{Name: name, Description: c.FormValue("description")})
	if err == nil {
		return adminRedirect(c, "/admin/phonebooks/"+pb.ID+"?notice=created")
	}

	page, perr := s.phonebooksPage(c, name)
	if perr != nil {
		return perr
	}
	return s.renderAdminForm(c, "phonebooks.html", page, err)
}

func (s *Server) phonebooksPage(c echo.Context, name string) (*adminPage, error) {
	books, _, err := s.directory.ListPhonebooks(c.Request().Context(), principalOf(c).WorkspaceID, nil, adminListLimit)
	if err != nil {
		return nil, err
	}
	return &adminPage{Title: "Phonebooks", Section: "phonebooks", Data: phonebooksPage{Phonebooks: books, Name: name}}, nil
}

// showAdminPhonebook lists the phonebook's contacts, newest first,
// filtered by the search text.
func (s *Server) showAdminPhonebook(c echo.Context) error {
	page, err := s.phonebookPage(c)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "phonebook.html", page)
}

func (s *Server) phonebookPage(c echo.Context) (*adminPage, error) {
	p := principalOf(c)
	ctx := c.Request().Context()

	pb, err := s.directory.GetPhonebook(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return nil, err
	}
	data := &phonebookPage{Phonebook: pb, Search: strings.TrimSpace(c.QueryParam("q"))}
	data.Contacts, data.HasMore, err = s.directory.ListContacts(ctx, store.ContactQuery{
		WorkspaceID: p.WorkspaceID, PhonebookID: pb.ID, Search: data.Search, Desc: true, Limit: adminContactsShown,
	})
	if err != nil {
		return nil, err
	}
	return &adminPage{Title: pb.Name, Section: "phonebooks", Data: data}, nil
}

// importAdminContacts imports an uploaded CSV file into the phonebook
// and shows the per-row report.
func (s *Server) importAdminContacts(c echo.Context) error {
	p := principalOf(c)

	page, err := s.phonebookPage(c)
	if err != nil {
		return err
	}
	data := page.Data.(*phonebookPage)

	header, err := c.FormFile("file")
	if err != nil {
		return s.renderAdminForm(c, "phonebook.html", page, validation.New("file", "is missing: choose a CSV file with a header row"))
	}
	f, err := header.Open()
	if err != nil {
		return err
	}
	defer f.Close()

	report, err := s.directory.ImportCSV(c.Request().Context(), p.WorkspaceID, data.Phonebook.ID, f)
	if errors.Is(err, directory.ErrInvalidCSV) {
		return s.renderAdminForm(c, "phonebook.html", page, validation.New("file", "%s", err.Error()))
	}
	if err != nil {
		return err
	}

	// The list is read again so it shows the imported contacts.
	if page, err = s.phonebookPage(c); err != nil {
		return err
	}
	page.Data.(*phonebookPage).Report = &report
	return s.renderAdmin(c, http.StatusOK, "phonebook.html", page)
}

func (s *Server) showAdminContact(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	contact, err := s.directory.GetContact(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	pb, err := s.directory.GetPhonebook(ctx, p.WorkspaceID, contact.PhonebookID)
	if err != nil {
		return err
	}
	data := contactPage{Contact: contact, Phonebook: pb}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(contact.ExtraData, &extra); err == nil {
		for _, key := range slices.Sorted(maps.Keys(extra)) {
			data.ExtraData = append(data.ExtraData, namedValue{Name: key, Value: jsonText(extra[key])})
		}
	}
	data.Calls, _, err = s.store.ListCalls(ctx, store.CallQuery{WorkspaceID: p.WorkspaceID, ContactID: contact.ID, Desc: true, Limit: 10})
	if err != nil {
		return err
	}
	title := contactDisplayName(contact.DisplayName, contact.FirstName, contact.LastName, contact.Company)
	return s.renderAdmin(c, http.StatusOK, "contact.html", &adminPage{Title: title, Section: "phonebooks", Data: data})
}

// jsonText returns a JSON string's text, or any other JSON value as it is
// written.
func jsonText(raw json.RawMessage) string {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return text
	}
	return string(raw)
}
