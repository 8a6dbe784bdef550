package telephony

import (
	"errors"
	"fmt"
)

// ErrBadSignature is returned (wrapped) by Adapter.Verify when a webhook's
// signature, token or timestamp does not check out.
var ErrBadSignature = errors.New("webhook signature check failed")

// ErrMalformed is returned (wrapped) by Adapter.Parse for a payload that
// cannot be read at all.
var ErrMalformed = errors.New("malformed webhook payload")

// ProviderError is an error answer from a provider's REST API.
type ProviderError struct {
	Provider   Provider
	StatusCode int
	Message    string
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("%s API returned status %d: %s", e.Provider, e.StatusCode, e.Message)
}

// ErrCallEnded is returned (wrapped) by LiveCallController.Reroute when the
// provider reports the call is no longer in progress.
var ErrCallEnded = errors.New("call has already ended")
