package telnyx

import (
	"encoding/base64"
	"encoding/json"

	"github.com/switchboard-oss/switchboard/telephony"
)

// clientState is the document Switchboard puts, base64-encoded, into the
// client_state of every command. Telnyx repeats it in the later webhooks of
// the commanded leg and, through target_leg_client_state, of the leg a
// transfer dials.
type clientState struct {
	// CallControlID is the call_control_id of the leg that reached Telnyx.
	CallControlID string `json:"switchboard_call"`
	// Route is the kind of the route being carried out.
	Route telephony.TargetKind `json:"route,omitempty"`
}

// encode returns the base64 form that Telnyx requires for client_state.
func (s clientState) encode() string {
	document, _ := json.Marshal(s) // two strings always marshal
	return base64.StdEncoding.EncodeToString(document)
}

// decodeClientState reads a client_state set by Switchboard. It reports false
// for an empty value and for state set by anything else, which Parse ignores.
func decodeClientState(encoded string) (clientState, bool) {
	if encoded == "" {
		return clientState{}, false
	}

	document, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return clientState{}, false
	}

	var state clientState
	if err := json.Unmarshal(document, &state); err != nil || state.CallControlID == "" {
		return clientState{}, false
	}
	return state, true
}
