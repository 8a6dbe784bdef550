package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateOrigins(t *testing.T) {
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{name: "empty", value: "", ok: true},
		{name: "one", value: "https://console.example.com", ok: true},
		{name: "several with port", value: "https://a.example.com, http://localhost:3000,", ok: true},
		{name: "trailing slash", value: "https://console.example.com/", ok: true},
		{name: "path", value: "https://console.example.com/agent", ok: false},
		{name: "no scheme", value: "console.example.com", ok: false},
		{name: "other scheme", value: "ws://console.example.com", ok: false},
		{name: "query", value: "https://console.example.com?x=1", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateOrigins(tt.value)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
		})
	}
}

func TestConfigList(t *testing.T) {
	c := &config{values: map[string]string{"SWITCHBOARD_ALLOWED_ORIGINS": " https://a.example.com ,, http://b.example.com "}}

	require.Equal(t, []string{"https://a.example.com", "http://b.example.com"}, c.list("SWITCHBOARD_ALLOWED_ORIGINS"))
}
