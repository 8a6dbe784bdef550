package crm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind names a CRM connector.
type Kind string

// Connector kinds.
const (
	KindHubSpot    Kind = "hubspot"
	KindPipedrive  Kind = "pipedrive"
	KindSalesforce Kind = "salesforce"
	KindGeneric    Kind = "generic"
)

// Record is one contact-like record of a CRM (a HubSpot contact, a
// Pipedrive person, a Salesforce Contact or Lead) as a connector read it.
type Record struct {
	// ID is the CRM's id; it becomes the contact's external_id.
	ID string
	// Object is the CRM object type, such as "contact", "person" or "Lead".
	Object string
	// Properties are the raw values by CRM field name.
	Properties map[string]any
	OwnerID    string
	OwnerName  string
	OwnerEmail string
	// URL is the deep link that opens the record in the CRM.
	URL       string
	UpdatedAt time.Time
	// Archived is true for a record deleted or archived in the CRM.
	Archived bool
}

// Field is a CRM field that a mapping can read.
type Field struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Object  string   `json:"object"`
	Options []string `json:"options,omitempty"`
}

// Capabilities is the set of operations a connection's credentials
// allow, as found by its test action.
type Capabilities struct {
	// Account names the CRM account or portal the credentials belong to.
	Account        string   `json:"account"`
	Scopes         []string `json:"scopes,omitempty"`
	CanSearchPhone bool     `json:"can_search_phone"`
	CanListChanges bool     `json:"can_list_changes"`
	CanReadOwners  bool     `json:"can_read_owners"`
	// CanWriteCalls is nil when the test cannot tell without writing a
	// call, as for HubSpot and Pipedrive, until the connection has logged
	// a call.
	CanWriteCalls *bool `json:"can_write_calls"`
	// Notes explain missing capabilities in words an admin can act on.
	Notes []string `json:"notes,omitempty"`
}

// Page is one page of records; Next is empty on the last page.
type Page struct {
	Records []Record
	Next    string
}

// Connector reads one CRM account. Implementations are safe for
// concurrent use and send every request through the *http.Client they
// were built with, which carries the authentication.
type Connector interface {
	Kind() Kind
	// Test checks the credentials and reports what they allow.
	Test(ctx context.Context) (Capabilities, error)
	// Fields lists the fields of the contact-like objects, live from the
	// CRM.
	Fields(ctx context.Context) ([]Field, error)
	// SearchByPhone finds records whose phone fields match any of forms.
	// forms[0] is the E.164 form; the rest are the national and digit
	// forms CRMs that keep numbers as free text may hold.
	SearchByPhone(ctx context.Context, forms []string) ([]Record, error)
	// ListChanged returns records changed at or after since, oldest change
	// first, one page at a time; cursor is "" for the first page.
	ListChanged(ctx context.Context, since time.Time, cursor string) (Page, error)
	// Sample returns one record, for previewing a field mapping.
	Sample(ctx context.Context) (Record, error)
	// RecordURL returns the deep link to r in the CRM's web app.
	RecordURL(r Record) string
}

// ErrUnauthorized is returned (wrapped) when the CRM rejects the
// credentials (HTTP 401 or 403).
var ErrUnauthorized = errors.New("CRM rejected the credentials")

// ErrUnavailable is returned (wrapped) when the CRM cannot be used right
// now: a 5xx answer, a timeout, or a body that cannot be read.
var ErrUnavailable = errors.New("CRM is unavailable")

// ErrNoSample is returned (wrapped) by Sample when the CRM has no record.
var ErrNoSample = errors.New("CRM has no record to sample")

// RateLimitedError is a 429 answer. RetryAfter is how long the CRM asked
// to wait; zero when it did not say.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("CRM rate limit reached: retry after %s", e.RetryAfter)
	}
	return "CRM rate limit reached"
}
