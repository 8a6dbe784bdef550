package gateway

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/connections"
)

// adminEventsShown is how many accepted webhook events a telephony
// connection's page lists.
const adminEventsShown = 20

// credentialLabels names each credential field the way the provider's
// console names it, by provider and field.
var credentialLabels = map[telephony.Provider]map[string][2]string{
	telephony.ProviderTwilio: {
		connections.FieldAccountID: {"Account SID", "AC and 32 hexadecimal characters, from the Twilio console's start page."},
		connections.FieldAuthToken: {"Auth token", "Twilio signs webhooks with it."},
	},
	telephony.ProviderTelnyx: {
		connections.FieldAPIKey:    {"API key", "Used to send Call Control commands."},
		connections.FieldPublicKey: {"Public key", "Base64 Ed25519 key from the Telnyx portal; webhooks are verified with it."},
	},
	telephony.ProviderVonage: {
		connections.FieldSigningSecret: {"Signature secret", "Vonage signs webhooks with it."},
		connections.FieldAccountID:     {"API key", "Optional."},
		connections.FieldAPIKey:        {"Application ID", "Optional; needed with the private key to move live calls."},
		connections.FieldAuthToken:     {"Private key (PEM)", "Optional; the application's RSA private key."},
	},
	telephony.ProviderAircall: {
		connections.FieldAccountID:    {"API ID", ""},
		connections.FieldAuthToken:    {"API token", ""},
		connections.FieldWebhookToken: {"Webhook token", "Aircall sends it in every webhook."},
	},
	telephony.ProviderGeneric: {
		connections.FieldSigningSecret: {"Signing secret", "whsec_ and base64 (Standard Webhooks)."},
	},
}

// hookHints names the setting at the provider that takes each webhook URL,
// by hook.
var hookHints = map[telephony.Provider]map[string]string{
	telephony.ProviderTwilio: {
		"voice":     `Paste into the phone number's "A call comes in" webhook (HTTP POST).`,
		"status":    `Paste into the number's "Call status changes" status callback URL.`,
		"recording": `Set as recordingStatusCallback where you start recordings, so a recording that is ready after the call ends reaches the call.`,
	},
	telephony.ProviderVonage: {
		"answer": "Paste into the Voice application's answer URL.",
		"event":  "Paste into the Voice application's event URL.",
	},
	telephony.ProviderTelnyx:  {connections.HookEvents: "Paste into the Call Control application's webhook URL."},
	telephony.ProviderAircall: {connections.HookEvents: "Paste into an Aircall webhook's URL, with the call events selected."},
	telephony.ProviderGeneric: {connections.HookEvents: "Your platform posts every call event here, signed with the signing secret below."},
}

// hookRank returns the position of a webhook in the list: the
// incoming-call hook first, the status or event hook after it, and
// Twilio's recording hook last.
func hookRank(hook string) int {
	switch hook {
	case "voice", "answer":
		return 0
	case "status", "event":
		return 2
	case "recording":
		return 3
	}
	return 1
}

// credentialInput is one credential field of the connection form.
type credentialInput struct {
	Name, Label, Hint string
	Required, Secret  bool
	// Multiline renders a <textarea>, for PEM keys.
	Multiline bool
	// Value is the submitted value of a non-secret field; secrets are
	// never filled in.
	Value string
	// Stored is the masked summary of a stored non-secret field, such as
	// …1234, shown as the placeholder.
	Stored string
	// IsSet is true when the stored connection has the field.
	IsSet bool
	// Generated is true for a field the gateway fills in when it is left
	// empty on a new connection.
	Generated bool
}

type choice struct {
	Value, Label string
	Selected     bool
}

type namedValue struct {
	Name, Value, Hint string
}

// telephonyPage is the data of the connection pages.
type telephonyPage struct {
	ID, Provider, Name string
	ProviderLabel      string
	Enabled            bool
	Credentials        []credentialInput
	Phonebooks         []choice
	LookupOrders       []choice
	CRMConnections     []choice
	DeadlineMillis     string
	CRMDeadlineMillis  string
	RouteKinds         []choice
	DefaultTarget      string
	Providers          []choice

	WebhookURLs   []namedValue
	SigningSecret string
	Events        []store.ConnectionEvent
	Rejections    []store.WebhookRejection
	RuleCount     int
}

func (s *Server) listAdminTelephony(c echo.Context) error {
	p := principalOf(c)

	list, err := s.telephonyConnections().List(c.Request().Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "telephony_list.html", &adminPage{
		Title: "Telephony connections", Section: "telephony", Data: list,
	})
}

// newAdminTelephony shows the provider choice, then the form for the
// chosen provider's credentials.
func (s *Server) newAdminTelephony(c echo.Context) error {
	provider := telephony.Provider(c.QueryParam("provider"))
	form := telephonyPage{Provider: string(provider), Enabled: true, DeadlineMillis: strconv.Itoa(store.DefaultDeadlineMillis)}
	for _, p := range connections.Providers {
		form.Providers = append(form.Providers, choice{Value: string(p), Label: providerLabel(p), Selected: p == provider})
	}
	if connections.CredentialFields(provider) == nil {
		return s.renderAdmin(c, http.StatusOK, "telephony_new.html", &adminPage{Title: "New telephony connection", Section: "telephony", Data: form})
	}
	if err := s.fillTelephonyChoices(c, &form, nil, "", telephony.TargetQueue); err != nil {
		return err
	}
	form.Credentials = credentialInputs(provider, nil, nil)
	return s.renderAdmin(c, http.StatusOK, "telephony_new.html", &adminPage{Title: "New " + providerLabel(provider) + " connection", Section: "telephony", Data: form})
}

func (s *Server) createAdminTelephony(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	provider := telephony.Provider(c.FormValue("provider"))

	in := connections.Input{
		Provider:     string(provider),
		Name:         c.FormValue("name"),
		Credentials:  formCredentials(c, provider),
		PhonebookIDs: formValues(c, "phonebook_ids"),
		DefaultRoute: &telephony.Route{Kind: telephony.TargetKind(c.FormValue("default_route.kind")), Target: strings.TrimSpace(c.FormValue("default_route.target"))},
	}
	var v validation.Error
	in.DeadlineMillis = formInt(&v, c, "deadline_ms")
	err := v.Err()
	if err != nil {
		err = withDomainErrors(&v, s.telephonyConnections().Check(ctx, p.WorkspaceID, in))
	} else {
		var conn connections.Settings
		conn, _, err = s.telephonyConnections().Create(ctx, p.WorkspaceID, in)
		if err == nil {
			return adminRedirect(c, "/admin/telephony/"+conn.ID+"?notice=created")
		}
	}

	form := telephonyPage{Provider: string(provider), Name: in.Name, Enabled: true, DeadlineMillis: c.FormValue("deadline_ms"), DefaultTarget: in.DefaultRoute.Target}
	for _, pr := range connections.Providers {
		form.Providers = append(form.Providers, choice{Value: string(pr), Label: providerLabel(pr), Selected: pr == provider})
	}
	if ferr := s.fillTelephonyChoices(c, &form, in.PhonebookIDs, "", in.DefaultRoute.Kind); ferr != nil {
		return ferr
	}
	form.Credentials = credentialInputs(provider, nil, in.Credentials)
	page := &adminPage{Title: "New " + providerLabel(provider) + " connection", Section: "telephony", Data: form, Labels: credentialFieldLabels(form.Credentials)}
	return s.renderAdminForm(c, "telephony_new.html", page, renameFields(err, telephonyFormReason))
}

func (s *Server) showAdminTelephony(c echo.Context) error {
	p := principalOf(c)

	conn, err := s.telephonyConnections().Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	page, err := s.telephonyDetail(c, conn, nil)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, "telephony_show.html", page)
}

// updateAdminTelephony saves the settings form. Secret credential inputs
// left empty keep the stored value.
func (s *Server) updateAdminTelephony(c echo.Context) error {
	p := principalOf(c)
	ctx := c.Request().Context()
	svc := s.telephonyConnections()

	conn, err := svc.Get(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	name, lookup, crmID := c.FormValue("name"), c.FormValue("lookup_order"), c.FormValue("crm_connection_id")
	enabled := c.FormValue("enabled") == "on"
	phonebooks := formValues(c, "phonebook_ids")
	patch := connections.Patch{
		Name: &name, Enabled: &enabled, PhonebookIDs: &phonebooks, LookupOrder: &lookup, CRMConnectionID: &crmID,
		Credentials: formCredentials(c, conn.Provider),
	}
	var v validation.Error
	patch.DeadlineMillis = formInt(&v, c, "deadline_ms")
	patch.CRMDeadlineMillis = formInt(&v, c, "crm_deadline_ms")
	err = v.Err()
	if err != nil {
		err = withDomainErrors(&v, svc.CheckUpdate(ctx, p.WorkspaceID, conn.ID, patch))
	} else {
		if _, err = svc.Update(ctx, p.WorkspaceID, conn.ID, patch); err == nil {
			return adminRedirect(c, "/admin/telephony/"+conn.ID+"?notice=saved")
		}
	}

	page, perr := s.telephonyDetail(c, conn, &patch)
	if perr != nil {
		return perr
	}
	return s.renderAdminForm(c, "telephony_show.html", page, renameFields(err, telephonyFormReason))
}

func (s *Server) deleteAdminTelephony(c echo.Context) error {
	p := principalOf(c)
	svc := s.telephonyConnections()
	conn, err := svc.Get(c.Request().Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}

	if !confirmed(c) {
		return s.askConfirmation(c, "Delete "+conn.Name+"?",
			"Deleting the telephony connection "+conn.Name+" makes its webhooks fail with 404 at once, so calls to its numbers are no longer routed. Its calls stay listed.",
			"Delete connection", "/admin/telephony/"+conn.ID)
	}
	if err := svc.Delete(c.Request().Context(), p.WorkspaceID, conn.ID); err != nil {
		return err
	}
	return adminRedirect(c, "/admin/telephony?notice=deleted")
}

// telephonyDetail builds the connection page: its settings (or the
// submitted patch over them), webhook URLs, latest events and rejected
// webhooks.
func (s *Server) telephonyDetail(c echo.Context, conn connections.Settings, submitted *connections.Patch) (*adminPage, error) {
	ctx := c.Request().Context()
	form := telephonyPage{
		ID: conn.ID, Provider: string(conn.Provider), ProviderLabel: providerLabel(conn.Provider), Name: conn.Name, Enabled: conn.Enabled,
		DeadlineMillis: strconv.Itoa(conn.DeadlineMillis), CRMDeadlineMillis: strconv.Itoa(conn.CRMDeadlineMillis),
		RuleCount: len(conn.RoutingRules),
	}
	phonebooks, lookup, crmID := conn.PhonebookIDs, conn.LookupOrder, conn.CRMConnectionID
	var written map[string]string
	if submitted != nil {
		form.Name, form.Enabled = *submitted.Name, *submitted.Enabled
		form.DeadlineMillis, form.CRMDeadlineMillis = c.FormValue("deadline_ms"), c.FormValue("crm_deadline_ms")
		phonebooks, lookup, crmID, written = *submitted.PhonebookIDs, *submitted.LookupOrder, *submitted.CRMConnectionID, submitted.Credentials
	}
	if err := s.fillTelephonyChoices(c, &form, phonebooks, crmID, ""); err != nil {
		return nil, err
	}
	for i := range form.LookupOrders {
		form.LookupOrders[i].Selected = form.LookupOrders[i].Value == lookup
	}
	form.Credentials = credentialInputs(conn.Provider, connections.Summarize(conn.Provider, conn.Credentials), written)

	urls := connections.WebhookURLs(s.cfg.PublicBaseURL, conn.Provider, conn.ID)
	hooks := slices.SortedFunc(maps.Keys(urls), func(a, b string) int { return hookRank(a) - hookRank(b) })
	for _, hook := range hooks {
		form.WebhookURLs = append(form.WebhookURLs, namedValue{Name: hook, Value: urls[hook], Hint: hookHints[conn.Provider][hook]})
	}
	if conn.Provider == telephony.ProviderGeneric {
		form.SigningSecret = conn.Credentials.SigningSecret
	}

	var err error
	if form.Events, err = s.store.ListConnectionEvents(ctx, conn.WorkspaceID, conn.ID, adminEventsShown); err != nil {
		return nil, err
	}
	if form.Rejections, err = s.store.ListWebhookRejections(ctx, conn.WorkspaceID, conn.ID); err != nil {
		return nil, err
	}
	return &adminPage{Title: conn.Name, Section: "telephony", Data: form, Labels: credentialFieldLabels(form.Credentials)}, nil
}

// credentialFieldLabels names each credential field of a form by its
// label, such as "Account SID" for credentials.account_id.
func credentialFieldLabels(inputs []credentialInput) map[string]string {
	labels := make(map[string]string, len(inputs))
	for _, in := range inputs {
		labels["credentials."+in.Name] = in.Label
	}
	return labels
}

// telephonyFormReason rewords the reasons that name API fields in the
// words of the telephony form, whose CRM connection is a drop-down.
func telephonyFormReason(f validation.FieldError) validation.FieldError {
	switch {
	case f.Field == "crm_connection_id" && strings.HasPrefix(f.Reason, "is required"):
		f.Reason = "is required when callers are looked up in the CRM: choose a CRM connection"
	case f.Field == "crm_deadline_ms":
		f.Reason = strings.ReplaceAll(f.Reason, "below deadline_ms", "below the routing deadline")
	}
	return f
}

// fillTelephonyChoices fills the phonebook, lookup order, CRM connection
// and route kind choices of form.
func (s *Server) fillTelephonyChoices(c echo.Context, form *telephonyPage, phonebookIDs []string, crmID string, kind telephony.TargetKind) error {
	p := principalOf(c)
	ctx := c.Request().Context()

	books, _, err := s.directory.ListPhonebooks(ctx, p.WorkspaceID, nil, adminListLimit)
	if err != nil {
		return err
	}
	for _, b := range books {
		form.Phonebooks = append(form.Phonebooks, choice{Value: b.ID, Label: b.Name, Selected: slices.Contains(phonebookIDs, b.ID)})
	}

	form.LookupOrders = []choice{
		{Value: connections.LookupPhonebook, Label: "Phonebooks only"},
		{Value: connections.LookupPhonebookThenCRM, Label: "Phonebooks, then the CRM while the call waits"},
		{Value: connections.LookupCRM, Label: "The CRM only, while the call waits"},
	}

	form.CRMConnections = []choice{{Value: "", Label: "None", Selected: crmID == ""}}
	if svc, err := s.crmConnections(); err == nil {
		crms, err := svc.List(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		for _, conn := range crms {
			form.CRMConnections = append(form.CRMConnections, choice{Value: conn.ID, Label: conn.Name + " (" + string(conn.Kind) + ")", Selected: conn.ID == crmID})
		}
	}
	form.RouteKinds = routeKindChoices(kind)
	return nil
}

// routeKinds lists the route kinds with what each one does, in the order
// the forms offer them.
var routeKinds = []choice{
	{Value: string(telephony.TargetQueue), Label: "Queue"},
	{Value: string(telephony.TargetExtension), Label: "Extension"},
	{Value: string(telephony.TargetNumber), Label: "Phone number"},
	{Value: string(telephony.TargetClient), Label: "Softphone client"},
	{Value: string(telephony.TargetSIP), Label: "SIP address"},
	{Value: string(telephony.TargetVoicemail), Label: "Voicemail"},
	{Value: string(telephony.TargetHangup), Label: "Hang up"},
}

func routeKindChoices(selected telephony.TargetKind) []choice {
	out := make([]choice, len(routeKinds))
	for i, k := range routeKinds {
		out[i] = k
		out[i].Selected = k.Value == string(selected)
	}
	return out
}

// credentialInputs returns the credential fields of provider for a form.
// summary is the stored connection's Summarize, nil on create; written
// holds submitted values, of which non-secret ones are shown again.
func credentialInputs(provider telephony.Provider, summary, written map[string]string) []credentialInput {
	var out []credentialInput
	for _, f := range connections.CredentialFields(provider) {
		label := credentialLabels[provider][f.Name]
		in := credentialInput{Name: f.Name, Label: label[0], Hint: label[1], Required: f.Required, Secret: f.Secret}
		if f.Name == connections.FieldAPIBaseURL {
			in.Label, in.Hint = "API base URL", "Replaces the provider's API URL, for a regional endpoint or a test server."
		}
		in.Multiline = provider == telephony.ProviderVonage && f.Name == connections.FieldAuthToken
		in.Generated = provider == telephony.ProviderGeneric && f.Name == connections.FieldSigningSecret
		_, in.IsSet = summary[f.Name]
		if !f.Secret {
			in.Value, in.Stored = written[f.Name], summary[f.Name]
		}
		out = append(out, in)
	}
	return out
}

// formCredentials returns the credential inputs of the form that are not
// empty, so an empty input keeps the stored value.
//
// NOTE: an optional credential, such as api_base_url, cannot be removed
// in the admin UI for this reason; PATCH it to "" through the API.
func formCredentials(c echo.Context, provider telephony.Provider) map[string]string {
	out := map[string]string{}
	for _, f := range connections.CredentialFields(provider) {
		value := strings.TrimSpace(c.FormValue("credentials." + f.Name))
		if value == "" {
			continue
		}
		out[f.Name] = value
	}
	return out
}

// formValues returns every value of a repeated form field, such as a
// group of checkboxes.
func formValues(c echo.Context, name string) []string {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	values := form[name]
	if values == nil {
		return []string{}
	}
	return values
}

// formInt reads a whole number from the form field name; empty is nil,
// and anything else but a number is a field error.
func formInt(v *validation.Error, c echo.Context, name string) *int {
	raw := strings.TrimSpace(c.FormValue(name))
	if raw == "" {
		return nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		v.Add(name, "%q is not a whole number", raw)
		return nil
	}
	return &n
}

// withDomainErrors adds to formErr, the inputs the form could not read,
// the field errors of checkErr on every other field, so the page shows
// every invalid field at once. Any other error of checkErr is dropped:
// the form's own errors come first.
func withDomainErrors(formErr *validation.Error, checkErr error) error {
	var verr *validation.Error
	if !errors.As(checkErr, &verr) {
		return formErr
	}
	rejected := map[string]bool{}
	for _, f := range formErr.Fields {
		rejected[f.Field] = true
	}
	all := &validation.Error{}
	for _, f := range verr.Fields {
		if !rejected[f.Field] {
			all.Add(f.Field, "%s", f.Reason)
		}
	}
	all.Fields = append(all.Fields, formErr.Fields...)
	return all
}

func providerLabel(p telephony.Provider) string {
	switch p {
	case telephony.ProviderTwilio:
		return "Twilio"
	case telephony.ProviderTelnyx:
		return "Telnyx"
	case telephony.ProviderVonage:
		return "Vonage"
	case telephony.ProviderAircall:
		return "Aircall"
	case telephony.ProviderGeneric:
		return "Generic webhook"
	}
	return string(p)
}

// adminListLimit bounds the lists of phonebooks and connections that
// forms offer as choices.
const adminListLimit = 200
