package gateway

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/inbound"
)

// maxWebhookBytes caps a webhook body. Provider call webhooks are a few
// kilobytes.
const maxWebhookBytes = 1 << 20

// receiveWebhook handles /hooks/{provider}/{connection_id}/{hook}: the
// provider's call webhooks. They carry no API credential; the inbound
// service checks their signature against the connection's secrets. The URL
// the signature covers is rebuilt from the public base URL, so it verifies
// behind a TLS-terminating proxy.
func (s *Server) receiveWebhook(c echo.Context) error {
	if s.inbound == nil {
		return newProblem(probUnavailable, "Telephony webhooks are not enabled on this server.")
	}
	req := c.Request()

	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxWebhookBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return newProblem(probTooLarge, "The webhook body is over the limit of %s.", byteSize(maxWebhookBytes))
	}
	if err != nil {
		return newProblem(probMalformed, "The webhook body could not be read: %v.", err)
	}

	answer, err := s.inbound.HandleWebhook(req.Context(), inbound.Hook{
		Provider:     c.Param("provider"),
		ConnectionID: c.Param("connection_id"),
		Name:         c.Param("hook"),
		Method:       req.Method,
		PublicURL:    strings.TrimRight(s.cfg.PublicBaseURL, "/") + req.RequestURI,
		Header:       req.Header,
		Body:         body,
		RemoteAddr:   c.RealIP(),
	})
	if err != nil {
		return err
	}
	return writeAnswer(c, answer)
}

// writeAnswer sends an adapter's answer as it is.
func writeAnswer(c echo.Context, answer telephony.Answer) error {
	status := answer.Status
	if status == 0 {
		status = http.StatusOK
	}
	if len(answer.Body) == 0 {
		return c.NoContent(status)
	}
	return c.Blob(status, answer.ContentType, answer.Body)
}

// telephonyProblem maps the errors of webhooks, reroutes and routing tests
// to problems, and returns nil for any other error.
func telephonyProblem(err error) *Problem {
	var providerErr *telephony.ProviderError
	switch {
	case errors.Is(err, telephony.ErrBadSignature):
		return newProblem(probBadSignature, "%s. Nothing was stored.", capitalise(err.Error()))
	case errors.Is(err, telephony.ErrMalformed):
		return newProblem(probMalformed, "%s.", capitalise(err.Error()))
	case errors.Is(err, inbound.ErrStoreUnavailable):
		return newProblem(probUnavailable, "The call event could not be stored; send the webhook again.")
	case errors.Is(err, inbound.ErrConnectionUnavailable):
		return newProblem(probUnavailable, "The telephony connection could not be loaded because the database is unavailable; send the webhook again.")
	case errors.Is(err, telephony.ErrCallEnded):
		return newProblem(probConflict, "The call has already ended, so it cannot be rerouted.")
	case errors.Is(err, inbound.ErrRerouteUnsupported):
		return newProblem(probConflict, "%s.", capitalise(err.Error()))
	case errors.As(err, &providerErr):
		return newProblem(probProvider, "%s.", capitalise(providerErr.Error()))
	case errors.Is(err, inbound.ErrProviderUnreachable):
		return newProblem(probProvider, "The provider's API could not be reached; try again later.")
	}
	return nil
}
