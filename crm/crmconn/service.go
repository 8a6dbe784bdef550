package crmconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// DefaultRequestTimeout bounds one request to a CRM or its token endpoint,
// body included, when Options.RequestTimeout is 0.
const DefaultRequestTimeout = 20 * time.Second

// ErrNotAuthorized is returned (wrapped) when an OAuth connection is used
// before an admin authorized it.
var ErrNotAuthorized = errors.New("CRM connection is not authorized yet")

// ErrNotOAuth is returned (wrapped) by the OAuth operations on a
// connection that authenticates with a token.
var ErrNotOAuth = errors.New("CRM connection does not use OAuth")

// Options are the optional settings of a Service.
type Options struct {
	// Transport carries every request to CRMs and their token endpoints; a
	// clone of http.DefaultTransport when nil.
	Transport http.RoundTripper
	// RequestTimeout bounds one request, body included;
	// DefaultRequestTimeout when 0. Callers with a tighter deadline pass it
	// in the context.
	RequestTimeout time.Duration
	// Log receives authorizations and token refreshes, never a secret; a
	// no-op logger when nil.
	Log *zap.Logger
	// Now is the clock of token expiry and OAuth state; time.Now when nil.
	Now func() time.Time
}

// Service manages the CRM connections of every workspace and builds their
// connectors. It is safe for concurrent use.
type Service struct {
	store     *store.Store
	keyring   *secret.Keyring
	stateKey  []byte
	transport http.RoundTripper
	timeout   time.Duration
	log       *zap.Logger
	now       func() time.Time

	mu sync.Mutex
	// sources holds one token source per OAuth connection, shared by every
	// connector of it, so that one refresh runs at a time.
	sources map[string]*tokenSource
	// connectors caches Open's connectors by connection id.
	connectors map[string]cachedConnector
}

// New returns the service over st, encrypting credentials with keyring.
func New(st *store.Store, keyring *secret.Keyring, opts Options) *Service {
	svc := &Service{
		store:      st,
		keyring:    keyring,
		stateKey:   keyring.Subkey(LabelOAuthState),
		transport:  opts.Transport,
		timeout:    opts.RequestTimeout,
		log:        opts.Log,
		now:        opts.Now,
		sources:    map[string]*tokenSource{},
		connectors: map[string]cachedConnector{},
	}
	if svc.transport == nil {
		svc.transport = defaultTransport()
	}
	if svc.timeout == 0 {
		svc.timeout = DefaultRequestTimeout
	}
	if svc.log == nil {
		svc.log = zap.NewNop()
	}
	if svc.now == nil {
		svc.now = time.Now
	}
	return svc
}

// defaultTransport is http.DefaultTransport with shorter connect and TLS
// timeouts: a CRM lookup runs inside a call's routing deadline.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.MaxIdleConnsPerHost = 16
	return t
}

// Create validates in and stores it as a new connection of the workspace.
func (svc *Service) Create(ctx context.Context, workspaceID string, in Input) (Connection, error) {
	if err := checkKind(in.Kind); err != nil {
		return Connection{}, err
	}
	conn := Connection{
		WorkspaceID:         workspaceID,
		Kind:                crm.Kind(in.Kind),
		SyncIntervalSeconds: store.DefaultCRMSyncIntervalSeconds,
	}
	conn.apply(Patch{
		Name: &in.Name, BaseURL: &in.BaseURL, Settings: &in.Settings, PhonebookID: &in.PhonebookID,
		SyncEnabled: in.SyncEnabled, SyncIntervalSeconds: in.SyncIntervalSeconds,
	})
	if in.Auth != nil {
		conn.Auth = Auth{AuthConfig: trimAuth(*in.Auth)}
	}
	if err := svc.check(ctx, conn, in.Auth == nil); err != nil {
		return Connection{}, err
	}

	rec, err := svc.record(conn)
	if err != nil {
		return Connection{}, err
	}
	if err := svc.store.CreateCRMConnection(ctx, &rec); err != nil {
		return Connection{}, err
	}
	conn.ID, conn.CreatedAt, conn.UpdatedAt = rec.ID, rec.CreatedAt.Time, rec.UpdatedAt.Time
	return conn, nil
}

// Get returns the connection id of the workspace.
func (svc *Service) Get(ctx context.Context, workspaceID, id string) (Connection, error) {
	rec, err := svc.store.GetCRMConnection(ctx, workspaceID, id)
	if err != nil {
		return Connection{}, err
	}
	return svc.connection(rec)
}

// List returns every connection of the workspace, oldest first.
func (svc *Service) List(ctx context.Context, workspaceID string) ([]Connection, error) {
	records, err := svc.store.ListCRMConnections(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]Connection, len(records))
	for i, rec := range records {
		if out[i], err = svc.connection(rec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update applies patch to the connection id of the workspace, validates
// the result as Create does, and stores it. The kind cannot change.
func (svc *Service) Update(ctx context.Context, workspaceID, id string, patch Patch) (Connection, error) {
	conn, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return Connection{}, err
	}
	conn.apply(patch)
	if err := svc.check(ctx, conn, false); err != nil {
		return Connection{}, err
	}

	if patch.Auth != nil {
		conn.Auth, err = svc.updateAuth(ctx, workspaceID, id, func(a *Auth) error {
			*a = applyAuth(conn.Kind, *a, *patch.Auth)
			return nil
		})
		if err != nil {
			return Connection{}, err
		}
		svc.source(conn).reset(conn.Auth.token())
	}
	if err := svc.saveSettings(ctx, &conn); err != nil {
		return Connection{}, err
	}
	return conn, nil
}

// Delete deletes the connection id of the workspace with its sync state
// and history. Its phonebook stays.
func (svc *Service) Delete(ctx context.Context, workspaceID, id string) error {
	if err := svc.store.DeleteCRMConnection(ctx, workspaceID, id); err != nil {
		return err
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	delete(svc.sources, id)
	delete(svc.connectors, id)
	return nil
}

// check validates conn; missingAuth reports an Input without auth.
func (svc *Service) check(ctx context.Context, conn Connection, missingAuth bool) error {
	v := check(conn)
	if missingAuth {
		v.Fields = withoutField(v.Fields, "auth.type")
		v.Add("auth", "is required: {\"type\":\"token\",\"token\":\"…\"} or {\"type\":\"oauth2\",\"client_id\":\"…\",\"client_secret\":\"…\"}")
	}
	if conn.PhonebookID != "" {
		_, err := svc.store.GetPhonebook(ctx, conn.WorkspaceID, conn.PhonebookID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("phonebook_id", "no phonebook %q exists in this workspace", conn.PhonebookID)
		case err != nil:
			return err
		}
	}
	return v.Err()
}

func withoutField(fields []validation.FieldError, name string) []validation.FieldError {
	out := fields[:0]
	for _, f := range fields {
		if f.Field != name {
			out = append(out, f)
		}
	}
	return out
}

// record returns conn as a new store row, its credentials encrypted.
func (svc *Service) record(conn Connection) (store.CRMConnection, error) {
	rec, err := svc.row(conn)
	if err != nil {
		return store.CRMConnection{}, err
	}
	rec.Credentials, err = sealAuth(svc.keyring, conn.Auth)
	return rec, err
}

// row returns every column of conn but its credentials.
func (svc *Service) row(conn Connection) (store.CRMConnection, error) {
	settings, err := json.Marshal(conn.Settings)
	if err != nil {
		return store.CRMConnection{}, fmt.Errorf("encode settings of CRM connection %s: %w", conn.ID, err)
	}
	rec := store.CRMConnection{
		ID:                  conn.ID,
		WorkspaceID:         conn.WorkspaceID,
		Kind:                string(conn.Kind),
		Name:                conn.Name,
		BaseURL:             conn.BaseURL,
		Settings:            settings,
		SyncEnabled:         conn.SyncEnabled,
		SyncIntervalSeconds: conn.SyncIntervalSeconds,
	}
	if conn.PhonebookID != "" {
		rec.PhonebookID = &conn.PhonebookID
	}
	if conn.Mapping != nil {
		if rec.Mapping, err = json.Marshal(conn.Mapping); err != nil {
			return store.CRMConnection{}, fmt.Errorf("encode mapping of CRM connection %s: %w", conn.ID, err)
		}
	}
	return rec, nil
}

// connection decodes a store row.
func (svc *Service) connection(rec store.CRMConnection) (Connection, error) {
	conn := Connection{
		ID:                  rec.ID,
		WorkspaceID:         rec.WorkspaceID,
		Kind:                crm.Kind(rec.Kind),
		Name:                rec.Name,
		BaseURL:             rec.BaseURL,
		SyncEnabled:         rec.SyncEnabled,
		SyncIntervalSeconds: rec.SyncIntervalSeconds,
		CreatedAt:           rec.CreatedAt.Time,
		UpdatedAt:           rec.UpdatedAt.Time,
	}
	if rec.PhonebookID != nil {
		conn.PhonebookID = *rec.PhonebookID
	}
	if err := json.Unmarshal(rec.Settings, &conn.Settings); err != nil {
		return Connection{}, fmt.Errorf("decode settings of CRM connection %s: %w", rec.ID, err)
	}
	if len(rec.Mapping) > 0 {
		conn.Mapping = &mapping.Mapping{}
		if err := json.Unmarshal(rec.Mapping, conn.Mapping); err != nil {
			return Connection{}, fmt.Errorf("decode mapping of CRM connection %s: %w", rec.ID, err)
		}
	}

	var err error
	conn.Auth, err = openAuth(svc.keyring, rec.ID, rec.Credentials)
	return conn, err
}

// saveSettings stores every field of conn but its credentials and fills
// its timestamps.
func (svc *Service) saveSettings(ctx context.Context, conn *Connection) error {
	rec, err := svc.row(*conn)
	if err != nil {
		return err
	}
	if err := svc.store.UpdateCRMConnection(ctx, &rec); err != nil {
		return err
	}
	conn.CreatedAt, conn.UpdatedAt = rec.CreatedAt.Time, rec.UpdatedAt.Time
	return nil
}

// updateAuth changes the stored credentials of connection id with change,
// reading and writing them in one transaction that locks the row, so a
// token refresh and an admin's change do not overwrite each other.
func (svc *Service) updateAuth(ctx context.Context, workspaceID, id string, change func(*Auth) error) (Auth, error) {
	var auth Auth
	err := svc.store.InTx(ctx, func(q *store.Queries) error {
		rec, err := q.GetCRMConnectionForUpdate(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		if auth, err = openAuth(svc.keyring, id, rec.Credentials); err != nil {
			return err
		}
		if err := change(&auth); err != nil {
			return err
		}
		sealed, err := sealAuth(svc.keyring, auth)
		if err != nil {
			return err
		}
		return q.UpdateCRMCredentials(ctx, workspaceID, id, sealed)
	})
	return auth, err
}

func svcFields(conn Connection) []zap.Field {
	return []zap.Field{
		zap.String("workspace_id", conn.WorkspaceID),
		zap.String("crm_connection_id", conn.ID),
		zap.String("crm_kind", string(conn.Kind)),
	}
}
