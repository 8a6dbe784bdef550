package gateway

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/secret"
)

func cursorServer(t *testing.T) *Server {
	keyring, err := secret.NewKeyring(testMasterKey)
	require.NoError(t, err)
	return &Server{keyring: keyring}
}

func TestCursorRoundTrip(t *testing.T) {
	s := cursorServer(t)
	pc := pageCursor{
		List:        cursorContacts,
		WorkspaceID: "ws_1",
		Filters:     map[string]string{"q": "ann", "sort": "updated_at", "updated_since": "1700000000000"},
		Until:       1700000005000,
		At:          1700000001000,
		ID:          "ct_1",
	}

	got, err := s.decodeCursor(s.encodeCursor(pc), cursorContacts, "ws_1")

	require.NoError(t, err)
	require.Equal(t, pc, got)
	require.Equal(t, int64(1700000001000), got.after().At.UnixMilli())
	require.Equal(t, int64(1700000005000), got.until().UnixMilli())
}

func TestCursorRejected(t *testing.T) {
	s := cursorServer(t)
	valid := s.encodeCursor(pageCursor{List: cursorContacts, WorkspaceID: "ws_1", At: 1, ID: "ct_1"})
	body, tag, _ := strings.Cut(valid, ".")
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"l":"contacts","w":"ws_1","a":1,"i":"ct_0"}`))

	other, err := secret.NewKeyring("another-master-key-0123456789abcd")
	require.NoError(t, err)
	otherServer := &Server{keyring: other}

	tests := []struct {
		name      string
		raw       string
		list      string
		workspace string
	}{
		{name: "altered body", raw: unsigned + "." + tag, list: cursorContacts, workspace: "ws_1"},
		{name: "no tag", raw: body, list: cursorContacts, workspace: "ws_1"},
		{name: "truncated tag", raw: valid[:len(valid)-4], list: cursorContacts, workspace: "ws_1"},
		{name: "not base64", raw: "%%%." + tag, list: cursorContacts, workspace: "ws_1"},
		{name: "empty", raw: ".", list: cursorContacts, workspace: "ws_1"},
		{name: "other workspace", raw: valid, list: cursorContacts, workspace: "ws_2"},
		{name: "other list", raw: valid, list: cursorDeleted, workspace: "ws_1"},
		{name: "other master key", raw: otherServer.encodeCursor(pageCursor{List: cursorContacts, WorkspaceID: "ws_1", ID: "ct_1"}), list: cursorContacts, workspace: "ws_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.decodeCursor(tt.raw, tt.list, tt.workspace)

			var p *Problem
			require.ErrorAs(t, err, &p)
			require.Equal(t, http.StatusBadRequest, p.Status)
			require.Contains(t, p.Detail, "cursor is invalid")
		})
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		value string
		want  int
		ok    bool
	}{
		{value: "", want: 100, ok: true},
		{value: "1", want: 1, ok: true},
		{value: "1000", want: 1000, ok: true},
		{value: "0"},
		{value: "1001"},
		{value: "-5"},
		{value: "1.5"},
		{value: "ten"},
	}
	for _, tt := range tests {
		t.Run("limit "+tt.value, func(t *testing.T) {
			got, err := parseLimit(tt.value)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
