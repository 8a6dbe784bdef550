package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
)

// sampleContact is one contact of the demo phonebook, in the form of the
// batch upsert API.
type sampleContact struct {
	ExternalID   string         `json:"external_id"`
	FirstName    string         `json:"first_name"`
	LastName     string         `json:"last_name"`
	Company      string         `json:"company"`
	Emails       []string       `json:"emails,omitempty"`
	PhoneNumbers []samplePhone  `json:"phone_numbers"`
	ExtraData    map[string]any `json:"extra_data"`
}

type samplePhone struct {
	Label  string `json:"label"`
	Number string `json:"number"`
}

// sampleContacts is the demo phonebook. The numbers are written in the
// many ways a CRM export has them; the workspace reads those without a
// country code as US numbers. All are in ranges set aside for fiction:
// 555-01xx in North America, 020 7946 0xxx in London, 0491 570 xxx in
// Australia. owner_extension is a string for some and a JSON number for
// others, as CRM exports mix them.
var sampleContacts = []sampleContact{
	{ExternalID: "crm-1001", FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines Ltd",
		Emails:       []string{"ada@analytical.example"},
		PhoneNumbers: []samplePhone{{Label: "mobile", Number: "+44 20 7946 0018"}},
		ExtraData:    map[string]any{"tier": "vip", "owner_extension": "201"}},
	{ExternalID: "crm-1002", FirstName: "Grace", LastName: "Hopper", Company: "Harbor Compilers Inc",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "(415) 555-0142"}},
		ExtraData:    map[string]any{"tier": "gold", "owner_extension": 204}},
	{ExternalID: "crm-1003", FirstName: "Alan", LastName: "Turing", Company: "Bletchley Analytics",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "415.555.0107"}},
		ExtraData:    map[string]any{"tier": "standard"}},
	{ExternalID: "crm-1004", FirstName: "Katherine", LastName: "Johnson", Company: "Langley Orbital",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "+1 (212) 555-0173"}},
		ExtraData:    map[string]any{"tier": "vip"}},
	{ExternalID: "crm-1005", FirstName: "Edsger", LastName: "Dijkstra", Company: "Shortest Path BV",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "212-555-0188"}, {Label: "mobile", Number: "+44 20 7946 0321"}},
		ExtraData:    map[string]any{"tier": "standard", "owner_extension": "207"}},
	{ExternalID: "crm-1006", FirstName: "Barbara", LastName: "Liskov", Company: "Substitution Partners",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "1 (617) 555-0134"}},
		ExtraData:    map[string]any{"tier": "gold"}},
	{ExternalID: "crm-1007", FirstName: "Margaret", LastName: "Hamilton", Company: "Apollo Guidance LLC",
		PhoneNumbers: []samplePhone{{Label: "mobile", Number: "+1.617.555.0161"}},
		ExtraData:    map[string]any{"tier": "vip", "owner_extension": 209}},
	{ExternalID: "crm-1008", FirstName: "Donald", LastName: "Knuth", Company: "Literate Programs",
		PhoneNumbers: []samplePhone{{Label: "home", Number: "650 555 0122"}},
		ExtraData:    map[string]any{"tier": "standard"}},
	{ExternalID: "crm-1009", FirstName: "Radia", LastName: "Perlman", Company: "Spanning Tree Networks",
		PhoneNumbers: []samplePhone{{Label: "mobile", Number: "+61 491 570 156"}},
		ExtraData:    map[string]any{"tier": "gold", "owner_extension": "210"}},
	{ExternalID: "crm-1010", FirstName: "John", LastName: "Backus", Company: "Formula Translators",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "(312) 555-0145"}},
		ExtraData:    map[string]any{"tier": "standard"}},
	{ExternalID: "crm-1011", FirstName: "Frances", LastName: "Allen", Company: "Optimizing Compilers Co",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "+1 415 555 0126"}},
		ExtraData:    map[string]any{"tier": "gold", "owner_extension": "212"}},
	{ExternalID: "crm-1012", FirstName: "Ken", LastName: "Thompson", Company: "Bell Street Labs",
		PhoneNumbers: []samplePhone{{Label: "work", Number: "+1-908-555-0117"}},
		ExtraData:    map[string]any{"tier": "standard"}},
}

// Routing rules of the demo connections, in the JSON form of the API.
var (
	ruleVIP = map[string]any{
		"name":  "VIP callers",
		"when":  `contact != nil && contact.extra_data.tier == "vip"`,
		"route": map[string]any{"kind": "queue", "target": "vip"},
	}
	ruleOwnerExtension = map[string]any{
		"name":        "Owner's extension",
		"when":        `contact?.extra_data?.owner_extension != nil`,
		"target_expr": `contact.extra_data.owner_extension`,
		"route":       map[string]any{"kind": "extension", "timeout_seconds": 20},
	}
	ruleUnknownCallers = map[string]any{
		"name":  "Unknown callers",
		"when":  `contact == nil`,
		"route": map[string]any{"kind": "number", "target": "(415) 555-0100", "timeout_seconds": 20},
	}
	routeSalesQueue = map[string]any{"kind": "queue", "target": "sales"}
)

// demoSetup is the phonebook and the connections the demo created through
// the API.
type demoSetup struct {
	phonebookID string
	twilio      twilioSender
	telnyx      telnyxSender
}

// connectionView holds the fields of a telephony connection response that
// the demo reads.
type connectionView struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	WebhookURLs map[string]string `json:"webhook_urls"`
}

// loadPhonebook creates the "Customers" phonebook and upserts the sample
// contacts in one batch.
func loadPhonebook(ctx context.Context, api *apiClient, setup *demoSetup, log *printer) error {
	var pb struct {
		ID string `json:"id"`
	}
	if err := api.call(ctx, http.MethodPost, "/v1/phonebooks", map[string]string{"name": "Customers"}, http.StatusCreated, &pb); err != nil {
		return err
	}
	setup.phonebookID = pb.ID

	var report struct {
		Created int `json:"created"`
		Failed  int `json:"failed"`
	}
	body := map[string]any{"contacts": sampleContacts}
	if err := api.call(ctx, http.MethodPost, "/v1/phonebooks/"+pb.ID+"/contacts/batch", body, http.StatusOK, &report); err != nil {
		return err
	}
	if report.Created != len(sampleContacts) || report.Failed != 0 {
		return fmt.Errorf("batch upsert of the sample phonebook: created %d and failed %d of %d contacts", report.Created, report.Failed, len(sampleContacts))
	}
	log.step("POST /v1/phonebooks and /contacts/batch: phonebook %q (%s) with %d contacts", "Customers", pb.ID, report.Created)
	return nil
}

// createTwilioConnection creates the Twilio connection with a made-up
// account SID and a random auth token, which signs the demo's webhooks.
func createTwilioConnection(ctx context.Context, api *apiClient, setup *demoSetup, log *printer) error {
	accountSID := "AC" + randomHex(16)
	authToken := randomHex(16)
	in := map[string]any{
		"provider":      "twilio",
		"name":          "Main line (Twilio)",
		"credentials":   map[string]string{"account_id": accountSID, "auth_token": authToken},
		"phonebook_ids": []string{setup.phonebookID},
		"routing_rules": []any{ruleVIP, ruleOwnerExtension, ruleUnknownCallers},
		"default_route": routeSalesQueue,
	}
	var conn connectionView
	if err := api.call(ctx, http.MethodPost, "/v1/telephony-connections", in, http.StatusCreated, &conn); err != nil {
		return err
	}

	setup.twilio = twilioSender{accountSID: accountSID, authToken: authToken, voiceURL: conn.WebhookURLs["voice"], statusURL: conn.WebhookURLs["status"]}
	if setup.twilio.voiceURL == "" || setup.twilio.statusURL == "" {
		return fmt.Errorf("the Twilio connection lists no voice or status webhook URL: %v", conn.WebhookURLs)
	}
	log.step("POST /v1/telephony-connections: %q (%s)", conn.Name, conn.ID)
	log.detail("rules: VIP callers → queue vip; owner's extension → extension from contact.extra_data.owner_extension;")
	log.detail("       unknown callers → number (415) 555-0100; default route → queue sales")
	log.detail("voice webhook:  %s", setup.twilio.voiceURL)
	log.detail("status webhook: %s", setup.twilio.statusURL)
	return nil
}

// createTelnyxConnection generates an Ed25519 key pair, registers its
// public key as the connection's webhook key and points the connection's
// Call Control API at the fake API.
func createTelnyxConnection(ctx context.Context, api *apiClient, setup *demoSetup, fake *fakeTelnyxAPI, log *printer) error {
	publicKey, privateKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate the Telnyx signing key: %w", err)
	}
	apiKey := "KEY" + randomHex(16)
	in := map[string]any{
		"provider": "telnyx",
		"name":     "Support line (Telnyx)",
		"credentials": map[string]string{
			"api_key":      apiKey,
			"public_key":   base64.StdEncoding.EncodeToString(publicKey),
			"api_base_url": fake.URL(),
		},
		"phonebook_ids": []string{setup.phonebookID},
		"routing_rules": []any{ruleVIP, ruleOwnerExtension},
		"default_route": routeSalesQueue,
	}
	var conn connectionView
	if err := api.call(ctx, http.MethodPost, "/v1/telephony-connections", in, http.StatusCreated, &conn); err != nil {
		return err
	}

	setup.telnyx = telnyxSender{privateKey: privateKey, apiKey: apiKey, eventsURL: conn.WebhookURLs["events"]}
	if setup.telnyx.eventsURL == "" {
		return fmt.Errorf("the Telnyx connection lists no events webhook URL: %v", conn.WebhookURLs)
	}
	log.step("POST /v1/telephony-connections: %q (%s)", conn.Name, conn.ID)
	log.detail("rules: VIP callers → queue vip; owner's extension → extension; default route → queue sales")
	log.detail("events webhook: %s", setup.telnyx.eventsURL)
	log.detail("Call Control API: %s (a fake on loopback)", fake.URL())
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}
