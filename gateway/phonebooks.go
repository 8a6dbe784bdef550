package gateway

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/store"
)

// phonebookView is a phonebook as the API shows it.
type phonebookView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Source      string `json:"source"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func viewPhonebook(p store.Phonebook) phonebookView {
	return phonebookView{
		ID:          p.ID,
		Name:        p.Name,
		Description: p.Description,
		Source:      p.Source,
		CreatedAt:   formatTime(p.CreatedAt.Time),
		UpdatedAt:   formatTime(p.UpdatedAt.Time),
	}
}

// listPhonebooks pages through the phonebooks, oldest first.
func (s *Server) listPhonebooks(c echo.Context) error {
	p := principalOf(c)

	pc, limit, err := s.phonebookListing(c, p.WorkspaceID)
	if err != nil {
		return err
	}

	phonebooks, hasMore, err := s.directory.ListPhonebooks(c.Request().Context(), p.WorkspaceID, pc.after(), limit)
	if err != nil {
		return err
	}

	views := make([]phonebookView, len(phonebooks))
	for i, pb := range phonebooks {
		views[i] = viewPhonebook(pb)
	}
	resp := listResponse[phonebookView]{Data: views, HasMore: hasMore}
	if hasMore {
		last := phonebooks[len(phonebooks)-1]
		resp.NextCursor, resp.NextURL = s.nextPage("/v1/phonebooks", pc, last.CreatedAt, last.ID, limit)
	}
	return c.JSON(http.StatusOK, resp)
}

func (s *Server) phonebookListing(c echo.Context, workspaceID string) (pageCursor, int, error) {
	limit, err := parseLimit(c.QueryParam("limit"))
	if err != nil {
		return pageCursor{}, 0, err
	}
	raw := c.QueryParam("cursor")
	if raw == "" {
		return pageCursor{List: cursorPhonebooks, WorkspaceID: workspaceID}, limit, nil
	}
	pc, err := s.decodeCursor(raw, cursorPhonebooks, workspaceID)
	return pc, limit, err
}

func (s *Server) createPhonebook(c echo.Context) error {
	p := principalOf(c)

	var in directory.PhonebookInput
	if _, err := s.decodeObject(c, &in); err != nil {
		return err
	}

	pb, err := s.directory.CreatePhonebook(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}

	c.Response().Header().Set(echo.HeaderLocation, "/v1/phonebooks/"+pb.ID)
	return c.JSON(http.StatusCreated, viewPhonebook(pb))
}

func (s *Server) getPhonebook(c echo.Context) error {
	p := principalOf(c)

	pb, err := s.directory.GetPhonebook(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewPhonebook(pb))
}

// updatePhonebook changes the fields the body names. Absent or null
// fields keep their value.
func (s *Server) updatePhonebook(c echo.Context) error {
	p := principalOf(c)

	var patch directory.PhonebookPatch
	if _, err := s.decodeObject(c, &patch); err != nil {
		return err
	}

	pb, err := s.directory.UpdatePhonebook(c.Request().Context(), p.WorkspaceID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewPhonebook(pb))
}

// deletePhonebook deletes an empty phonebook, or with force=true one with
// contacts, each of which leaves a tombstone.
func (s *Server) deletePhonebook(c echo.Context) error {
	p := principalOf(c)
	force, err := boolParam(c, "force")
	if err != nil {
		return err
	}

	if err := s.directory.DeletePhonebook(c.Request().Context(), p.WorkspaceID, c.Param("id"), force); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// boolParam reads a true or false query parameter, false when absent.
func boolParam(c echo.Context, name string) (bool, error) {
	value := c.QueryParam(name)
	if value == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, queryProblem(name, "must be true or false, not %q", value)
	}
	return b, nil
}
