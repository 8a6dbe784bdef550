package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
)

// describeResult is the part of an sObject describe response that Fields
// reads.
type describeResult struct {
	Fields []struct {
		Name           string `json:"name"`
		Label          string `json:"label"`
		Type           string `json:"type"`
		PicklistValues []struct {
			Value  string `json:"value"`
			Active bool   `json:"active"`
		} `json:"picklistValues"`
	} `json:"fields"`
}

// Fields describes every configured object and lists its fields, followed
// by the relationship fields the connector reads, such as Owner.Name.
func (c *Connector) Fields(ctx context.Context) ([]crm.Field, error) {
	var fields []crm.Field
	for _, object := range c.objects {
		var described describeResult
		if err := c.get(ctx, c.dataPath("sobjects/"+object+"/describe"), nil, &described); err != nil {
			return nil, fmt.Errorf("describing salesforce %s: %w", object, err)
		}

		for _, f := range described.Fields {
			field := crm.Field{Name: f.Name, Label: f.Label, Type: f.Type, Object: object}
			for _, option := range f.PicklistValues {
				if option.Active {
					field.Options = append(field.Options, option.Value)
				}
			}
			fields = append(fields, field)
		}
		fields = append(fields, relationshipFields(object, c.fields(object))...)
	}
	return fields, nil
}

// relationshipFields lists the fields read through a relationship, which
// describe does not list.
func relationshipFields(object string, read []string) []crm.Field {
	var fields []crm.Field
	for _, name := range read {
		if !strings.Contains(name, ".") {
			continue
		}
		label := relationshipLabels[name]
		if label == "" {
			label = name
		}
		fields = append(fields, crm.Field{Name: name, Label: label, Type: "string", Object: object})
	}
	return fields
}

// globalObject is one object of the describe global response.
type globalObject struct {
	Name          string `json:"name"`
	Queryable     bool   `json:"queryable"`
	Searchable    bool   `json:"searchable"`
	Createable    bool   `json:"createable"`
	Replicateable bool   `json:"replicateable"`
}

// Test checks that the org offers the configured API version and reads the
// organization's name and Id for Capabilities.Account. The capabilities
// come from the object permissions of describe global. Searching needs the
// configured objects searchable and listing needs them queryable. Owners
// need User queryable, and logging calls needs Task createable.
func (c *Connector) Test(ctx context.Context) (crm.Capabilities, error) {
	if err := c.checkVersion(ctx); err != nil {
		return crm.Capabilities{}, err
	}

	var caps crm.Capabilities
	account, err := c.organization(ctx)
	switch {
	case errors.Is(err, crm.ErrUnauthorized), errors.Is(err, crm.ErrUnavailable), isRateLimited(err):
		return crm.Capabilities{}, err
	case err != nil:
		caps.Notes = append(caps.Notes, "The organization could not be read: "+err.Error())
	}
	caps.Account = account

	var global struct {
		SObjects []globalObject `json:"sobjects"`
	}
	if err := c.get(ctx, c.dataPath("sobjects/"), nil, &global); err != nil {
		return crm.Capabilities{}, fmt.Errorf("listing salesforce objects: %w", err)
	}
	byName := make(map[string]globalObject, len(global.SObjects))
	for _, object := range global.SObjects {
		byName[object.Name] = object
	}

	c.objectCapabilities(&caps, byName)
	caps.CanReadOwners = byName["User"].Queryable
	if !caps.CanReadOwners {
		caps.Notes = append(caps.Notes, "The user cannot query User records, so record owners are missing. Grant read access to users.")
	}
	canWriteCalls := byName["Task"].Createable
	caps.CanWriteCalls = &canWriteCalls
	if !canWriteCalls {
		caps.Notes = append(caps.Notes, "The user cannot create Task records, so calls cannot be logged as activities.")
	}
	return caps, nil
}

// objectCapabilities sets CanSearchPhone and CanListChanges from the
// permissions on the configured objects, with a note per missing one.
func (c *Connector) objectCapabilities(caps *crm.Capabilities, byName map[string]globalObject) {
	caps.CanSearchPhone, caps.CanListChanges = true, true
	for _, name := range c.objects {
		object, ok := byName[name]
		if !ok {
			caps.CanSearchPhone, caps.CanListChanges = false, false
			caps.Notes = append(caps.Notes, fmt.Sprintf("The user has no access to %s records. Grant read access or remove %s from the objects.", name, name))
			continue
		}
		if !object.Searchable {
			caps.CanSearchPhone = false
			caps.Notes = append(caps.Notes, fmt.Sprintf("%s records are not searchable, so calls cannot be matched to them.", name))
		}
		if !object.Queryable {
			caps.CanListChanges = false
			caps.Notes = append(caps.Notes, fmt.Sprintf("%s records cannot be queried, so they cannot be synced.", name))
		}
		if object.Queryable && !object.Replicateable {
			caps.Notes = append(caps.Notes, fmt.Sprintf("%s is not replicateable, so a sync cannot read its deletions.", name))
		}
	}
}

// checkVersion fails when the org does not offer the configured API
// version, naming the latest one it offers.
func (c *Connector) checkVersion(ctx context.Context) error {
	var versions []struct {
		Version string `json:"version"`
	}
	if err := c.get(ctx, "/services/data/", nil, &versions); err != nil {
		return fmt.Errorf("listing salesforce API versions: %w", err)
	}

	offered := make([]string, len(versions))
	for i, v := range versions {
		offered[i] = v.Version
	}
	if slices.Contains(offered, c.version) {
		return nil
	}
	latest := "none"
	if len(offered) > 0 {
		latest = offered[len(offered)-1]
	}
	return fmt.Errorf("salesforce org does not offer REST API version %s (latest offered: %s); set settings.api_version to an offered version", c.version, latest)
}

// organization returns "Name (Id)" of the org.
func (c *Connector) organization(ctx context.Context) (string, error) {
	query := url.Values{"q": {"SELECT Id, Name FROM Organization"}}
	var result queryResult
	if err := c.get(ctx, c.dataPath("query"), query, &result); err != nil {
		return "", fmt.Errorf("reading the salesforce organization: %w", err)
	}
	if len(result.Records) == 0 {
		return "", fmt.Errorf("reading the salesforce organization: no Organization record")
	}

	org := result.Records[0]
	return fmt.Sprintf("%s (%s)", stringValue(org["Name"]), stringValue(org["Id"])), nil
}

func isRateLimited(err error) bool {
	var limited *crm.RateLimitedError
	return errors.As(err, &limited)
}
