package validation

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnknownFieldPath(t *testing.T) {
	type inner struct {
		Enabled bool `json:"enabled"`
	}
	type embedded struct {
		CreateURL string `json:"create_url"`
	}
	type settings struct {
		CallLog *inner            `json:"call_log"`
		Items   []inner           `json:"items"`
		ByName  map[string]inner  `json:"by_name"`
		Raw     json.RawMessage   `json:"raw"`
		Labels  map[string]string `json:"labels"`
		*embedded
	}
	type input struct {
		Name     string   `json:"name"`
		Settings settings `json:"settings"`
	}

	cases := []struct {
		name, body, member, want string
	}{
		{"top level", `{"colour": "red"}`, "colour", "colour"},
		{"nested object", `{"settings": {"call_log": {"enabeld": true}}}`, "enabeld", "settings.call_log.enabeld"},
		{"case-insensitive match", `{"Settings": {"Call_Log": {"ENABLED": true, "x": 1}}}`, "x", "Settings.Call_Log.x"},
		{"array element", `{"settings": {"items": [{"enabled": true}, {"nope": 1}]}}`, "nope", "settings.items[1].nope"},
		{"map value", `{"settings": {"by_name": {"ann": {"nope": 1}}}}`, "nope", "settings.by_name.ann.nope"},
		{"embedded struct", `{"settings": {"create_url": "x", "nope": 1}}`, "nope", "settings.nope"},
		{"below raw JSON", `{"settings": {"raw": {"nope": 1}}}`, "nope", "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, UnknownFieldPath([]byte(c.body), &input{}, c.member))
		})
	}
}
