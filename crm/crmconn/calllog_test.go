package crmconn

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/crm"
	"github.com/switchboard-oss/switchboard/crm/generic"
	"github.com/switchboard-oss/switchboard/crm/mapping"
	"github.com/switchboard-oss/switchboard/internal/validation"
)

func callLogFields(t *testing.T, kind crm.Kind, s *CallLogSettings) map[string]bool {
	t.Helper()
	var v validation.Error
	checkCallLog(&v, kind, s)
	fields := map[string]bool{}
	for _, f := range v.Fields {
		fields[f.Field] = true
	}
	return fields
}

func TestCheckCallLogRejects(t *testing.T) {
	s := &CallLogSettings{
		Enabled: true, UnknownCallers: "ask", RequestsPerSecond: 1000, Burst: -1, MaxConcurrency: 50,
		UserMap: map[string]string{"201": ""},
		Mapping: &mapping.Mapping{Fields: []mapping.FieldMapping{{Target: "bad name", Source: "from"}}},
	}
	require.Equal(t, map[string]bool{
		"settings.call_log.unknown_callers": true, "settings.call_log.requests_per_second": true,
		"settings.call_log.burst": true, "settings.call_log.max_concurrency": true, "settings.call_log.user_map.201": true,
		"settings.call_log.mapping.fields[0].target": true,
	}, callLogFields(t, crm.KindHubSpot, s))
}

func TestCheckCallLogUserIDs(t *testing.T) {
	cases := []struct {
		kind    crm.Kind
		valid   []string
		invalid []string
	}{
		{kind: crm.KindPipedrive, valid: []string{"12345"}, invalid: []string{"alex", "0", "-4", "12.5", " 12"}},
		{kind: crm.KindHubSpot, valid: []string{"12345678"}, invalid: []string{"alex", "0", "1e5"}},
		{
			kind:    crm.KindSalesforce,
			valid:   []string{"005000000000001", "005Hs00000AbCdEAAV"},
			invalid: []string{"alex", "00Q000000000001", "00500000000001", "005000000000001A", "005-00000000001"},
		},
		{kind: crm.KindGeneric, valid: []string{"alex", "u-17"}},
	}
	for _, tc := range cases {
		for _, id := range tc.valid {
			settings := &CallLogSettings{UserMap: map[string]string{"201": id}}
			if tc.kind == crm.KindGeneric {
				settings.CallLogConfig = &generic.CallLogConfig{CreateURL: "https://crm.example.com/calls", BodyTemplate: `{"id": "{call_id}"}`, IDPath: "id"}
			}
			require.Empty(t, callLogFields(t, tc.kind, settings), "%s user id %q", tc.kind, id)
		}
		for _, id := range tc.invalid {
			settings := &CallLogSettings{UserMap: map[string]string{"alex@example.com": id}}
			require.Equal(t, map[string]bool{"settings.call_log.user_map.alex@example.com": true},
				callLogFields(t, tc.kind, settings), "%s user id %q", tc.kind, id)
		}
	}
}

func TestCheckCallLogGeneric(t *testing.T) {
	require.Equal(t, map[string]bool{"settings.call_log.create_url": true},
		callLogFields(t, crm.KindGeneric, &CallLogSettings{Enabled: true}))
	require.Equal(t, map[string]bool{"settings.call_log.unknown_callers": true}, callLogFields(t, crm.KindGeneric, &CallLogSettings{
		Enabled: true, UnknownCallers: UnknownCallerCreateContact,
		CallLogConfig: &generic.CallLogConfig{CreateURL: "https://crm.example.com/calls", BodyTemplate: `{"id": "{call_id}"}`, IDPath: "id"},
	}))
	require.Equal(t, map[string]bool{"settings.call_log.create_url": true}, callLogFields(t, crm.KindPipedrive, &CallLogSettings{
		CallLogConfig: &generic.CallLogConfig{CreateURL: "https://crm.example.com/calls"},
	}))
}

func TestCheckCallLogAssociateAllMatches(t *testing.T) {
	settings := &CallLogSettings{Enabled: true, AssociateAllMatches: true}
	require.Empty(t, callLogFields(t, crm.KindHubSpot, settings))
	for _, kind := range []crm.Kind{crm.KindPipedrive, crm.KindSalesforce} {
		require.Equal(t, map[string]bool{"settings.call_log.associate_all_matches": true}, callLogFields(t, kind, settings), kind)
	}
}

func TestCheckCallLogEmptyMapping(t *testing.T) {
	require.Equal(t, map[string]bool{"settings.call_log.mapping.fields": true},
		callLogFields(t, crm.KindHubSpot, &CallLogSettings{Enabled: true, Mapping: &mapping.Mapping{}}))
}

func TestCallLogLimitDefaults(t *testing.T) {
	require.Equal(t, CallLogLimit{PerSecond: 4, Burst: 4, Concurrency: 4}, CallLogSettings{}.Limit(crm.KindHubSpot))
	require.Equal(t, CallLogLimit{PerSecond: 0.5, Burst: 2, Concurrency: 1},
		CallLogSettings{RequestsPerSecond: 0.5, MaxConcurrency: 1}.Limit(crm.KindPipedrive))
}
