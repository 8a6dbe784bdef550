package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/webhooks"
	"github.com/switchboard-oss/switchboard/telephony/phone"
)

// option is one configuration setting: read from its environment variable,
// overridden by its flag.
type option struct {
	Env     string
	Flag    string
	Default string
	Unit    string
	Help    string
	Secret  bool
	// Validate checks the text value; nil accepts anything.
	Validate func(string) error
}

// options is the one table of every setting. The README's configuration
// table is printed from it by `switchboard config --markdown`.
var options = []option{
	{Env: "SWITCHBOARD_DATABASE_URL", Flag: "database-url", Unit: "URL", Secret: true,
		Help:     "PostgreSQL URL (postgres://user:pass@host/db). Empty uses the embedded SQLite file in the data folder.",
		Validate: validateDatabaseURL},
	{Env: "SWITCHBOARD_DATA_DIR", Flag: "data-dir", Default: "./data", Unit: "path",
		Help: "Folder for the SQLite database and the generated master key file."},
	{Env: "SWITCHBOARD_LISTEN_ADDR", Flag: "listen", Default: "127.0.0.1:8080", Unit: "host:port",
		Help: "Address the HTTP server listens on."},
	{Env: "SWITCHBOARD_PUBLIC_BASE_URL", Flag: "public-base-url", Unit: "URL",
		Help:     "URL clients and VoIP platforms use to reach the gateway; webhook signatures are checked against it behind proxies. Empty means http://<listen address>.",
		Validate: validateOptionalURL},
	{Env: "SWITCHBOARD_ALLOWED_ORIGINS", Flag: "allowed-origins", Unit: "comma-separated origins",
		Help:     "Browser origins, besides the public base URL's, whose pages may open the agent console's WebSocket, such as https://console.example.com. Empty allows the public base URL's origin only.",
		Validate: validateOrigins},
	{Env: "SWITCHBOARD_WEBHOOK_ALLOWED_NETWORKS", Flag: "webhook-allowed-networks", Unit: "comma-separated CIDRs, addresses or host names",
		Help:     "Internal destinations that webhook subscriptions may target, such as 10.20.0.0/16, 127.0.0.1 or crm.internal; a listed host name may resolve to any address. Empty allows public addresses only: loopback, private, link-local, unique-local, CGNAT and cloud metadata addresses are rejected.",
		Validate: validateWebhookAllowList},
	{Env: "SWITCHBOARD_MASTER_KEY", Flag: "master-key", Unit: "text, 32+ chars", Secret: true,
		Help:     "Key that encrypts stored credentials and signs tokens and cursors. Empty reads or creates <data dir>/master.key; set it explicitly in production and share it between instances.",
		Validate: validateMasterKey},
	{Env: "SWITCHBOARD_DEFAULT_REGION", Flag: "default-region", Default: "US", Unit: "ISO 3166-1 alpha-2",
		Help:     "Default region of the workspace created on first start, used to read numbers written without a country code.",
		Validate: validateRegion},
	{Env: "SWITCHBOARD_LOG_LEVEL", Flag: "log-level", Default: "info", Unit: "debug, info, warn or error",
		Help:     "Lowest level of log lines written.",
		Validate: oneOf("debug", "info", "warn", "error")},
	{Env: "SWITCHBOARD_LOG_FORMAT", Flag: "log-format", Default: "json", Unit: "json or console",
		Help:     "Log line format: json for collectors, console for people.",
		Validate: oneOf("json", "console")},
	{Env: "SWITCHBOARD_MAX_BODY_BYTES", Flag: "max-body-bytes", Default: "8388608", Unit: "bytes",
		Help:     "Largest JSON request body accepted; larger bodies get 413.",
		Validate: positiveInt},
	{Env: "SWITCHBOARD_MAX_IMPORT_BYTES", Flag: "max-import-bytes", Default: "268435456", Unit: "bytes",
		Help:     "Largest CSV import body accepted over HTTP.",
		Validate: positiveInt},
	{Env: "SWITCHBOARD_RATE_LIMIT", Flag: "rate-limit", Default: "100", Unit: "requests/s per credential",
		Help:     "API requests per second each API key or token may make, with bursts of twice that; 0 turns the limit off.",
		Validate: nonNegativeFloat},
	{Env: "SWITCHBOARD_TOKEN_TTL", Flag: "token-ttl", Default: "15m", Unit: "duration",
		Help:     "Lifetime of access tokens issued by /oauth/token.",
		Validate: positiveDuration},
	{Env: "SWITCHBOARD_SHUTDOWN_TIMEOUT", Flag: "shutdown-timeout", Default: "15s", Unit: "duration",
		Help:     "How long a stopping gateway waits for in-flight requests to finish.",
		Validate: positiveDuration},
	{Env: "SWITCHBOARD_CRM_CACHE_TTL", Flag: "crm-cache-ttl", Default: "5m", Unit: "duration",
		Help:     "How long a caller found by a real-time CRM lookup stays cached in memory, so repeated calls skip the CRM.",
		Validate: positiveDuration},
	{Env: "SWITCHBOARD_CRM_NEGATIVE_CACHE_TTL", Flag: "crm-negative-cache-ttl", Default: "1m", Unit: "duration",
		Help:     "How long a number the CRM does not know stays cached as unknown.",
		Validate: positiveDuration},
	{Env: "SWITCHBOARD_CRM_CACHE_SIZE", Flag: "crm-cache-size", Default: "10000", Unit: "numbers",
		Help:     "Phone numbers the CRM lookup cache keeps per gateway process; the least recently used go first.",
		Validate: positiveInt},
	{Env: "SWITCHBOARD_CRM_BREAKER_FAILURES", Flag: "crm-breaker-failures", Default: "5", Unit: "consecutive failures",
		Help:     "Failed CRM lookups in a row that open a CRM connection's circuit breaker; while open, calls route without asking that CRM.",
		Validate: positiveInt},
	{Env: "SWITCHBOARD_CRM_BREAKER_TIMEOUT", Flag: "crm-breaker-timeout", Default: "30s", Unit: "duration",
		Help:     "How long an open CRM circuit breaker waits before one lookup probes the CRM again.",
		Validate: positiveDuration},
}

// config is the resolved configuration.
type config struct {
	values map[string]string // by env name
	source map[string]string // "default", "environment" or "flag"
}

// loadConfig resolves every option: default, then environment, then flag.
// Only the flags in fs that were set override.
func loadConfig(fs *flag.FlagSet, getenv func(string) string) (*config, error) {
	c := &config{values: map[string]string{}, source: map[string]string{}}
	var errs []error
	for _, o := range options {
		c.values[o.Env], c.source[o.Env] = o.Default, "default"
		v, ok, err := lookupEnv(getenv, o.Env)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			c.values[o.Env], c.source[o.Env] = v, "environment"
		}
	}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) {
			if o, ok := optionByFlag(f.Name); ok {
				c.values[o.Env], c.source[o.Env] = f.Value.String(), "flag"
			}
		})
	}

	for _, o := range options {
		if o.Validate == nil {
			continue
		}
		if err := o.Validate(c.values[o.Env]); err != nil {
			errs = append(errs, fmt.Errorf("%s (--%s): %w", o.Env, o.Flag, err))
		}
	}
	return c, errors.Join(errs...)
}

func lookupEnv(getenv func(string) string, name string) (string, bool, error) {
	if v := getenv(name); v != "" {
		return v, true, nil
	}
	// NAME_FILE reads a secret from a file, as container secrets are mounted.
	if path := getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", false, fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), true, nil
	}
	return "", false, nil
}

func optionByFlag(name string) (option, bool) {
	for _, o := range options {
		if o.Flag == name {
			return o, true
		}
	}
	return option{}, false
}

// addConfigFlags registers a flag per option on fs.
func addConfigFlags(fs *flag.FlagSet) {
	for _, o := range options {
		help := o.Help
		if o.Unit != "" {
			help += " (" + o.Unit + ")"
		}
		fs.String(o.Flag, o.Default, help+" [$"+o.Env+"]")
	}
}

func (c *config) str(env string) string { return c.values[env] }

// list returns a comma-separated option as its trimmed, non-empty items.
func (c *config) list(env string) []string {
	var items []string
	for item := range strings.SplitSeq(c.values[env], ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func (c *config) int64(env string) int64 {
	n, _ := strconv.ParseInt(c.values[env], 10, 64)
	return n
}

func (c *config) float(env string) float64 {
	f, _ := strconv.ParseFloat(c.values[env], 64)
	return f
}

func (c *config) duration(env string) time.Duration {
	d, _ := time.ParseDuration(c.values[env])
	return d
}

// publicBaseURL returns the configured public URL, or one built from the
// listen address.
func (c *config) publicBaseURL() string {
	if u := c.str("SWITCHBOARD_PUBLIC_BASE_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "http://" + c.str("SWITCHBOARD_LISTEN_ADDR")
}

// masterKey returns the configured master key, or reads it from
// <data dir>/master.key, creating that file with a random key when absent.
func (c *config) masterKey() (key string, generated bool, err error) {
	if k := c.str("SWITCHBOARD_MASTER_KEY"); k != "" {
		return k, false, nil
	}
	dir := c.str("SWITCHBOARD_DATA_DIR")
	path := filepath.Join(dir, "master.key")
	if b, err := os.ReadFile(path); err == nil {
		k := strings.TrimSpace(string(b))
		return k, false, validateMasterKey(k)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("create data folder: %w", err)
	}
	k := secret.NewMasterKey()
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	return k, true, nil
}

// dump writes every option with its value and source; secrets are masked.
func (c *config) dump() []string {
	lines := make([]string, 0, len(options))
	for _, o := range options {
		v := c.values[o.Env]
		if o.Secret && v != "" {
			v = "(set, hidden)"
		}
		if v == "" {
			v = "(empty)"
		}
		lines = append(lines, fmt.Sprintf("%-30s %-40s %s", o.Env, v, c.source[o.Env]))
	}
	sort.Strings(lines)
	return lines
}

// markdownTable renders the options as the README's configuration table.
func markdownTable() string {
	var b strings.Builder
	b.WriteString("| Variable | Flag | Default | Unit | Secret | Meaning |\n|---|---|---|---|---|---|\n")
	for _, o := range options {
		def := o.Default
		if def == "" {
			def = "(empty)"
		}
		sec := "no"
		if o.Secret {
			sec = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | `%s` | %s | %s | %s |\n", o.Env, o.Flag, def, o.Unit, sec, o.Help)
	}
	return b.String()
}

func validateDatabaseURL(v string) error {
	if v == "" || strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
		return nil
	}
	return errors.New("must start with postgres:// or postgresql://, or be empty to use SQLite")
}

func validateOptionalURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL", v)
	}
	return nil
}

// validateOrigins checks a comma-separated list of origins: http or https
// URLs with a host and nothing after it.
func validateOrigins(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%q is not an origin such as https://console.example.com (scheme and host, no path)", item)
		}
	}
	return nil
}

// validateWebhookAllowList checks a comma-separated list of CIDRs,
// addresses and host names.
func validateWebhookAllowList(v string) error {
	var entries []string
	for item := range strings.SplitSeq(v, ",") {
		entries = append(entries, item)
	}
	_, err := webhooks.ParseAllowList(entries)
	return err
}

func validateMasterKey(v string) error {
	if v != "" && len(v) < secret.MinMasterKeyLength {
		return fmt.Errorf("is %d characters long; use at least %d (openssl rand -base64 32 makes one)", len(v), secret.MinMasterKeyLength)
	}
	return nil
}

func validateRegion(v string) error {
	if v == "" || phone.ValidRegion(v) {
		return nil
	}
	return fmt.Errorf("%q is not a region code such as US, GB or DE", v)
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func positiveInt(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a positive whole number", v)
	}
	return nil
}

func nonNegativeFloat(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return fmt.Errorf("%q is not a number of zero or more", v)
	}
	return nil
}

func positiveDuration(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration such as 30s or 15m", v)
	}
	return nil
}
