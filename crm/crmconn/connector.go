package crmconn

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/hubspot"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/crm/pipedrive"
	"github.com/switchboard-oss/switchboard/crm/salesforce"
)

// maxCachedConnectors bounds the connectors Open keeps. A full cache is
// emptied rather than evicted entry by entry: a deployment with more CRM
// connections rebuilds connectors more often, nothing else.
const maxCachedConnectors = 1000

type cachedConnector struct {
	updatedAt time.Time
	connector crm.Connector
}

// Connector builds the connector of conn's kind over an HTTP client that
// authenticates as conn. An OAuth connection must be authorized first.
func (svc *Service) Connector(ctx context.Context, conn Connection) (crm.Connector, error) {
	client, err := svc.HTTPClient(conn)
	if err != nil {
		return nil, err
	}

	switch conn.Kind {
	case crm.KindHubSpot:
		return hubspot.New(hubspot.Config{
			BaseURL:    conn.BaseURL,
			HTTPClient: client,
			PortalID:   conn.Settings.PortalID,
			AppBaseURL: conn.Settings.AppBaseURL,
			Properties: mappedFields(conn.EffectiveMapping()),
		}), nil
	case crm.KindSalesforce:
		instance := conn.Settings.InstanceURL
		if conn.BaseURL != "" {
			instance = conn.BaseURL
		}
		return salesforce.New(salesforce.Config{
			InstanceURL: instance,
			HTTPClient:  client,
			APIVersion:  conn.Settings.APIVersion,
			Objects:     conn.Settings.Objects,
			ExtraFields: conn.Settings.ExtraFields,
		}), nil
	case crm.KindPipedrive:
		base := conn.BaseURL
		if base == "" && conn.Auth.Type == AuthOAuth2 {
			base = conn.Auth.APIDomain
		}
		return pipedrive.New(pipedrive.Config{
			BaseURL:       base,
			HTTPClient:    client,
			CompanyDomain: conn.Settings.CompanyDomain,
		}), nil
	case crm.KindGeneric:
		cfg := conn.Settings.genericConfig()
		cfg.HTTPClient = client
		return generic.New(cfg), nil
	}
	return nil, fmt.Errorf("CRM connection %s: no connector is built in for kind %q", conn.ID, conn.Kind)
}

// Open returns the connection id of the workspace and its connector. The
// connector is reused while the connection is unchanged, so what it
// caches, such as HubSpot owners, lasts beyond one call.
func (svc *Service) Open(ctx context.Context, workspaceID, id string) (Connection, crm.Connector, error) {
	conn, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return Connection{}, nil, err
	}

	svc.mu.Lock()
	cached, ok := svc.connectors[id]
	svc.mu.Unlock()
	if ok && cached.updatedAt.Equal(conn.UpdatedAt) {
		return conn, cached.connector, nil
	}

	connector, err := svc.Connector(ctx, conn)
	if err != nil {
		return Connection{}, nil, err
	}
	svc.mu.Lock()
	if len(svc.connectors) >= maxCachedConnectors {
		clear(svc.connectors)
	}
	svc.connectors[id] = cachedConnector{updatedAt: conn.UpdatedAt, connector: connector}
	svc.mu.Unlock()
	return conn, connector, nil
}

// mappedFields returns the CRM fields m reads, record sources left out:
// connectors that read named fields only, such as HubSpot, add them to
// their own list.
func mappedFields(m mapping.Mapping) []string {
	var names []string
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !strings.HasPrefix(name, "$") && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, f := range m.Fields {
		add(f.Source)
		for _, source := range f.Sources {
			add(source)
		}
		for _, name := range mapping.TemplateFields(f.Template) {
			add(name)
		}
	}
	return names
}

// notAuthorized returns the error of an OAuth connection without tokens.
func notAuthorized(conn Connection) error {
	return fmt.Errorf("%w: CRM connection %s has no OAuth tokens; authorize it with GET /v1/crm-connections/%s/oauth/authorize",
		ErrNotAuthorized, conn.ID, conn.ID)
}
