package telephony

import (
	"errors"
	"strings"
)

// SIPURI returns target with the "sip:" scheme added when it has neither
// "sip:" nor "sips:", as TwiML <Sip> and NCCO sip endpoints require.
func SIPURI(target string) string {
	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		return target
	}
	return "sip:" + target
}

// ExtensionTarget resolves an agent extension to what rings it: the SIP URI
// extension@sipDomain when overSIP is true, otherwise the softphone
// identity named like the extension.
func ExtensionTarget(extension string, overSIP bool, sipDomain string) (TargetKind, string, error) {
	if !overSIP {
		return TargetClient, extension, nil
	}
	if sipDomain == "" {
		return "", "", errors.New("invalid configuration: extensions ring over SIP but no SIP domain is set")
	}
	return TargetSIP, "sip:" + extension + "@" + sipDomain, nil
}
