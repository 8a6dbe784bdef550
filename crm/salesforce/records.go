package salesforce

import (
	"fmt"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
)

// sobject is a record as the query and search resources return it: field
// values by API name, relationship fields as nested objects, and an
// "attributes" object with the type.
type sobject map[string]any

// queryResult is the response of the query resource and of a nextRecordsUrl.
type queryResult struct {
	Done           bool      `json:"done"`
	NextRecordsURL string    `json:"nextRecordsUrl"`
	Records        []sobject `json:"records"`
}

// searchResult is the response of the search resource.
type searchResult struct {
	SearchRecords []sobject `json:"searchRecords"`
}

// Salesforce writes dateTime values as 2024-03-01T10:00:00.000+0000.
// parseTime accepts the RFC 3339 form too.
const salesforceTime = "2006-01-02T15:04:05.000-0700"

func parseTime(value string) (time.Time, error) {
	t, err := time.Parse(salesforceTime, value)
	if err != nil {
		t, err = time.Parse(time.RFC3339, value)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid dateTime %q", value)
	}
	return t.UTC(), nil
}

// toRecord converts s into a crm.Record. The object name comes from
// s's attributes, or object when they have none. A record without an Id or
// with an invalid LastModifiedDate is an error wrapping crm.ErrUnavailable.
func (c *Connector) toRecord(s sobject, object string) (crm.Record, error) {
	if attributes, ok := s["attributes"].(map[string]any); ok {
		if typ, ok := attributes["type"].(string); ok && typ != "" {
			object = typ
		}
	}

	properties := make(map[string]any, len(s))
	flatten(properties, "", s)
	for _, relationship := range relationships(c.fields(object)) {
		if value, ok := properties[relationship]; ok && value == nil {
			delete(properties, relationship)
		}
	}

	id, _ := properties["Id"].(string)
	if id == "" {
		return crm.Record{}, fmt.Errorf("%w: salesforce %s record without Id", crm.ErrUnavailable, object)
	}

	r := crm.Record{
		ID:         id,
		Object:     object,
		Properties: properties,
		OwnerID:    stringValue(properties["OwnerId"]),
		OwnerName:  stringValue(properties["Owner.Name"]),
		OwnerEmail: stringValue(properties["Owner.Email"]),
	}
	if modified, ok := properties["LastModifiedDate"].(string); ok {
		updated, err := parseTime(modified)
		if err != nil {
			return crm.Record{}, fmt.Errorf("%w: salesforce %s %s: LastModifiedDate: %w", crm.ErrUnavailable, object, id, err)
		}
		r.UpdatedAt = updated
	}
	r.URL = c.RecordURL(r)
	return r, nil
}

// toRecords converts every record of list, with object as the fallback
// object name of toRecord.
func (c *Connector) toRecords(list []sobject, object string) ([]crm.Record, error) {
	records := make([]crm.Record, 0, len(list))
	for _, s := range list {
		r, err := c.toRecord(s, object)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	return records, nil
}

// flatten copies the fields of s into properties, naming the fields of a
// related record after the relationship ("Owner.Name") and leaving out
// "attributes".
func flatten(properties map[string]any, prefix string, s map[string]any) {
	for key, value := range s {
		if key == "attributes" {
			continue
		}
		if related, ok := value.(map[string]any); ok {
			flatten(properties, prefix+key+".", related)
			continue
		}
		properties[prefix+key] = value
	}
}

// relationships returns the relationship paths that fields read through:
// "Account" and "Account.Owner" for "Account.Owner.Name". A record returns
// such a relationship as null when it is empty, such as a Contact without
// an Account. toRecord drops that null instead of keeping it as a field.
func relationships(fields []string) []string {
	var paths []string
	for _, field := range fields {
		for i := range len(field) {
			if field[i] == '.' {
				paths = append(paths, field[:i])
			}
		}
	}
	return paths
}

func stringValue(value any) string {
	s, _ := value.(string)
	return s
}
