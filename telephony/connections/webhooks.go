package connections

import (
	"strings"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/twilio"
	"github.com/switchboard-oss/switchboard/telephony/vonage"
)

// HookEvents is the hook of providers that post every event to one URL:
// Telnyx, Aircall and generic connections.
const HookEvents = "events"

// providerHooks lists the hooks to configure at each provider. Twilio's dial
// and voicemail hooks are left out because the TwiML that Switchboard
// returns points Twilio at them itself. Its recording hook is set where
// recordings start, as recordingStatusCallback.
var providerHooks = map[telephony.Provider][]string{
	telephony.ProviderTwilio:  {twilio.HookVoice, twilio.HookStatus, twilio.HookRecording},
	telephony.ProviderVonage:  {vonage.HookAnswer, vonage.HookEvent},
	telephony.ProviderTelnyx:  {HookEvents},
	telephony.ProviderAircall: {HookEvents},
	telephony.ProviderGeneric: {HookEvents},
}

// WebhookURLs returns the URL of each hook to configure at the provider,
// by hook name: {publicBaseURL}/hooks/{provider}/{connectionID}/{hook}.
// Twilio has voice ("A call comes in"), status (the status callback) and
// recording (the recording status callback), Vonage answer (answer_url)
// and event (event_url), and the others events.
func WebhookURLs(publicBaseURL string, provider telephony.Provider, connectionID string) map[string]string {
	base := HookBaseURL(publicBaseURL, provider, connectionID)
	hooks := providerHooks[provider]
	urls := make(map[string]string, len(hooks))
	for _, hook := range hooks {
		urls[hook] = base + hook
	}
	return urls
}

// HookBaseURL returns the URL that every webhook URL of the connection
// starts with: {publicBaseURL}/hooks/{provider}/{connectionID}/.
func HookBaseURL(publicBaseURL string, provider telephony.Provider, connectionID string) string {
	return strings.TrimRight(publicBaseURL, "/") + "/hooks/" + string(provider) + "/" + connectionID + "/"
}
