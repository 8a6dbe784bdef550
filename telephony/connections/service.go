package connections

import (
	"context"
	"strings"
	"sync"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
	"github.com/switchboard-oss/switchboard/telephony"
)

// Providers lists the providers a connection can use, in the order error
// messages name them.
var Providers = []telephony.Provider{
	telephony.ProviderTwilio, telephony.ProviderTelnyx, telephony.ProviderVonage,
	telephony.ProviderAircall, telephony.ProviderGeneric,
}

// Service manages the telephony connections of every workspace. It is safe
// for concurrent use.
type Service struct {
	store   *store.Store
	keyring *secret.Keyring

	mu    sync.Mutex
	cache map[string]cachedConnection
}

// New returns the service over st, encrypting credentials with keyring.
func New(st *store.Store, keyring *secret.Keyring) *Service {
	return &Service{store: st, keyring: keyring, cache: map[string]cachedConnection{}}
}

// Create validates in and stores it as a new connection of the workspace.
// A generic connection written without a signing secret gets a new one,
// returned as generatedSecret: the only time the API shows it.
func (svc *Service) Create(ctx context.Context, workspaceID string, in Input) (s Settings, generatedSecret string, err error) {
	s, generatedSecret, err = svc.prepare(ctx, workspaceID, in)
	if err != nil {
		return Settings{}, "", err
	}

	rec, err := svc.record(s)
	if err != nil {
		return Settings{}, "", err
	}
	if err := svc.store.CreateTelephonyConnection(ctx, &rec); err != nil {
		return Settings{}, "", err
	}
	s.ID, s.CreatedAt, s.UpdatedAt = rec.ID, rec.CreatedAt.Time, rec.UpdatedAt.Time
	svc.preload(ctx, s.ID)
	return s, generatedSecret, nil
}

// Check validates in as Create does and stores nothing. A form that has
// already rejected some of its inputs calls it to report the other
// invalid fields with them.
func (svc *Service) Check(ctx context.Context, workspaceID string, in Input) error {
	_, _, err := svc.prepare(ctx, workspaceID, in)
	return err
}

// prepare returns the settings of a new connection from in, validated.
func (svc *Service) prepare(ctx context.Context, workspaceID string, in Input) (s Settings, generatedSecret string, err error) {
	w, err := svc.store.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return Settings{}, "", err
	}
	provider := telephony.Provider(in.Provider)
	if _, ok := credentialSpecs[provider]; !ok {
		return Settings{}, "", validation.New("provider", "%q is not a supported provider: use %s", in.Provider, providerList())
	}

	s = Settings{
		WorkspaceID:       workspaceID,
		Provider:          provider,
		LookupOrder:       LookupPhonebook,
		DeadlineMillis:    store.DefaultDeadlineMillis,
		CRMDeadlineMillis: store.DefaultCRMDeadlineMillis,
		Enabled:           true,
	}
	patch := in.patch()
	s.apply(patch)
	if provider == telephony.ProviderGeneric && s.Credentials.SigningSecret == "" {
		generatedSecret = NewSigningSecret()
		s.Credentials.SigningSecret = generatedSecret
	}
	if err := svc.check(ctx, &s, patch, w.DefaultRegion); err != nil {
		return Settings{}, "", err
	}
	return s, generatedSecret, nil
}

// preload loads connection id into the cache right after a write, so its
// calls get their default route even when the database fails before the
// first webhook. A failure is harmless: the first webhook loads it.
//
// The old copy is dropped first, because Load keeps a cached copy for up to
// revalidateAfter and a routing test right after an edit must see it.
func (svc *Service) preload(ctx context.Context, id string) {
	svc.forget(id)
	_, _ = svc.Load(ctx, id)
}

// Get returns the connection id of the workspace.
func (svc *Service) Get(ctx context.Context, workspaceID, id string) (Settings, error) {
	rec, err := svc.store.GetTelephonyConnection(ctx, workspaceID, id)
	if err != nil {
		return Settings{}, err
	}
	return svc.settings(rec)
}

// List returns every connection of the workspace, oldest first.
func (svc *Service) List(ctx context.Context, workspaceID string) ([]Settings, error) {
	records, err := svc.store.ListTelephonyConnections(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]Settings, len(records))
	for i, rec := range records {
		if out[i], err = svc.settings(rec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update applies patch to the connection id of the workspace, validates
// the result as Create does, and stores it.
//
// NOTE: two updates of one connection at once both read the old version,
// so the later write drops the credential fields the earlier one merged.
func (svc *Service) Update(ctx context.Context, workspaceID, id string, patch Patch) (Settings, error) {
	s, err := svc.patched(ctx, workspaceID, id, patch)
	if err != nil {
		return Settings{}, err
	}

	rec, err := svc.record(s)
	if err != nil {
		return Settings{}, err
	}
	if err := svc.store.UpdateTelephonyConnection(ctx, &rec); err != nil {
		return Settings{}, err
	}
	s.CreatedAt, s.UpdatedAt = rec.CreatedAt.Time, rec.UpdatedAt.Time
	svc.preload(ctx, id)
	return s, nil
}

// CheckUpdate validates patch as Update does and stores nothing.
func (svc *Service) CheckUpdate(ctx context.Context, workspaceID, id string, patch Patch) error {
	_, err := svc.patched(ctx, workspaceID, id, patch)
	return err
}

// patched returns the connection id with patch applied, validated.
func (svc *Service) patched(ctx context.Context, workspaceID, id string, patch Patch) (Settings, error) {
	w, err := svc.store.GetWorkspace(ctx, workspaceID)
	if err != nil {
		return Settings{}, err
	}
	s, err := svc.Get(ctx, workspaceID, id)
	if err != nil {
		return Settings{}, err
	}

	s.apply(patch)
	if err := svc.check(ctx, &s, patch, w.DefaultRegion); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Delete deletes the connection id of the workspace. Its calls stay.
func (svc *Service) Delete(ctx context.Context, workspaceID, id string) error {
	if err := svc.store.DeleteTelephonyConnection(ctx, workspaceID, id); err != nil {
		return err
	}
	svc.forget(id)
	return nil
}

func providerList() string {
	names := make([]string, len(Providers))
	for i, p := range Providers {
		names[i] = string(p)
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + " or " + names[last]
}
