package salesforce

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// encodeCursor returns the opaque Page.Next form of cur.
func encodeCursor(cur *cursor) string {
	encoded, err := json.Marshal(cur)
	if err != nil {
		// A cursor holds only strings, times and booleans.
		panic(fmt.Sprintf("encoding salesforce cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(encoded)
}

// decodeCursor parses a Page.Next of this connector. A cursor made for other
// objects, or one that was altered, is an error.
func (c *Connector) decodeCursor(text string) (*cursor, error) {
	decoded, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("invalid salesforce cursor: %w", err)
	}
	var cur cursor
	if err := json.Unmarshal(decoded, &cur); err != nil {
		return nil, fmt.Errorf("invalid salesforce cursor: %w", err)
	}

	if cur.Until.IsZero() {
		return nil, fmt.Errorf("invalid salesforce cursor: no upper bound")
	}
	if !cur.sameObjects(c.objects) {
		return nil, fmt.Errorf("invalid salesforce cursor: it lists other objects than %s; restart the listing", strings.Join(c.objects, ", "))
	}
	for object, state := range cur.Objects {
		if !validLocator(state.Next) {
			return nil, fmt.Errorf("invalid salesforce cursor: %s has a next URL outside /services/data/", object)
		}
	}
	return &cur, nil
}

// finished reports whether every object's changes and deletions are
// exhausted.
func (cur *cursor) finished() bool {
	for _, state := range cur.Objects {
		if !state.Done || (!cur.DeletedFrom.IsZero() && !state.DeletedDone) {
			return false
		}
	}
	return true
}

// sameObjects reports whether the cursor was made for objects.
func (cur *cursor) sameObjects(objects []string) bool {
	if len(cur.Objects) != len(objects) {
		return false
	}
	for _, object := range objects {
		if cur.Objects[object] == nil {
			return false
		}
	}
	return true
}

// validLocator reports whether next is a query locator path of this API.
func validLocator(next string) bool {
	return next == "" || (strings.HasPrefix(next, "/services/data/v") && !strings.Contains(next, ".."))
}
