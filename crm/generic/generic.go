package generic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/tidwall/gjson"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/crmhttp"
)

// ErrSyncNotConfigured is returned by ListChanged when the connection has
// no list URL template.
var ErrSyncNotConfigured = errors.New("sync is not configured for this generic CRM connection: set settings.list_url_template")

// Connector reads a CRM through the requests its Config describes. It
// implements crm.Connector.
type Connector struct {
	cfg    Config
	client *http.Client
	method string
	object string
	// configErr is the ValidateConfig result, returned by every method that
	// sends a request.
	configErr error
}

var _ crm.Connector = (*Connector)(nil)

// New returns a connector for cfg. An invalid cfg (see ValidateConfig)
// makes every method that sends a request return the validation error.
func New(cfg Config) *Connector {
	c := &Connector{
		cfg:       cfg,
		client:    cfg.HTTPClient,
		method:    strings.ToUpper(cfg.Method),
		object:    cfg.Object,
		configErr: ValidateConfig(cfg),
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if c.object == "" {
		c.object = DefaultObject
	}
	if c.cfg.TestNumber == "" {
		c.cfg.TestNumber = DefaultTestNumber
	}
	return c
}

// Kind returns crm.KindGeneric.
func (c *Connector) Kind() crm.Kind { return crm.KindGeneric }

// RecordURL fills RecordURLTemplate with r's id, or returns "" when there
// is no template.
func (c *Connector) RecordURL(r crm.Record) string {
	if c.cfg.RecordURLTemplate == "" {
		return ""
	}
	return renderURL(c.cfg.RecordURLTemplate, map[string]string{PlaceholderID: r.ID})
}

// SearchByPhone sends the lookup request for forms[0], an E.164 number. It
// ignores the other forms because the placeholders derive every form from
// forms[0]. A 404 response means no match.
func (c *Connector) SearchByPhone(ctx context.Context, forms []string) ([]crm.Record, error) {
	if c.configErr != nil {
		return nil, c.configErr
	}
	if len(forms) == 0 {
		return nil, nil
	}

	values, err := phoneValues(forms[0])
	if err != nil {
		return nil, err
	}
	body, err := c.lookup(ctx, values)
	if err != nil || body == nil {
		return nil, err
	}
	return c.toRecords(body, c.cfg.ResultsPath)
}

// phoneValues returns the phone placeholder values of an E.164 number.
func phoneValues(e164 string) (map[string]string, error) {
	parsed, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil, fmt.Errorf("generic CRM lookup: %q is not an E.164 phone number: %w", e164, err)
	}
	formatted := phonenumbers.Format(parsed, phonenumbers.E164)
	return map[string]string{
		PlaceholderE164:           formatted,
		PlaceholderDigits:         strings.TrimPrefix(formatted, "+"),
		PlaceholderNational:       phonenumbers.Format(parsed, phonenumbers.NATIONAL),
		PlaceholderNationalDigits: phonenumbers.GetNationalSignificantNumber(parsed),
	}, nil
}

// lookup sends the lookup request and returns the response body, or nil
// for a 404.
func (c *Connector) lookup(ctx context.Context, values map[string]string) ([]byte, error) {
	var body any
	if c.method == http.MethodPost && c.cfg.BodyTemplate != "" {
		body = json.RawMessage(renderJSON(c.cfg.BodyTemplate, values))
	}
	req, err := crmhttp.NewJSONRequest(ctx, c.method, renderURL(c.cfg.LookupURLTemplate, values), body)
	if err != nil {
		return nil, err
	}

	var response json.RawMessage
	err = crmhttp.Do(ctx, c.client, req, &response)
	if crmhttp.IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("generic CRM lookup: %w", err)
	}
	return response, nil
}

// toRecords converts the records of body at path.
func (c *Connector) toRecords(body []byte, path string) ([]crm.Record, error) {
	list, err := items(body, path)
	if err != nil {
		return nil, err
	}
	records := make([]crm.Record, 0, len(list))
	for _, item := range list {
		r, err := c.toRecord(item)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	return records, nil
}

// ListChanged requests one page of ListURLTemplate. The records are sorted
// by UpdatedAt within the page, but across pages the order is the CRM's.
// Next is the value at NextCursorPath.
func (c *Connector) ListChanged(ctx context.Context, since time.Time, cursor string) (crm.Page, error) {
	if c.configErr != nil {
		return crm.Page{}, c.configErr
	}
	if c.cfg.ListURLTemplate == "" {
		return crm.Page{}, ErrSyncNotConfigured
	}

	req, err := crmhttp.NewJSONRequest(ctx, http.MethodGet, c.listURL(since, cursor), nil)
	if err != nil {
		return crm.Page{}, err
	}
	var response json.RawMessage
	if err := crmhttp.Do(ctx, c.client, req, &response); err != nil {
		return crm.Page{}, fmt.Errorf("generic CRM change listing: %w", err)
	}

	path := c.cfg.ListResultsPath
	if path == "" {
		path = c.cfg.ResultsPath
	}
	records, err := c.toRecords(response, path)
	if err != nil {
		return crm.Page{}, err
	}
	slices.SortStableFunc(records, func(a, b crm.Record) int { return a.UpdatedAt.Compare(b.UpdatedAt) })

	page := crm.Page{Records: records}
	if c.cfg.NextCursorPath != "" {
		page.Next = gjson.GetBytes(response, c.cfg.NextCursorPath).String()
	}
	if page.Next != "" && page.Next == cursor {
		return crm.Page{}, fmt.Errorf("%w: generic CRM returned the cursor of the requested page, %q, as the next one", crm.ErrUnavailable, cursor)
	}
	return page, nil
}

// listURL returns the URL of the listing page at cursor: the cursor itself
// when it is an absolute URL on the host of ListURLTemplate, the filled
// template otherwise.
func (c *Connector) listURL(since time.Time, cursor string) string {
	values := map[string]string{PlaceholderSince: c.formatSince(since), PlaceholderCursor: cursor}
	rendered := renderURL(c.cfg.ListURLTemplate, values)

	next, err := url.Parse(cursor)
	if err != nil || next.Host == "" {
		return rendered
	}
	template, err := url.Parse(rendered)
	if err == nil && next.Scheme == template.Scheme && next.Host == template.Host {
		return cursor
	}
	return rendered
}

// formatSince writes since in SinceFormat. The zero time becomes the Unix
// epoch because APIs tend to reject the year 1.
func (c *Connector) formatSince(since time.Time) string {
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	switch c.cfg.SinceFormat {
	case SinceUnix:
		return strconv.FormatInt(since.Unix(), 10)
	case SinceUnixMS:
		return strconv.FormatInt(since.UnixMilli(), 10)
	}
	return since.UTC().Format(time.RFC3339)
}
