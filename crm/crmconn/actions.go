package crmconn

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/directory"
	"github.com/switchboard-oss/switchboard/crm/hubspot"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/crm/pipedrive"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// Test checks the credentials of the connection id of the workspace
// against the CRM and reports what they allow. What the test learns about
// the account, such as HubSpot's portal id, is stored in the connection's
// settings.
func (svc *Service) Test(ctx context.Context, workspaceID, id string) (crm.Capabilities, error) {
	conn, connector, err := svc.Open(ctx, workspaceID, id)
	if err != nil {
		return crm.Capabilities{}, err
	}
	capabilities, err := connector.Test(ctx)
	if err != nil {
		return crm.Capabilities{}, err
	}
	if capabilities.CanWriteCalls == nil {
		access, note, err := svc.callWriteAccess(ctx, workspaceID, id)
		if err != nil {
			return crm.Capabilities{}, err
		}
		if access != nil {
			capabilities.CanWriteCalls = access
			capabilities.Notes = dropCallWritesUncheckedNotes(capabilities.Notes)
		}
		if note != "" {
			capabilities.Notes = append(capabilities.Notes, note)
		}
	}

	if learned(&conn.Settings, connector) {
		if err := svc.saveSettings(ctx, &conn); err != nil {
			return crm.Capabilities{}, err
		}
	}
	return capabilities, nil
}

// failedLogsChecked bounds the failed call logs callWriteAccess reads.
const failedLogsChecked = 100

// callWriteAccess returns what the connection's call logs show about its
// access to write calls, for a CRM whose test cannot probe it. It returns
// false with a note when a failed log holds the CRM's rejection of the
// credentials, true when a call was logged, and nil when the logs show
// neither. A failed log stays failed until it is retried, so the note asks
// for that.
func (svc *Service) callWriteAccess(ctx context.Context, workspaceID, id string) (*bool, string, error) {
	failed, _, err := svc.store.ListCallLogs(ctx, store.CallLogQuery{
		WorkspaceID: workspaceID, ConnectionID: id, Status: store.CallLogFailed, Limit: failedLogsChecked,
	})
	if err != nil {
		return nil, "", err
	}
	for _, l := range failed {
		if strings.Contains(l.LastError, crm.ErrUnauthorized.Error()) {
			note := fmt.Sprintf("Call logs failed because the CRM rejected the write (%s). Grant the access, "+
				"then retry them with POST /v1/call-logs/retry.", l.LastError)
			return new(false), note, nil
		}
	}

	logged, _, err := svc.store.ListCallLogs(ctx, store.CallLogQuery{
		WorkspaceID: workspaceID, ConnectionID: id, Status: store.CallLogLogged, Limit: 1,
	})
	if err != nil || len(logged) == 0 {
		return nil, "", err
	}
	return new(true), "", nil
}

// dropCallWritesUncheckedNotes removes the connectors' notes that call
// writes were not checked, for a connection whose logged calls show them.
func dropCallWritesUncheckedNotes(notes []string) []string {
	return slices.DeleteFunc(notes, func(note string) bool {
		return note == hubspot.CallWritesUncheckedNote || note == pipedrive.CallWritesUncheckedNote
	})
}

// learned copies into s what a connector's test found out about the
// account and s lacks, and reports whether s changed: HubSpot's portal id
// and app domain, and Pipedrive's company domain, which deep links need.
func learned(s *Settings, connector crm.Connector) bool {
	switch c := connector.(type) {
	case *hubspot.Connector:
		if c.PortalID() == "" || c.PortalID() == s.PortalID {
			return false
		}
		s.PortalID = c.PortalID()
		if s.AppBaseURL == "" && c.AppBaseURL() != hubspot.DefaultAppBaseURL {
			s.AppBaseURL = c.AppBaseURL()
		}
		return true
	case *pipedrive.Connector:
		if c.CompanyDomain() == "" || c.CompanyDomain() == s.CompanyDomain {
			return false
		}
		s.CompanyDomain = c.CompanyDomain()
		return true
	}
	return false
}

// Fields lists the fields of the connection's CRM, live.
func (svc *Service) Fields(ctx context.Context, workspaceID, id string) ([]crm.Field, error) {
	_, connector, err := svc.Open(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	return connector.Fields(ctx)
}

// Mapping returns the connection's field mapping, and whether it is the
// default mapping of its kind because none was set.
func (svc *Service) Mapping(ctx context.Context, workspaceID, id string) (m mapping.Mapping, isDefault bool, err error) {
	conn, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return mapping.Mapping{}, false, err
	}
	return conn.EffectiveMapping(), conn.Mapping == nil, nil
}

// SetMapping validates m against the fields the CRM lists now and stores
// it as the connection's mapping. A CRM that cannot be reached fails the
// call, so that a mapping is never stored unchecked.
func (svc *Service) SetMapping(ctx context.Context, workspaceID, id string, m mapping.Mapping) (Connection, error) {
	if err := mapping.Validate(m, nil); err != nil {
		return Connection{}, svc.mappingErrors(ctx, workspaceID, id, m, err)
	}
	conn, connector, err := svc.Open(ctx, workspaceID, id)
	if err != nil {
		return Connection{}, err
	}
	fields, err := connector.Fields(ctx)
	if err != nil {
		return Connection{}, err
	}
	if err := mapping.Validate(m, fields); err != nil {
		return Connection{}, err
	}

	conn.Mapping = &m
	if err := svc.saveSettings(ctx, &conn); err != nil {
		return Connection{}, err
	}
	return conn, nil
}

// PreviewInput is the input of a mapping preview. Mapping replaces the
// connection's mapping and Record a sample from the CRM. Either may be nil.
type PreviewInput struct {
	Mapping *mapping.Mapping `json:"mapping"`
	Record  *RecordInput     `json:"record"`
}

// RecordInput is a CRM record written by a client, to preview a mapping
// without calling the CRM.
type RecordInput struct {
	ID         string         `json:"id"`
	Object     string         `json:"object"`
	Properties map[string]any `json:"properties"`
	OwnerID    string         `json:"owner_id"`
	OwnerName  string         `json:"owner_name"`
	OwnerEmail string         `json:"owner_email"`
	URL        string         `json:"url"`
}

func (r RecordInput) record() crm.Record {
	return crm.Record{
		ID: r.ID, Object: r.Object, Properties: r.Properties,
		OwnerID: r.OwnerID, OwnerName: r.OwnerName, OwnerEmail: r.OwnerEmail, URL: r.URL,
	}
}

// Preview is a record and the contact a mapping makes of it.
type Preview struct {
	Record  crm.Record
	Contact directory.ContactInput
	Mapping mapping.Mapping
	// MappingSource is "request", "stored" or "default".
	MappingSource string
}

// Preview maps a record with a mapping and returns both. Without
// in.Record it reads a sample record from the CRM and validates a mapping
// in in.Mapping against the CRM's fields. With in.Record nothing is read
// from the CRM, so only the mapping's shape is checked.
// Validation errors name the mapping's fields as mapping.fields[i]….
func (svc *Service) Preview(ctx context.Context, workspaceID, id string, in PreviewInput) (Preview, error) {
	conn, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Mapping: conn.EffectiveMapping(), MappingSource: "stored"}
	if conn.Mapping == nil {
		p.MappingSource = "default"
	}
	if in.Mapping != nil {
		p.Mapping, p.MappingSource = *in.Mapping, "request"
		if err := mapping.Validate(p.Mapping, nil); err != nil {
			if in.Record == nil {
				err = svc.mappingErrors(ctx, workspaceID, id, p.Mapping, err)
			}
			return Preview{}, prefixed("mapping", err)
		}
	}

	if in.Record != nil {
		p.Record = in.Record.record()
	} else if p.Record, err = svc.sample(ctx, conn, in.Mapping); err != nil {
		return Preview{}, err
	}

	w, err := svc.store.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return Preview{}, err
	}
	if p.Contact, err = mapping.Apply(p.Mapping, p.Record, w.DefaultRegion); err != nil {
		return Preview{}, prefixed("mapping", err)
	}
	return p, nil
}

// sample reads one record from the CRM, after checking requested, when
// set, against the CRM's fields. The connector reads the fields of the
// requested mapping too.
func (svc *Service) sample(ctx context.Context, conn Connection, requested *mapping.Mapping) (crm.Record, error) {
	if requested != nil {
		conn.Mapping = requested
	}
	connector, err := svc.Connector(ctx, conn)
	if err != nil {
		return crm.Record{}, err
	}
	if requested != nil {
		fields, err := connector.Fields(ctx)
		if err != nil {
			return crm.Record{}, err
		}
		if err := prefixed("mapping", mapping.Validate(*requested, fields)); err != nil {
			return crm.Record{}, err
		}
	}
	return connector.Sample(ctx)
}

// mappingErrors returns every error of m, a mapping whose shape is
// invalid with shapeErr, so sources the CRM does not have are reported
// along with the shape. It returns shapeErr alone when the CRM's fields
// cannot be read.
func (svc *Service) mappingErrors(ctx context.Context, workspaceID, id string, m mapping.Mapping, shapeErr error) error {
	fields, err := svc.Fields(ctx, workspaceID, id)
	if err != nil {
		return shapeErr
	}
	return mapping.Validate(m, fields)
}

// prefixed returns err with prefix before its field names when it is a
// validation error, and err otherwise.
func prefixed(prefix string, err error) error {
	verr, ok := err.(*validation.Error)
	if !ok {
		return err
	}
	var out validation.Error
	out.Merge(prefix, verr)
	return &out
}
