package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

type workspaceView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultRegion string `json:"default_region"`
	TimeZone      string `json:"time_zone"`
	// ScreenPopFields are the contact extra_data keys screen pops show;
	// empty shows every key with a short value.
	ScreenPopFields []string `json:"screen_pop_fields"`
	CreatedAt       string   `json:"created_at"`
	UpdatedAt       string   `json:"updated_at"`
}

func viewWorkspace(w store.Workspace) workspaceView {
	return workspaceView{
		ID:              w.ID,
		Name:            w.Name,
		DefaultRegion:   w.DefaultRegion,
		TimeZone:        w.TimeZone,
		ScreenPopFields: orEmpty(w.ScreenPopFields.V),
		CreatedAt:       formatTime(w.CreatedAt.Time),
		UpdatedAt:       formatTime(w.UpdatedAt.Time),
	}
}

// updateWorkspaceRequest holds the fields a PATCH may change; absent
// fields keep their value.
type updateWorkspaceRequest struct {
	Name            *string   `json:"name"`
	DefaultRegion   *string   `json:"default_region"`
	TimeZone        *string   `json:"time_zone"`
	ScreenPopFields *[]string `json:"screen_pop_fields"`
}

func (s *Server) getWorkspace(c echo.Context) error {
	p := principalOf(c)

	w, err := s.store.GetWorkspace(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWorkspace(w))
}

func (s *Server) updateWorkspace(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	var req updateWorkspaceRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}

	w, err := s.store.GetWorkspace(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	if err := applyWorkspaceUpdate(&w, req); err != nil {
		return err
	}

	if err := s.store.UpdateWorkspace(ctx, &w); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewWorkspace(w))
}

func applyWorkspaceUpdate(w *store.Workspace, req updateWorkspaceRequest) error {
	var v validation.Error
	if req.Name != nil {
		if *req.Name == "" || len(*req.Name) > 200 {
			v.Add("name", "must be 1 to 200 characters")
		}
		w.Name = *req.Name
	}
	if req.DefaultRegion != nil {
		if *req.DefaultRegion != "" && !phone.ValidRegion(*req.DefaultRegion) {
			v.Add("default_region", "%q is not an ISO 3166-1 alpha-2 region code such as US, GB or DE", *req.DefaultRegion)
		}
		w.DefaultRegion = strings.ToUpper(*req.DefaultRegion)
	}
	if req.TimeZone != nil {
		if _, err := time.LoadLocation(*req.TimeZone); err != nil || *req.TimeZone == "" {
			v.Add("time_zone", "%q is not an IANA time zone name such as Europe/Berlin", *req.TimeZone)
		}
		w.TimeZone = *req.TimeZone
	}
	if req.ScreenPopFields != nil {
		w.ScreenPopFields.V = checkScreenPopFields(&v, *req.ScreenPopFields)
	}
	return v.Err()
}

// Limits on screen_pop_fields.
const (
	maxScreenPopFields   = 50
	maxScreenPopKeyChars = 100
)

// checkScreenPopFields checks a list of extra_data keys: at most 50, each
// 1 to 100 characters, none repeated.
func checkScreenPopFields(v *validation.Error, keys []string) []string {
	if len(keys) > maxScreenPopFields {
		v.Add("screen_pop_fields", "has %d keys; the limit is %d", len(keys), maxScreenPopFields)
		return nil
	}
	seen := map[string]bool{}
	for i, key := range keys {
		field := fmt.Sprintf("screen_pop_fields[%d]", i)
		switch {
		case key == "" || len([]rune(key)) > maxScreenPopKeyChars:
			v.Add(field, "must be 1 to %d characters", maxScreenPopKeyChars)
		case seen[key]:
			v.Add(field, "repeats the key %q", key)
		}
		seen[key] = true
	}
	return keys
}
