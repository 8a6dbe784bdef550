package twilio

import (
	"fmt"
	"net/url"

	"github.com/switchboard-oss/switchboard/telephony"
)

// recordingCompleted is the RecordingStatus of a recording whose file is
// ready at RecordingUrl. Twilio also reports in-progress, absent (nothing
// was recorded) and failed, and sends statuses other than completed only
// when recordingStatusCallbackEvent lists them.
const recordingCompleted = "completed"

// isRecordingCallback reports whether params are those of a recording
// status callback. Such a callback carries RecordingStatus but no
// CallStatus, which every call status callback and <Record> action request
// carries.
func isRecordingCallback(params url.Values) bool {
	return params.Has("RecordingStatus") && !params.Has("CallStatus")
}

// parseRecording reads a recording status callback. A completed recording
// gives one event without a status, which adds the recording URL to the call
// and changes nothing else. Its ProviderEventID comes from RecordingSid, so
// a retried callback is stored once. Any other RecordingStatus yields no
// events, because it has no file to link.
func parseRecording(params url.Values) ([]telephony.CallEvent, error) {
	status := params.Get("RecordingStatus")
	if status == "" {
		return nil, fmt.Errorf("%w: missing RecordingStatus", telephony.ErrMalformed)
	}
	if status != recordingCompleted {
		return nil, nil
	}

	recordingSid, recordingURL := params.Get("RecordingSid"), params.Get("RecordingUrl")
	if recordingSid == "" || recordingURL == "" {
		return nil, fmt.Errorf("%w: missing RecordingSid or RecordingUrl in a completed recording status callback", telephony.ErrMalformed)
	}

	callSid := params.Get("CallSid")
	return []telephony.CallEvent{{
		Provider:        telephony.ProviderTwilio,
		ProviderCallID:  callSid,
		ProviderEventID: callSid + "/recording/" + recordingSid,
		RecordingURL:    recordingURL,
	}}, nil
}
