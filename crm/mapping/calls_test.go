package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/internal/validation"
)

func TestApplyCallDefaultTitle(t *testing.T) {
	values := map[string]string{CallSourceDirection: "inbound", CallSourceCaller: "+14155550123", CallSourceContactName: "Ada Lovelace"}
	require.Equal(t, map[string]string{"title": "inbound call +14155550123 Ada Lovelace"}, ApplyCall(DefaultCall(), values))

	delete(values, CallSourceContactName)
	require.Equal(t, map[string]string{"title": "inbound call +14155550123"}, ApplyCall(DefaultCall(), values))
}

func TestApplyCallTransforms(t *testing.T) {
	m := Mapping{Fields: []FieldMapping{
		{Target: "Call_Reason__c", Value: "Support", Transform: TransformConstant},
		{Target: "hs_call_source", Sources: []string{CallSourceNotes, CallSourceProvider}},
		{Target: "agent_key", Source: CallSourceAgent, Transform: TransformLowercase},
		{Target: "empty", Source: CallSourceRecordingURL},
	}}
	require.NoError(t, ValidateCall(m))

	got := ApplyCall(m, map[string]string{CallSourceProvider: "twilio", CallSourceAgent: "Client:Ann"})
	require.Equal(t, map[string]string{"Call_Reason__c": "Support", "hs_call_source": "twilio", "agent_key": "client:ann"}, got)
}

func TestValidateCallRejects(t *testing.T) {
	m := Mapping{Fields: []FieldMapping{
		{Target: "", Source: CallSourceFrom},
		{Target: "bad name", Source: CallSourceFrom},
		{Target: "title", Source: "firstname"},
		{Target: "title", Source: CallSourceFrom},
		{Target: "x", Source: CallSourceFrom, Transform: TransformNormalizePhone},
		{Target: "y", Transform: TransformTemplate, Template: "{{nope}}"},
	}}
	err := ValidateCall(m)
	var verr *validation.Error
	require.ErrorAs(t, err, &verr)
	fields := map[string]bool{}
	for _, f := range verr.Fields {
		fields[f.Field] = true
	}
	require.Equal(t, map[string]bool{
		"fields[0].target": true, "fields[1].target": true, "fields[2].source": true, "fields[3].target": true,
		"fields[4].transform": true, "fields[5].source": true,
	}, fields)
}
