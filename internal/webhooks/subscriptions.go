package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// Limits of subscription fields.
const (
	// MaxDescriptionLength is in Unicode code points.
	MaxDescriptionLength = 500
	MaxEventTypes        = 50
	// MaxSecretOverlap is the longest time a rotated-out secret keeps
	// signing deliveries.
	MaxSecretOverlap = 7 * 24 * time.Hour
	// DefaultSecretOverlap is the overlap of a rotation that names none.
	DefaultSecretOverlap = 24 * time.Hour
)

// secretBytes is the length of a signing key. The Standard Webhooks
// specification requires at least 24 bytes.
const secretBytes = 32

// Input is a new subscription as a client writes it.
type Input struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	// Enabled is true when absent.
	Enabled *bool `json:"enabled"`
}

// Patch holds the fields an update changes; nil fields keep their value.
// Enabling a subscription the gateway disabled clears its failure record.
type Patch struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types"`
	Enabled     *bool     `json:"enabled"`
}

// Create validates in, generates a signing secret and stores the
// subscription. The secret is returned only here and by RotateSecret; the
// store keeps it encrypted.
func (s *Service) Create(ctx context.Context, workspaceID string, in Input) (store.WebhookSubscription, string, error) {
	sub := store.WebhookSubscription{WorkspaceID: workspaceID, Enabled: true}
	patch := Patch{URL: &in.URL, Description: &in.Description, EventTypes: &in.EventTypes, Enabled: in.Enabled}
	if err := s.apply(&sub, patch, s.urlReason(ctx, in.URL)); err != nil {
		return store.WebhookSubscription{}, "", err
	}

	plain, sealed, err := s.newSecret()
	if err != nil {
		return store.WebhookSubscription{}, "", err
	}
	sub.Secret = sealed
	if err := s.store.CreateWebhookSubscription(ctx, &sub); err != nil {
		return store.WebhookSubscription{}, "", err
	}
	return sub, plain, nil
}

// Get returns the subscription id of the workspace.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (store.WebhookSubscription, error) {
	return s.store.GetWebhookSubscription(ctx, workspaceID, id)
}

// List returns every subscription of the workspace, oldest first.
func (s *Service) List(ctx context.Context, workspaceID string) ([]store.WebhookSubscription, error) {
	return s.store.ListWebhookSubscriptions(ctx, workspaceID, false)
}

// Update applies patch to the subscription. A new URL is checked like on
// Create.
func (s *Service) Update(ctx context.Context, workspaceID, id string, patch Patch) (store.WebhookSubscription, error) {
	urlReason := ""
	if patch.URL != nil {
		urlReason = s.urlReason(ctx, *patch.URL)
	}

	var sub store.WebhookSubscription
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if sub, err = q.GetWebhookSubscriptionForUpdate(ctx, workspaceID, id); err != nil {
			return err
		}
		if err := s.apply(&sub, patch, urlReason); err != nil {
			return err
		}
		return q.UpdateWebhookSubscription(ctx, &sub)
	})
	return sub, err
}

// Delete deletes the subscription and its delivery log. Queued deliveries
// find it gone and end without sending.
func (s *Service) Delete(ctx context.Context, workspaceID, id string) error {
	return s.store.DeleteWebhookSubscription(ctx, workspaceID, id)
}

// RotateSecret gives the subscription a new signing secret and returns it.
// For overlap after the rotation, deliveries carry a signature with the
// old secret besides the new one, so the receiver can switch without
// rejecting deliveries. A zero overlap drops the old secret at once. A
// rotation during the overlap of an earlier one drops the oldest secret.
func (s *Service) RotateSecret(ctx context.Context, workspaceID, id string, overlap time.Duration) (store.WebhookSubscription, string, error) {
	if overlap < 0 || overlap > MaxSecretOverlap {
		return store.WebhookSubscription{}, "", validation.New("overlap_seconds", "must be between 0 and %d (7 days)", int(MaxSecretOverlap.Seconds()))
	}
	plain, sealed, err := s.newSecret()
	if err != nil {
		return store.WebhookSubscription{}, "", err
	}

	var sub store.WebhookSubscription
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if sub, err = q.GetWebhookSubscriptionForUpdate(ctx, workspaceID, id); err != nil {
			return err
		}
		sub.PreviousSecret, sub.PreviousSecretExpiresAt = "", nil
		if overlap > 0 {
			expires := store.Millis(s.now().Add(overlap))
			sub.PreviousSecret, sub.PreviousSecretExpiresAt = sub.Secret, &expires
		}
		sub.Secret = sealed
		return q.UpdateWebhookSubscription(ctx, &sub)
	})
	if err != nil {
		return store.WebhookSubscription{}, "", err
	}
	return sub, plain, nil
}

// apply checks the fields patch sets and writes them into sub, reporting
// every invalid field at once. urlReason is the outcome of checking
// patch.URL, which resolves the host and so is done before any transaction
// begins.
func (s *Service) apply(sub *store.WebhookSubscription, patch Patch, urlReason string) error {
	var v validation.Error
	if patch.URL != nil {
		sub.URL = strings.TrimSpace(*patch.URL)
		if urlReason != "" {
			v.Add("url", "%s", urlReason)
		}
	}
	if patch.Description != nil {
		sub.Description = checkDescription(&v, *patch.Description)
	}
	if patch.EventTypes != nil {
		sub.EventTypes.V = checkEventTypes(&v, *patch.EventTypes)
	}
	if patch.Enabled != nil {
		s.setEnabled(sub, *patch.Enabled)
	}
	return v.Err()
}

// urlReason returns why raw cannot be a webhook target, or "".
func (s *Service) urlReason(ctx context.Context, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "is missing: give the URL that receives the events"
	}
	return s.guard.CheckURL(ctx, raw)
}

// setEnabled enables or disables sub. Enabling clears the failure record,
// so the endpoint gets a full DisableAfter before it can be disabled again.
func (s *Service) setEnabled(sub *store.WebhookSubscription, enabled bool) {
	if enabled == sub.Enabled {
		return
	}
	sub.Enabled = enabled
	if enabled {
		sub.DisabledAt, sub.DisabledReason = nil, ""
		sub.FailingSince, sub.ConsecutiveFailures = nil, 0
		return
	}
	at := store.Millis(s.now())
	sub.DisabledAt, sub.DisabledReason = &at, ""
}

func checkDescription(v *validation.Error, value string) string {
	value = strings.TrimSpace(value)
	if n := utf8.RuneCountInString(value); n > MaxDescriptionLength {
		v.Add("description", "is %d characters long; the limit is %d", n, MaxDescriptionLength)
	}
	if strings.ContainsFunc(value, unicode.IsControl) {
		v.Add("description", "must not contain control characters such as line breaks")
	}
	return value
}

func checkEventTypes(v *validation.Error, patterns []string) []string {
	if len(patterns) == 0 {
		v.Add("event_types", "is empty: name at least one event type, such as call.ended, or a family such as contact.*")
		return nil
	}
	if len(patterns) > MaxEventTypes {
		v.Add("event_types", "has %d items; the limit is %d", len(patterns), MaxEventTypes)
		return nil
	}

	out := make([]string, 0, len(patterns))
	for i, p := range patterns {
		p = strings.TrimSpace(p)
		field := fmt.Sprintf("event_types[%d]", i)
		switch {
		case !validPattern(p):
			v.Add(field, "%q is not an event type; use one of %s, a family such as contact.*, or * for all", p, typeList())
		case slices.Contains(out, p):
			v.Add(field, "repeats %q", p)
		default:
			out = append(out, p)
		}
	}
	return out
}

func typeList() string {
	names := make([]string, len(EventTypes))
	for i, t := range EventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// newSecret returns a new signing secret and its ciphertext.
func (s *Service) newSecret() (plain, sealed string, err error) {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", "", fmt.Errorf("generate signing secret: %w", err)
	}
	plain = "whsec_" + base64.StdEncoding.EncodeToString(key)
	sealed, err = s.keyring.Encrypt([]byte(plain))
	if err != nil {
		return "", "", fmt.Errorf("encrypt signing secret: %w", err)
	}
	return plain, sealed, nil
}

// signingSecrets returns the secrets deliveries to sub are signed with at
// now: the current one, then the previous one while its overlap lasts.
func (s *Service) signingSecrets(sub store.WebhookSubscription, now time.Time) ([]string, error) {
	sealed := []string{sub.Secret}
	if sub.PreviousSecret != "" && sub.PreviousSecretExpiresAt != nil && now.Before(sub.PreviousSecretExpiresAt.Time) {
		sealed = append(sealed, sub.PreviousSecret)
	}

	secrets := make([]string, len(sealed))
	for i, ciphertext := range sealed {
		plain, err := s.keyring.Decrypt(ciphertext)
		if err != nil {
			return nil, fmt.Errorf("decrypt signing secret of webhook subscription %s: %w", sub.ID, err)
		}
		secrets[i] = string(plain)
	}
	return secrets, nil
}
