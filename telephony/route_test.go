package telephony_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
)

func TestSIPURIAddsSchemeOnce(t *testing.T) {
	require.Equal(t, "sip:alice@pbx.example.com", telephony.SIPURI("alice@pbx.example.com"))
	require.Equal(t, "sip:alice@pbx.example.com", telephony.SIPURI("sip:alice@pbx.example.com"))
	require.Equal(t, "SIPS:alice@pbx.example.com", telephony.SIPURI("SIPS:alice@pbx.example.com"))
}

func TestExtensionTarget(t *testing.T) {
	kind, target, err := telephony.ExtensionTarget("201", false, "")
	require.NoError(t, err)
	require.Equal(t, telephony.TargetClient, kind)
	require.Equal(t, "201", target)

	kind, target, err = telephony.ExtensionTarget("201", true, "pbx.example.com")
	require.NoError(t, err)
	require.Equal(t, telephony.TargetSIP, kind)
	require.Equal(t, "sip:201@pbx.example.com", target)

	_, _, err = telephony.ExtensionTarget("201", true, "")
	require.ErrorContains(t, err, "no SIP domain")
}
