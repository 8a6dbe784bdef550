package gateway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{name: "epoch seconds", value: "1700000000", want: "2023-11-14T22:13:20.000Z"},
		{name: "epoch zero", value: "0", want: "1970-01-01T00:00:00.000Z"},
		{name: "epoch fraction", value: "1700000000.25", want: "2023-11-14T22:13:20.250Z"},
		{name: "epoch fraction past milliseconds", value: "1700000000.123999", want: "2023-11-14T22:13:20.123Z"},
		{name: "rfc 3339 utc", value: "2024-05-01T12:00:00Z", want: "2024-05-01T12:00:00.000Z"},
		{name: "rfc 3339 offset", value: "2024-05-01T14:00:00.5+02:00", want: "2024-05-01T12:00:00.500Z"},
		{name: "rfc 3339 offset with plus as space", value: "2024-05-01T14:00:00 02:00", want: "2024-05-01T12:00:00.000Z"},
		{name: "rfc 3339 nanoseconds", value: "2024-05-01T12:00:00.123456789Z", want: "2024-05-01T12:00:00.123Z"},
		{name: "surrounding spaces", value: " 1700000000 ", want: "2023-11-14T22:13:20.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTime(tt.value)
			require.NoError(t, err)
			require.Equal(t, tt.want, formatTime(got.Time))
		})
	}
}

func TestParseTimeRejected(t *testing.T) {
	for _, value := range []string{"", "yesterday", "-1", "1e9", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "999999999999", "1700000000.", "0x10"} {
		t.Run(value, func(t *testing.T) {
			_, err := parseTime(value)
			require.Error(t, err)
		})
	}
}

func TestParseTimeKeepsUTC(t *testing.T) {
	got, err := parseTime("2024-05-01T14:00:00+02:00")
	require.NoError(t, err)
	require.Equal(t, time.UTC, got.Location())
}
