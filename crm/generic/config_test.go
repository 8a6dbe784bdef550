package generic

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

func TestValidateConfig(t *testing.T) {
	valid := Config{
		LookupURLTemplate: "https://crm.example.com/api/contacts?phone={e164}",
		IDPath:            "id",
		DisplayNamePath:   "name",
	}
	with := func(change func(*Config)) Config {
		cfg := valid
		change(&cfg)
		return cfg
	}

	tests := []struct {
		name string
		cfg  Config
		// fields are the invalid fields in order, or nil for a valid cfg.
		fields []string
	}{
		{name: "minimal", cfg: valid},
		{name: "rich", cfg: with(func(c *Config) {
			*c = richConfig
			c.LookupURLTemplate = "https://crm.example.com/api/contacts?phone={e164}"
			c.ListURLTemplate = "https://crm.example.com/api/contacts?since={since}&page={cursor}"
			c.NextCursorPath = "meta.next"
			c.SinceFormat = SinceUnixMS
			c.TestNumber = "+442079460958"
		})},
		{name: "post with phone in body", cfg: with(func(c *Config) {
			c.Method, c.LookupURLTemplate, c.BodyTemplate = "POST", "https://crm.example.com/search", `{"phone": "{e164}", "filter": {"type": "person"}}`
		})},
		{name: "list with next links", cfg: with(func(c *Config) {
			c.ListURLTemplate, c.NextCursorPath = "https://crm.example.com/api/contacts?since={since}", "links.next"
		})},
		{name: "escaped dot at the end of a path", cfg: with(func(c *Config) { c.IDPath = `ids.crm\.` })},
		{name: "empty", cfg: Config{}, fields: []string{"settings.lookup_url_template", "settings.id_path", "settings.display_name_path"}},
		{name: "unknown placeholder", cfg: with(func(c *Config) { c.LookupURLTemplate = "https://crm.example.com/?phone={phone}" }),
			fields: []string{"settings.lookup_url_template"}},
		{name: "no phone placeholder", cfg: with(func(c *Config) { c.LookupURLTemplate = "https://crm.example.com/contacts" }),
			fields: []string{"settings.lookup_url_template"}},
		{name: "relative lookup URL", cfg: with(func(c *Config) { c.LookupURLTemplate = "/api?phone={e164}" }),
			fields: []string{"settings.lookup_url_template"}},
		{name: "placeholder in the host", cfg: with(func(c *Config) { c.LookupURLTemplate = "{e164}/contacts" }),
			fields: []string{"settings.lookup_url_template"}},
		{name: "bad method", cfg: with(func(c *Config) { c.Method = "PUT" }), fields: []string{"settings.method"}},
		{name: "body with GET", cfg: with(func(c *Config) { c.BodyTemplate = `{"phone": "{e164}"}` }), fields: []string{"settings.body_template"}},
		{name: "body not JSON", cfg: with(func(c *Config) { c.Method, c.BodyTemplate = "POST", `phone={e164}` }), fields: []string{"settings.body_template"}},
		{name: "body placeholder unquoted", cfg: with(func(c *Config) { c.Method, c.BodyTemplate = "POST", `{"phone": {national}}` }),
			fields: []string{"settings.body_template"}},
		{name: "post without phone", cfg: with(func(c *Config) {
			c.Method, c.LookupURLTemplate, c.BodyTemplate = "POST", "https://crm.example.com/search", `{"all": true}`
		}), fields: []string{"settings.body_template"}},
		{name: "bad paths", cfg: with(func(c *Config) {
			c.IDPath, c.CompanyPath, c.PhonePaths, c.EmailPaths = ".id", " company", []string{"phone", ""}, []string{"email."}
		}), fields: []string{"settings.company_path", "settings.id_path", "settings.phone_paths[1]", "settings.email_paths[0]"}},
		{name: "record URL without id", cfg: with(func(c *Config) { c.RecordURLTemplate = "https://crm.example.com/contacts" }),
			fields: []string{"settings.record_url_template"}},
		{name: "list without since", cfg: with(func(c *Config) { c.ListURLTemplate = "https://crm.example.com/contacts?page={cursor}" }),
			fields: []string{"settings.list_url_template", "settings.next_cursor_path"}},
		{name: "bad since format and test number", cfg: with(func(c *Config) { c.SinceFormat, c.TestNumber = "iso", "4155550100" }),
			fields: []string{"settings.since_format", "settings.test_number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateConfig(tt.cfg)
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var invalid *validation.Error
			require.ErrorAs(t, err, &invalid)
			var names []string
			for _, f := range invalid.Fields {
				names = append(names, f.Field)
			}
			require.Equal(t, tt.fields, names, "%v", err)
		})
	}
}

func TestValidateConfigMessages(t *testing.T) {
	err := ValidateConfig(Config{LookupURLTemplate: "https://crm.example.com/?phone={phone}", IDPath: "id", LastNamePath: "last"})
	require.EqualError(t, err, "invalid input: settings.lookup_url_template: has the unknown placeholder {phone}; it may use {e164}, {digits}, {national}, {national_digits}")
}
