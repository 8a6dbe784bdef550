package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/routing"
)

// routingTestRequest is the body of a routing test: the caller and the
// number called.
type routingTestRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// answerView is a webhook answer as the provider would receive it.
type answerView struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

type routingTestView struct {
	From    telephony.Party `json:"from"`
	To      telephony.Party `json:"to"`
	Contact *contactView    `json:"contact"`
	// CRMContact is the caller as a real-time CRM lookup found it.
	CRMContact *crmContactView  `json:"crm_contact"`
	Decision   routing.Decision `json:"decision"`
	Answer     answerView       `json:"answer"`
	// Delivery is "webhook_answer" when the provider reads the route from
	// the answer, "api_command" when Switchboard sends it through the
	// provider's REST API (Telnyx, Aircall).
	Delivery string `json:"delivery"`
}

// testRouting shows what an incoming call from a number would get on a
// connection: the matched contact, the rule that fired and the exact
// answer. Nothing is stored and no provider is called.
func (s *Server) testRouting(c echo.Context) error {
	p := principalOf(c)
	if s.inbound == nil {
		return newProblem(probUnavailable, "Telephony is not enabled on this server.")
	}

	var in routingTestRequest
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}

	result, err := s.inbound.TestRoute(c.Request().Context(), p.WorkspaceID, c.Param("id"), in.From, in.To)
	if err != nil {
		return err
	}

	view := routingTestView{
		From: result.Event.From, To: result.Event.To, Decision: result.Decision,
		Answer: answerView{
			Status: result.Answer.Status, ContentType: result.Answer.ContentType, Body: string(result.Answer.Body),
		},
		Delivery: "webhook_answer",
	}
	if result.Command {
		view.Delivery = "api_command"
	}
	if result.Contact != nil {
		cv := viewContact(*result.Contact)
		view.Contact = &cv
	}
	if result.CRMContact != nil {
		view.CRMContact = viewCRMContact(*result.CRMContact)
	}
	return c.JSON(http.StatusOK, view)
}

// crmContactView is a contact found in a CRM during routing. Its id is
// `{crm connection id}/{record id}`, as in the routing decision.
type crmContactView struct {
	ID           string         `json:"id"`
	ExternalID   string         `json:"external_id"`
	DisplayName  string         `json:"display_name"`
	FirstName    string         `json:"first_name"`
	LastName     string         `json:"last_name"`
	Company      string         `json:"company"`
	Emails       []string       `json:"emails"`
	PhoneNumbers []string       `json:"phone_numbers"`
	ExtraData    map[string]any `json:"extra_data"`
	Owner        string         `json:"owner"`
	CRMURL       string         `json:"crm_url"`
}

func viewCRMContact(c routing.ContactEnv) *crmContactView {
	view := crmContactView{
		ID: c.ID, ExternalID: c.ExternalID, DisplayName: c.DisplayName, FirstName: c.FirstName, LastName: c.LastName,
		Company: c.Company, Emails: c.Emails, PhoneNumbers: c.PhoneNumbers, ExtraData: c.ExtraData,
		Owner: c.Owner, CRMURL: c.CRMURL,
	}
	if view.Emails == nil {
		view.Emails = []string{}
	}
	if view.PhoneNumbers == nil {
		view.PhoneNumbers = []string{}
	}
	if view.ExtraData == nil {
		view.ExtraData = map[string]any{}
	}
	return &view
}
