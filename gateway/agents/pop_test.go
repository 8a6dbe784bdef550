package agents

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelectFields(t *testing.T) {
	long := `"` + strings.Repeat("n", MaxDefaultFieldBytes) + `"`
	extra := json.RawMessage(`{"crm_url":"https://crm.example.com/c/1","notes":` + long + `,"tier":"gold","owner":{"name":"Bo"}}`)

	tests := []struct {
		name string
		keys []string
		want string
	}{
		{name: "default", want: `{"owner":{"name":"Bo"},"tier":"gold"}`},
		{name: "listed keys", keys: []string{"notes", "tier", "missing"}, want: `{"notes":` + long + `,"tier":"gold"}`},
		{name: "listed crm_url", keys: []string{"crm_url"}, want: `{"crm_url":"https://crm.example.com/c/1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(SelectFields(extra, tt.keys))
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
	t.Run("not an object", func(t *testing.T) {
		require.Empty(t, SelectFields(json.RawMessage(`[1]`), nil))
	})
}

func TestCRMURL(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		want  string
	}{
		{name: "https", extra: `{"crm_url":"https://app.hubspot.com/contacts/1/record/0-1/51"}`, want: "https://app.hubspot.com/contacts/1/record/0-1/51"},
		{name: "http", extra: `{"crm_url":" http://crm.local/c/7 "}`, want: "http://crm.local/c/7"},
		{name: "javascript", extra: `{"crm_url":"javascript:alert(1)"}`},
		{name: "relative", extra: `{"crm_url":"/contacts/1"}`},
		{name: "not a string", extra: `{"crm_url":42}`},
		{name: "missing", extra: `{"tier":"gold"}`},
		{name: "empty", extra: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := crmURL(json.RawMessage(tt.extra))
			if tt.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, tt.want, *got)
		})
	}
}

func TestChannelForSchema(t *testing.T) {
	require.Equal(t, "switchboard_calls", ChannelForSchema("public"))
	require.Equal(t, "switchboard_calls", ChannelForSchema(""))
	require.Equal(t, "switchboard_calls_t_abc", ChannelForSchema("t_abc"))

	long := ChannelForSchema(strings.Repeat("s", 60))
	require.LessOrEqual(t, len(long), maxChannelBytes)
	require.NotEqual(t, long, ChannelForSchema(strings.Repeat("s", 61)))
}
