package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmconn"
	"github.com/switchboard-oss/switchboard/crm/crmsync"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// adminSyncRunsShown is how many sync runs a CRM connection's page lists.
const adminSyncRunsShown = 10

// crmPage is the data of the CRM connection pages.
type crmPage struct {
	ID, Kind, Name, BaseURL string
	Kinds                   []choice
	AuthType                string
	Auth                    crmconn.AuthSummary
	// Submitted auth fields that are not secrets, shown again after an
	// invalid submission.
	ClientID, AuthorizeURL, TokenURL, Scopes string
	Settings                                 crmconn.Settings
	// GenericSettings is the generic connector's settings as JSON.
	GenericSettings     string
	Phonebooks          []choice
	SyncEnabled         bool
	SyncIntervalSeconds string
	RedirectURI         string

	Sync *crmsync.Status
	// PhonebookName is the name of the phonebook the sync writes into.
	PhonebookName string
	Runs          []crmsync.Run
	Test          *crm.Capabilities
	// SyncQueued is set right after Sync now, so the sync card reloads
	// itself until the run ends.
	SyncQueued bool
	// TestFailed is set when the connection test on this page failed.
	TestFailed bool
	Mapped     bool
	// CallLog is the call logging settings and state. Generic connections
	// set call logging in their settings document instead.
	CallLog callLogForm
}

func (s *Server) listAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	list, err := svc.List(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "crm_list.html", &adminPage{Title: "CRM connections", Section: "crm", Data: list})
}

// newAdminCRM shows the CRM choice, then the form for the chosen kind.
func (s *Server) newAdminCRM(c echo.Context) error {
	kind := c.QueryParam("kind")
	form := crmPage{
		Kind: kind, AuthType: crmconn.AuthToken, Kinds: crmKindChoices(kind), RedirectURI: s.crmRedirectURI(),
		SyncIntervalSeconds: strconv.Itoa(store.DefaultCRMSyncIntervalSeconds),
	}
	title := "New CRM connection"
	if crmKindLabel(kind) != "" {
		title = "New " + crmKindLabel(kind) + " connection"
		if err := s.fillCRMPhonebooks(c, &form, ""); err != nil {
			return err
		}
	}
	return s.renderAdmin(c, http.StatusOK, "crm_new.html", &adminPage{Title: title, Section: "crm", Data: form})
}

func (s *Server) createAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	form := crmFormOf(c)
	in := crmconn.Input{Kind: form.Kind, Name: form.Name, BaseURL: form.BaseURL, PhonebookID: c.FormValue("phonebook_id"), SyncEnabled: &form.SyncEnabled}
	auth := crmAuthOf(c)
	in.Auth = &auth
	var v validation.Error
	in.Settings = crmSettingsOf(&v, c, form.Kind, nil)
	in.SyncIntervalSeconds = formInt(&v, c, "sync_interval_seconds")
	err = v.Err()
	if err == nil {
		var conn crmconn.Connection
		if conn, err = svc.Create(c.Request().Context(), p.WorkspaceID, in); err == nil {
			return adminRedirect(c, "/admin/crm/"+conn.ID+"?notice=created")
		}
	}

	form.Kinds, form.RedirectURI = crmKindChoices(form.Kind), s.crmRedirectURI()
	form.CallLog = newCallLogForm(form.Kind, callLogOf(in.Settings))
	if ferr := s.fillCRMPhonebooks(c, &form, in.PhonebookID); ferr != nil {
		return ferr
	}
	page := &adminPage{Title: "New " + crmKindLabel(form.Kind) + " connection", Section: "crm", Data: form}
	return s.renderAdminForm(c, "crm_new.html", page, renameFields(err, userMapFormField))
}

func (s *Server) showAdminCRM(c echo.Context) error {
	page, err := s.crmDetail(c, nil)
	if err != nil {
		return err
	}
	page.Data.(*crmPage).SyncQueued = c.QueryParam("notice") == "sync"
	return s.renderAdmin(c, http.StatusOK, "crm_show.html", page)
}

// updateAdminCRM saves the settings form. A token or client secret left
// empty keeps the stored one.
func (s *Server) updateAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}

	form := crmFormOf(c)
	phonebookID := c.FormValue("phonebook_id")
	auth := crmAuthOf(c)
	patch := crmconn.Patch{Name: &form.Name, BaseURL: &form.BaseURL, Auth: &auth, PhonebookID: &phonebookID, SyncEnabled: &form.SyncEnabled}
	var v validation.Error
	settings := crmSettingsOf(&v, c, string(conn.Kind), conn.Settings.CallLog)
	patch.Settings = &settings
	patch.SyncIntervalSeconds = formInt(&v, c, "sync_interval_seconds")
	err = v.Err()
	if err == nil {
		if _, err = svc.Update(c.Request().Context(), p.WorkspaceID, conn.ID, patch); err == nil {
			return adminRedirect(c, "/admin/crm/"+conn.ID+"?notice=saved")
		}
	}

	form.Settings.CallLog = settings.CallLog
	page, perr := s.crmDetail(c, &form)
	if perr != nil {
		return perr
	}
	return s.renderAdminForm(c, "crm_show.html", page, renameFields(err, userMapFormField))
}

func (s *Server) deleteAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, conn, err := s.crmConnectionOf(c)
	if err != nil {
		return err
	}

	if !confirmed(c) {
		return s.askConfirmation(c, "Delete "+conn.Name+"?",
			"Deleting the CRM connection "+conn.Name+" deletes its credentials, its sync history and the state of its call logs. Call entries already in the CRM stay, and so do its phonebook and contacts.",
			"Delete connection", "/admin/crm/"+conn.ID)
	}
	if err := svc.Delete(c.Request().Context(), p.WorkspaceID, conn.ID); err != nil {
		return err
	}
	return adminRedirect(c, "/admin/crm?notice=deleted")
}

// testAdminCRM checks the stored credentials at the CRM and shows what
// they allow, or why the CRM refused.
func (s *Server) testAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	capabilities, testErr := svc.Test(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	page, err := s.crmDetail(c, nil)
	if err != nil {
		return err
	}
	if testErr != nil {
		page.Data.(*crmPage).TestFailed = true
		return s.renderAdminForm(c, "crm_show.html", page, crmProblem(c, testErr))
	}
	page.Data.(*crmPage).Test = &capabilities
	page.Notice = "The CRM accepted the credentials."
	return s.renderAdmin(c, http.StatusOK, "crm_show.html", page)
}

// authorizeAdminCRM sends the browser to the CRM's consent page. The CRM
// redirects back to the gateway's OAuth callback, which returns a signed-in
// admin to this connection's page. It is a GET behind a link rather than a
// form, because browsers apply the pages' form-action 'self' policy to the
// redirect that follows a form, and would block the CRM's origin. It
// changes nothing: the OAuth state is signed, not stored.
func (s *Server) authorizeAdminCRM(c echo.Context) error {
	p := principalOf(c)
	svc, err := s.crmConnections()
	if err != nil {
		return err
	}

	authorizeURL, err := svc.AuthorizeURL(c.Request().Context(), p.WorkspaceID, c.Param("id"), s.crmRedirectURI())
	if err != nil {
		page, perr := s.crmDetail(c, nil)
		if perr != nil {
			return perr
		}
		return s.renderAdminForm(c, "crm_show.html", page, crmProblem(c, err))
	}
	return c.Redirect(http.StatusSeeOther, authorizeURL)
}

// syncAdminCRM queues a sync run now.
func (s *Server) syncAdminCRM(c echo.Context) error {
	p := principalOf(c)

	_, err := s.crmSyncService().Request(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if errors.Is(err, crmsync.ErrNoQueue) {
		err = newProblem(probUnavailable, "CRM sync runs are not configured on this gateway.")
	}
	if err != nil {
		page, perr := s.crmDetail(c, nil)
		if perr != nil {
			return perr
		}
		return s.renderAdminForm(c, "crm_show.html", page, err)
	}
	return adminRedirect(c, "/admin/crm/"+c.Param("id")+"?notice=sync")
}

// crmDetail builds the connection page from the stored connection, or
// from submitted over it after an invalid submission.
func (s *Server) crmDetail(c echo.Context, submitted *crmPage) (*adminPage, error) {
	p := principalOf(c)
	ctx := c.Request().Context()
	svc, err := s.crmConnections()
	if err != nil {
		return nil, err
	}
	conn, err := svc.Get(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return nil, err
	}

	form := crmPage{
		ID: conn.ID, Kind: string(conn.Kind), Name: conn.Name, BaseURL: conn.BaseURL,
		Auth: crmconn.Summarize(conn.Kind, conn.Auth), AuthType: conn.Auth.Type,
		ClientID: conn.Auth.ClientID, AuthorizeURL: conn.Auth.AuthorizeURL, TokenURL: conn.Auth.TokenURL, Scopes: strings.Join(conn.Auth.Scopes, " "),
		Settings: conn.Settings, SyncEnabled: conn.SyncEnabled, SyncIntervalSeconds: strconv.Itoa(conn.SyncIntervalSeconds),
		RedirectURI: s.crmRedirectURI(), Mapped: conn.Mapping != nil,
	}
	if conn.Settings.Config != nil {
		encoded, _ := json.MarshalIndent(conn.Settings.Config, "", "  ")
		form.GenericSettings = string(encoded)
	}
	phonebookID := conn.PhonebookID
	if submitted != nil {
		form.Name, form.BaseURL, form.AuthType, form.SyncEnabled = submitted.Name, submitted.BaseURL, submitted.AuthType, submitted.SyncEnabled
		form.ClientID, form.AuthorizeURL, form.TokenURL, form.Scopes = submitted.ClientID, submitted.AuthorizeURL, submitted.TokenURL, submitted.Scopes
		form.Settings, form.GenericSettings, form.SyncIntervalSeconds = submitted.Settings, submitted.GenericSettings, submitted.SyncIntervalSeconds
		phonebookID = c.FormValue("phonebook_id")
	}
	if err := s.fillCRMPhonebooks(c, &form, phonebookID); err != nil {
		return nil, err
	}
	form.CallLog = newCallLogForm(form.Kind, callLogOf(form.Settings))
	if form.CallLog.FailedLogs, form.CallLog.MoreFailedLogs, err = s.countFailedCallLogs(c, conn.ID); err != nil {
		return nil, err
	}

	status, err := s.crmSyncService().Status(ctx, p.WorkspaceID, conn.ID)
	if err != nil {
		return nil, err
	}
	form.Sync = &status
	if form.Runs, err = s.crmSyncService().Runs(ctx, p.WorkspaceID, conn.ID, adminSyncRunsShown); err != nil {
		return nil, err
	}
	return &adminPage{Title: conn.Name, Section: "crm", Data: &form}, nil
}

// crmFormOf reads the fields of the CRM connection form that are shown
// again as typed.
func crmFormOf(c echo.Context) crmPage {
	return crmPage{
		Kind: c.FormValue("kind"), Name: c.FormValue("name"), BaseURL: strings.TrimSpace(c.FormValue("base_url")),
		AuthType: c.FormValue("auth.type"), ClientID: c.FormValue("auth.client_id"),
		AuthorizeURL: c.FormValue("auth.authorize_url"), TokenURL: c.FormValue("auth.token_url"), Scopes: c.FormValue("auth.scopes"),
		Settings: crmconn.Settings{
			PortalID: c.FormValue("settings.portal_id"), AppBaseURL: c.FormValue("settings.app_base_url"),
			CompanyDomain: c.FormValue("settings.company_domain"), InstanceURL: c.FormValue("settings.instance_url"),
			APIVersion: c.FormValue("settings.api_version"), Objects: strings.Fields(strings.ReplaceAll(c.FormValue("settings.objects"), ",", " ")),
		},
		GenericSettings:     c.FormValue("settings.generic"),
		SyncEnabled:         c.FormValue("sync_enabled") == "on",
		SyncIntervalSeconds: c.FormValue("sync_interval_seconds"),
	}
}

// crmAuthOf reads the authentication fields of the form.
func crmAuthOf(c echo.Context) crmconn.AuthConfig {
	auth := crmconn.AuthConfig{Type: c.FormValue("auth.type")}
	if auth.Type == crmconn.AuthToken {
		auth.Token = strings.TrimSpace(c.FormValue("auth.token"))
		return auth
	}
	auth.ClientID = strings.TrimSpace(c.FormValue("auth.client_id"))
	auth.ClientSecret = strings.TrimSpace(c.FormValue("auth.client_secret"))
	auth.AuthorizeURL = strings.TrimSpace(c.FormValue("auth.authorize_url"))
	auth.TokenURL = strings.TrimSpace(c.FormValue("auth.token_url"))
	auth.Scopes = strings.Fields(strings.ReplaceAll(c.FormValue("auth.scopes"), ",", " "))
	return auth
}

// crmSettingsOf reads the settings of kind from the form: named fields
// for HubSpot, Pipedrive and Salesforce, a JSON document for generic
// connections, whose settings describe a whole REST API. The call logging
// fields go over storedCallLog, nil for a new connection.
func crmSettingsOf(v *validation.Error, c echo.Context, kind string, storedCallLog *crmconn.CallLogSettings) crmconn.Settings {
	form := crmFormOf(c)
	switch crm.Kind(kind) {
	case crm.KindHubSpot:
		return crmconn.Settings{PortalID: form.Settings.PortalID, AppBaseURL: form.Settings.AppBaseURL, CallLog: callLogSettingsOf(v, c, storedCallLog)}
	case crm.KindPipedrive:
		return crmconn.Settings{CompanyDomain: form.Settings.CompanyDomain, CallLog: callLogSettingsOf(v, c, storedCallLog)}
	case crm.KindSalesforce:
		return crmconn.Settings{
			InstanceURL: form.Settings.InstanceURL, APIVersion: form.Settings.APIVersion, Objects: form.Settings.Objects,
			CallLog: callLogSettingsOf(v, c, storedCallLog),
		}
	case crm.KindGeneric:
		var settings crmconn.Settings
		if strings.TrimSpace(form.GenericSettings) == "" {
			return settings
		}
		if err := decodeStrict([]byte(form.GenericSettings), &settings); err != nil {
			v.Add("settings.generic", "is not a valid settings document: %v", err)
		}
		return settings
	}
	return crmconn.Settings{}
}

func (s *Server) fillCRMPhonebooks(c echo.Context, form *crmPage, selected string) error {
	books, _, err := s.directory.ListPhonebooks(c.Request().Context(), principalOf(c).WorkspaceID, nil, adminListLimit)
	if err != nil {
		return err
	}
	form.Phonebooks = []choice{{Value: "", Label: "A new phonebook, made by the first sync", Selected: selected == ""}}
	for _, b := range books {
		form.Phonebooks = append(form.Phonebooks, choice{Value: b.ID, Label: b.Name, Selected: b.ID == selected})
		if b.ID == selected {
			form.PhonebookName = b.Name
		}
	}
	return nil
}

// crmRedirectURI is the OAuth redirect URL to register at the CRM.
func (s *Server) crmRedirectURI() string {
	return strings.TrimRight(s.cfg.PublicBaseURL, "/") + CRMCallbackPath
}

func crmKindChoices(selected string) []choice {
	out := make([]choice, len(crmconn.Kinds))
	for i, k := range crmconn.Kinds {
		out[i] = choice{Value: string(k), Label: crmKindLabel(string(k)), Selected: string(k) == selected}
	}
	return out
}

func crmKindLabel(kind string) string {
	switch crm.Kind(kind) {
	case crm.KindHubSpot:
		return "HubSpot"
	case crm.KindPipedrive:
		return "Pipedrive"
	case crm.KindSalesforce:
		return "Salesforce"
	case crm.KindGeneric:
		return "Generic REST"
	}
	return ""
}
