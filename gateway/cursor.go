package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-oss/switchboard/internal/secret"
	"github.com/switchboard-oss/switchboard/internal/validation"
	"github.com/switchboard-oss/switchboard/store"
)

// Lists a cursor may belong to. A cursor of one list is invalid on another.
const (
	cursorContacts   = "contacts"
	cursorDeleted    = "deleted"
	cursorPhonebooks = "phonebooks"
)

// pageCursor is the state of a paged listing between two requests: the
// list and workspace it belongs to, the filters and order of the first
// request, the snapshot bound and the key of the last row returned. It
// travels to the client as base64url JSON followed by an HMAC-SHA256 tag,
// so a client can neither read meaning into it nor alter it.
type pageCursor struct {
	List        string `json:"l"`
	WorkspaceID string `json:"w"`
	// Filters are the filter and order parameters in normalised form, such
	// as times in Unix milliseconds, so equal filters compare equal.
	Filters map[string]string `json:"f,omitempty"`
	// Until is the snapshot bound in Unix milliseconds, 0 for none.
	Until int64 `json:"u,omitempty"`
	// At and ID are the sort key of the last row returned.
	At int64  `json:"a"`
	ID string `json:"i"`
}

// after returns the key the next page starts after, or nil on the first
// page.
func (pc pageCursor) after() *store.Keyset {
	if pc.ID == "" {
		return nil
	}
	return &store.Keyset{At: store.Millis(time.UnixMilli(pc.At)), ID: pc.ID}
}

// until returns the snapshot bound, or nil when the list has none.
func (pc pageCursor) until() *store.UnixMilli {
	if pc.Until == 0 {
		return nil
	}
	bound := store.Millis(time.UnixMilli(pc.Until))
	return &bound
}

// encodeCursor returns the signed text form of pc.
func (s *Server) encodeCursor(pc pageCursor) string {
	payload, err := json.Marshal(pc)
	if err != nil {
		// pageCursor holds only strings, numbers and a string map.
		panic("encode cursor: " + err.Error())
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.cursorTag(body))
}

// decodeCursor checks the signature of raw and that it belongs to list in
// workspaceID. Every failure is the same 400 problem, so a client learns
// nothing from probing.
func (s *Server) decodeCursor(raw, list, workspaceID string) (pageCursor, error) {
	invalid := newProblem(probMalformed, "The cursor is invalid: pass next_cursor of the previous page unchanged, or start again without a cursor.")
	invalid.InvalidParams = []validation.FieldError{{Field: "cursor", Reason: "is invalid, altered or from another listing"}}

	body, tagText, ok := strings.Cut(raw, ".")
	if !ok {
		return pageCursor{}, invalid
	}
	tag, err := base64.RawURLEncoding.DecodeString(tagText)
	if err != nil || !hmac.Equal(tag, s.cursorTag(body)) {
		return pageCursor{}, invalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return pageCursor{}, invalid
	}

	var pc pageCursor
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pc); err != nil || pc.List != list || pc.WorkspaceID != workspaceID {
		return pageCursor{}, invalid
	}
	return pc, nil
}

func (s *Server) cursorTag(body string) []byte {
	mac := hmac.New(sha256.New, s.keyring.Subkey(secret.LabelCursor))
	mac.Write([]byte(body))
	return mac.Sum(nil)
}

// Page sizes of every list.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

// parseLimit reads the limit parameter: 1 to maxPageLimit, defaultPageLimit
// when absent. Limits outside the range are a 400 problem, like every bad
// query parameter, rather than clamped.
func parseLimit(value string) (int, error) {
	if value == "" {
		return defaultPageLimit, nil
	}
	limit, err := strconv.Atoi(value)
	if err != nil || limit < 1 || limit > maxPageLimit {
		return 0, queryProblem("limit", "must be a whole number from 1 to %d, not %q", maxPageLimit, value)
	}
	return limit, nil
}

// nextPage returns the cursor and URL of the page after the one whose
// last row has the key (at, id). path is the list's path, such as
// /v1/contacts.
func (s *Server) nextPage(path string, pc pageCursor, at store.UnixMilli, id string, limit int) (cursor, nextURL string) {
	pc.At, pc.ID = at.UnixMilli(), id
	cursor = s.encodeCursor(pc)
	query := url.Values{"cursor": {cursor}, "limit": {strconv.Itoa(limit)}}
	return cursor, path + "?" + query.Encode()
}
