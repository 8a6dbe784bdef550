package store

import (
	"strings"

	"github.com/google/uuid"
)

// Id prefixes name the kind of object an id belongs to, so a contact id
// pasted where a phonebook id belongs is caught on sight.
const (
	PrefixWorkspace = "ws_"
	PrefixAPIKey    = "key_"
	PrefixPhonebook = "pb_"
	PrefixContact   = "ct_"
)

// NewID returns a new id with prefix. The body is a UUIDv7 in hex, so ids
// sort roughly by creation time and B-tree inserts stay local.
func NewID(prefix string) string {
	return prefix + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
}
