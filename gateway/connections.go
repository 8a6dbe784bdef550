package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// telephonyConnectionView is a telephony connection as the API shows it.
// Credentials shows which fields are set, never a secret.
type telephonyConnectionView struct {
	ID             string              `json:"id"`
	Provider       string              `json:"provider"`
	Name           string              `json:"name"`
	Enabled        bool                `json:"enabled"`
	Credentials    map[string]string   `json:"credentials"`
	PhonebookIDs   []string            `json:"phonebook_ids"`
	RoutingRules   []routing.Rule      `json:"routing_rules"`
	DefaultRoute   telephony.Route     `json:"default_route"`
	LookupOrder    string              `json:"lookup_order"`
	DeadlineMillis int                 `json:"deadline_ms"`
	Options        connections.Options `json:"options"`
	WebhookURLs    map[string]string   `json:"webhook_urls"`
	// CRMConnectionID is null when the connection names no CRM connection.
	CRMConnectionID       *string `json:"crm_connection_id"`
	CRMDeadlineMillis     int     `json:"crm_deadline_ms"`
	RerouteLateCRMAnswers bool    `json:"reroute_late_crm_answers"`
	// SigningSecret is the secret generated for a generic connection, in
	// the create response only.
	SigningSecret string `json:"signing_secret,omitempty"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

func (s *Server) viewTelephonyConnection(c connections.Settings) telephonyConnectionView {
	v := telephonyConnectionView{
		ID:             c.ID,
		Provider:       string(c.Provider),
		Name:           c.Name,
		Enabled:        c.Enabled,
		Credentials:    connections.Summarize(c.Provider, c.Credentials),
		PhonebookIDs:   c.PhonebookIDs,
		RoutingRules:   c.RoutingRules,
		DefaultRoute:   c.DefaultRoute,
		LookupOrder:    c.LookupOrder,
		DeadlineMillis: c.DeadlineMillis,
		Options:        c.Options,
		WebhookURLs:    connections.WebhookURLs(s.cfg.PublicBaseURL, c.Provider, c.ID),
		CreatedAt:      formatTime(c.CreatedAt),
		UpdatedAt:      formatTime(c.UpdatedAt),

		CRMDeadlineMillis:     c.CRMDeadlineMillis,
		RerouteLateCRMAnswers: c.RerouteLateCRMAnswers,
	}
	if v.PhonebookIDs == nil {
		v.PhonebookIDs = []string{}
	}
	if c.CRMConnectionID != "" {
		v.CRMConnectionID = &c.CRMConnectionID
	}
	if v.RoutingRules == nil {
		v.RoutingRules = []routing.Rule{}
	}
	return v
}

// telephonyConnections returns the service behind the connection routes:
// the one shared with the webhook path, or a new one in tests that wire
// none.
func (s *Server) telephonyConnections() *connections.Service {
	if s.conns == nil {
		return connections.New(s.store, s.keyring)
	}
	return s.conns
}

// listTelephonyConnections lists every connection of the workspace, oldest
// first, in one page: a workspace has a handful.
func (s *Server) listTelephonyConnections(c echo.Context) error {
	p := principalOf(c)

	list, err := s.telephonyConnections().List(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}

	views := make([]telephonyConnectionView, len(list))
	for i, conn := range list {
		views[i] = s.viewTelephonyConnection(conn)
	}
	return c.JSON(http.StatusOK, listResponse[telephonyConnectionView]{Data: views})
}

func (s *Server) createTelephonyConnection(c echo.Context) error {
	p := principalOf(c)

	var in connections.Input
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}

	conn, generatedSecret, err := s.telephonyConnections().Create(c.Request().Context(), p.WorkspaceID, in)
	if err != nil {
		return err
	}

	view := s.viewTelephonyConnection(conn)
	view.SigningSecret = generatedSecret
	c.Response().Header().Set(echo.HeaderLocation, "/v1/telephony-connections/"+conn.ID)
	return c.JSON(http.StatusCreated, view)
}

func (s *Server) getTelephonyConnection(c echo.Context) error {
	p := principalOf(c)

	conn, err := s.telephonyConnections().Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.viewTelephonyConnection(conn))
}

// updateTelephonyConnection changes the fields the body names. Credentials
// merge field by field, and options replace the stored options.
func (s *Server) updateTelephonyConnection(c echo.Context) error {
	p := principalOf(c)

	var patch connections.Patch
	if err := s.decodeJSON(c, &patch); err != nil {
		return err
	}

	conn, err := s.telephonyConnections().Update(c.Request().Context(), p.WorkspaceID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.viewTelephonyConnection(conn))
}

// deleteTelephonyConnection deletes the connection. Its calls stay listed.
func (s *Server) deleteTelephonyConnection(c echo.Context) error {
	p := principalOf(c)

	if err := s.telephonyConnections().Delete(c.Request().Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
