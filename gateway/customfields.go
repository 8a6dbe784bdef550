package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm/directory"
)

// customFieldView is a custom contact field as the API shows it.
type customFieldView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	Description   string   `json:"description"`
	AllowedValues []string `json:"allowed_values"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

func (s *Server) listCustomFields(c echo.Context) error {
	p := principalOf(c)

	fields, err := s.directory.ListCustomFields(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]customFieldView, len(fields))
	for i, f := range fields {
		views[i] = viewCustomField(f)
	}
	return c.JSON(http.StatusOK, listResponse[customFieldView]{Data: views})
}

func (s *Server) createCustomField(c echo.Context) error {
	p := principalOf(c)

	var in directory.CustomFieldInput
	if _, err := s.decodeObject(c, &in); err != nil {
		return err
	}

	f, err := s.directory.CreateCustomField(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}

	c.Response().Header().Set(echo.HeaderLocation, "/v1/custom-fields/"+f.Name)
	return c.JSON(http.StatusCreated, viewCustomField(f))
}

func (s *Server) getCustomField(c echo.Context) error {
	p := principalOf(c)

	f, err := s.store.GetCustomField(c.Request().Context(), p.WorkspaceID, c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCustomField(f))
}

func (s *Server) updateCustomField(c echo.Context) error {
	p := principalOf(c)

	var patch directory.CustomFieldPatch
	if _, err := s.decodeObject(c, &patch); err != nil {
		return err
	}

	f, err := s.directory.UpdateCustomField(c.Request().Context(), p.WorkspaceID, c.Param("name"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCustomField(f))
}

func (s *Server) deleteCustomField(c echo.Context) error {
	p := principalOf(c)

	if err := s.directory.DeleteCustomField(c.Request().Context(), p.WorkspaceID, c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
