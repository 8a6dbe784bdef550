package connections

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/generic"
)

// Names of the credential fields, the JSON names of telephony.Credentials.
const (
	FieldAccountID     = "account_id"
	FieldAuthToken     = "auth_token"
	FieldAPIKey        = "api_key"
	FieldPublicKey     = "public_key"
	FieldSigningSecret = "signing_secret"
	FieldWebhookToken  = "webhook_token"
	FieldAPIBaseURL    = "api_base_url"
)

// MaxCredentialLength caps one credential value in bytes. An RSA private
// key in PEM form is about 3.3 KB for 4096 bits, so 16 KiB leaves room.
const MaxCredentialLength = 16 << 10

// credentialSpec is one credential field a provider reads.
type credentialSpec struct {
	name     string
	required bool
	// secret fields are summarised as "set"; the others show their last
	// four characters.
	secret bool
}

// credentialSpecs lists the credential fields of each provider.
var credentialSpecs = map[telephony.Provider][]credentialSpec{
	telephony.ProviderTwilio: {
		{name: FieldAccountID, required: true},
		{name: FieldAuthToken, required: true, secret: true},
	},
	telephony.ProviderTelnyx: {
		{name: FieldAPIKey, required: true, secret: true},
		{name: FieldPublicKey, required: true},
	},
	telephony.ProviderVonage: {
		{name: FieldSigningSecret, required: true, secret: true},
		{name: FieldAccountID},
		{name: FieldAPIKey},
		{name: FieldAuthToken, secret: true},
	},
	telephony.ProviderAircall: {
		{name: FieldAccountID, required: true},
		{name: FieldAuthToken, required: true, secret: true},
		{name: FieldWebhookToken, required: true, secret: true},
	},
	telephony.ProviderGeneric: {
		{name: FieldSigningSecret, required: true, secret: true},
	},
}

// apiBaseURLSpec is the field every provider accepts beside its own.
var apiBaseURLSpec = credentialSpec{name: FieldAPIBaseURL}

func specsOf(p telephony.Provider) []credentialSpec {
	specs, ok := credentialSpecs[p]
	if !ok {
		return nil
	}
	return append(slices.Clone(specs), apiBaseURLSpec)
}

// CredentialField is one credential field a provider reads, for building
// a form.
type CredentialField struct {
	// Name is the field's JSON name, such as auth_token.
	Name     string
	Required bool
	// Secret fields are never shown once stored.
	Secret bool
}

// CredentialFields lists the credential fields of provider p in the order
// a form should ask for them, api_base_url last; nil for an unknown
// provider.
func CredentialFields(p telephony.Provider) []CredentialField {
	specs := specsOf(p)
	if specs == nil {
		return nil
	}
	out := make([]CredentialField, len(specs))
	for i, spec := range specs {
		out[i] = CredentialField{Name: spec.name, Required: spec.required, Secret: spec.secret}
	}
	return out
}

// credentialMap returns the non-empty fields of c by JSON name.
func credentialMap(c telephony.Credentials) map[string]string {
	all := map[string]string{
		FieldAccountID:     c.AccountID,
		FieldAuthToken:     c.AuthToken,
		FieldAPIKey:        c.APIKey,
		FieldPublicKey:     c.PublicKey,
		FieldSigningSecret: c.SigningSecret,
		FieldWebhookToken:  c.WebhookToken,
		FieldAPIBaseURL:    c.APIBaseURL,
	}
	for name, value := range all {
		if value == "" {
			delete(all, name)
		}
	}
	return all
}

// applyCredentials writes the fields of values into c: a field with an
// empty value is cleared. Unknown names are left to checkCredentials.
func applyCredentials(c *telephony.Credentials, values map[string]string) {
	fields := map[string]*string{
		FieldAccountID:     &c.AccountID,
		FieldAuthToken:     &c.AuthToken,
		FieldAPIKey:        &c.APIKey,
		FieldPublicKey:     &c.PublicKey,
		FieldSigningSecret: &c.SigningSecret,
		FieldWebhookToken:  &c.WebhookToken,
		FieldAPIBaseURL:    &c.APIBaseURL,
	}
	for name, value := range values {
		if field, ok := fields[name]; ok {
			*field = strings.TrimSpace(value)
		}
	}
}

// checkCredentials adds an error under credentials.{name} for every field
// of written that provider p does not read, and checks c, the merged
// credentials, against p's rules.
func checkCredentials(v *validation.Error, p telephony.Provider, written map[string]string, c telephony.Credentials) {
	specs := specsOf(p)
	if specs == nil {
		return // the provider error is reported on its own
	}
	names := make([]string, len(specs))
	for i, spec := range specs {
		names[i] = spec.name
	}

	for _, name := range sortedKeys(written) {
		if !slices.Contains(names, name) {
			v.Add("credentials."+name, "is not a credential of %s connections: use %s", p, strings.Join(names, ", "))
		}
	}

	set := credentialMap(c)
	for _, spec := range specs {
		value, ok := set[spec.name]
		switch {
		case !ok && spec.required:
			v.Add("credentials."+spec.name, "is required for %s connections", p)
		case ok && len(value) > MaxCredentialLength:
			v.Add("credentials."+spec.name, "is %d bytes long, the maximum is %d", len(value), MaxCredentialLength)
		case ok:
			if reason := checkCredentialValue(p, spec.name, value); reason != "" {
				v.Add("credentials."+spec.name, "%s", reason)
			}
		}
	}

	if p == telephony.ProviderVonage && (c.APIKey == "") != (c.AuthToken == "") {
		v.Add("credentials", "vonage connections need api_key (the application ID) and auth_token (its private key) together, or neither")
	}
}

// twilioAccountSID matches a Twilio Account SID: "AC" and 32 hexadecimal
// digits, as Twilio's glossary page "What is a String Identifier (SID)?"
// describes it. Its error 21470 page shows one in upper case.
//
// NOTE: stored credentials are checked on every update, so a connection
// saved with another SID before this check existed rejects any edit,
// routing rules included, until its Account SID is corrected.
var twilioAccountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

// checkCredentialValue returns why value is invalid for the field name of
// provider p, or "" when it is valid.
func checkCredentialValue(p telephony.Provider, name, value string) string {
	switch {
	case name == FieldAPIBaseURL:
		return checkHTTPURL(value)
	case p == telephony.ProviderTwilio && name == FieldAccountID:
		if !twilioAccountSID.MatchString(value) {
			return fmt.Sprintf("%q is not a Twilio Account SID: it is AC followed by 32 hexadecimal characters, as the Twilio console shows it", value)
		}
	case p == telephony.ProviderTelnyx && name == FieldPublicKey:
		key, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return fmt.Sprintf("must be base64 of a %d-byte Ed25519 public key, as the Telnyx portal shows it", ed25519.PublicKeySize)
		}
	case p == telephony.ProviderVonage && name == FieldAuthToken:
		if _, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(value)); err != nil {
			return "must be the Vonage application's RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)"
		}
	case p == telephony.ProviderGeneric && name == FieldSigningSecret:
		if _, err := generic.Sign(value, "check", time.Unix(0, 0), nil); err != nil {
			return "must be whsec_ followed by base64, or left out to have one generated"
		}
	}
	return ""
}

// checkHTTPURL returns why raw is not an absolute http or https URL, or ""
// when it is one.
func checkHTTPURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q has a query or fragment, which a base URL cannot have", raw)
	}
	return ""
}

// NewSigningSecret returns a new Standard Webhooks secret for a generic
// connection: "whsec_" and the base64 of 32 random bytes.
func NewSigningSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // crypto/rand.Read documents that it never returns an error since Go 1.24
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// Summarize returns the credential fields that are set, for display: secret
// fields as "set", identifiers masked to their last four characters, and
// api_base_url as it is. Fields that are not set are left out.
func Summarize(p telephony.Provider, c telephony.Credentials) map[string]string {
	set := credentialMap(c)
	out := make(map[string]string, len(set))
	for _, spec := range specsOf(p) {
		value, ok := set[spec.name]
		switch {
		case !ok:
		case spec.secret:
			out[spec.name] = "set"
		case spec.name == FieldAPIBaseURL:
			out[spec.name] = value
		default:
			out[spec.name] = mask(value)
		}
	}
	return out
}

// mask returns value with all but its last four characters replaced by
// "…", or "set" when it is too short to show any of it safely.
func mask(value string) string {
	runes := []rune(value)
	if len(runes) < 12 {
		return "set"
	}
	return "…" + string(runes[len(runes)-4:])
}

// encryptCredentials returns c as JSON sealed with keyring.
func encryptCredentials(keyring *secret.Keyring, c telephony.Credentials) (string, error) {
	plaintext, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode credentials: %w", err)
	}
	sealed, err := keyring.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("encrypt credentials: %w", err)
	}
	return sealed, nil
}

// decryptCredentials opens the credentials of connection id.
func decryptCredentials(keyring *secret.Keyring, id, sealed string) (telephony.Credentials, error) {
	var c telephony.Credentials
	if sealed == "" {
		return c, nil
	}
	plaintext, err := keyring.Decrypt(sealed)
	if err != nil {
		return c, fmt.Errorf("decrypt credentials of telephony connection %s: %w", id, err)
	}
	if err := json.Unmarshal(plaintext, &c); err != nil {
		return c, fmt.Errorf("decode credentials of telephony connection %s: %w", id, err)
	}
	return c, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
