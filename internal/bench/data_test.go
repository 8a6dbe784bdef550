package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony/phone"
)

func TestGeneratedNumbersParse(t *testing.T) {
	tests := []struct {
		name string
		k    int
		want string
	}{
		{name: "first number", k: 0, want: "+12015500000"},
		{name: "last of first area", k: numbersPerArea - 1, want: "+12015599999"},
		{name: "first of second area", k: numbersPerArea, want: "+12025500000"},
		{name: "last number", k: maxNumbers - 1, want: "+13025599999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, e164(tt.k))

			fromE164, err := phone.MatchKey(e164(tt.k), "US")
			require.NoError(t, err)
			require.Equal(t, tt.want, fromE164)

			fromNational, err := phone.MatchKey(nationalForm(tt.k), "US")
			require.NoError(t, err)
			require.Equal(t, tt.want, fromNational)
		})
	}
}

func TestSeedContactNumbers(t *testing.T) {
	even := seedContact(4)
	require.Equal(t, "ext-4", *even.ExternalID)
	require.Len(t, even.PhoneNumbers.V, 2)
	require.Equal(t, e164(8), even.PhoneNumbers.V[0].E164)
	require.Equal(t, e164(9), even.PhoneNumbers.V[1].E164)

	odd := seedContact(5)
	require.Len(t, odd.PhoneNumbers.V, 1)
	require.Equal(t, e164(10), odd.PhoneNumbers.V[0].E164)
}

func TestLookupRequestsTargets(t *testing.T) {
	const contacts = 1001
	reqs := lookupRequests(contacts, 5000, 7)
	require.Len(t, reqs, 5000)

	unknown := 0
	for _, r := range reqs {
		raw, err := url.ParseQuery(strings.TrimPrefix(r.path, "/v1/contacts/lookup?"))
		require.NoError(t, err)
		number, err := phone.MatchKey(raw.Get("phone"), "US")
		require.NoError(t, err)

		owner := ownerOf(t, number, contacts)
		if r.externalID == "" {
			unknown++
			require.Equal(t, -1, owner, "number %s is expected to be unknown", number)
			continue
		}
		require.Equal(t, r.externalID, externalID(owner), "number %s", number)
	}
	require.InDelta(t, 500, unknown, 100)
}

// ownerOf returns the seeded contact that has number e164 in a directory of
// n contacts, or -1.
func ownerOf(t *testing.T, number string, n int) int {
	t.Helper()
	for k := 0; k <= numbersPerContact*n; k++ {
		if e164(k) != number {
			continue
		}
		i := k / numbersPerContact
		if i >= n || (k%numbersPerContact == 1 && !hasSecondNumber(i)) {
			return -1
		}
		return i
	}
	t.Fatalf("number %s is not in the generated range", number)
	return -1
}

func TestImportCSVRows(t *testing.T) {
	file, err := importCSV(3)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	require.Len(t, lines, 4)
	require.Equal(t, strings.Join(csvHeader, ","), lines[0])
	require.Equal(t, "csv-1,Alan,Lovelace,Globex,Alan.Lovelace.1@example.net,(201) 550-0002,+12015500003,silver", lines[2])
}

func TestSummarizeNearestRank(t *testing.T) {
	samples := make([]time.Duration, 100)
	for i := range samples {
		samples[i] = time.Duration(100-i) * time.Millisecond
	}
	stats := summarize(samples)
	require.Equal(t, 50*time.Millisecond, stats.p50)
	require.Equal(t, 90*time.Millisecond, stats.p90)
	require.Equal(t, 99*time.Millisecond, stats.p99)
	require.Equal(t, 100*time.Millisecond, stats.max)
}

func TestGroupThousands(t *testing.T) {
	tests := []struct {
		name string
		in   int
		want string
	}{
		{name: "small", in: 999, want: "999"},
		{name: "thousands", in: 1000, want: "1,000"},
		{name: "millions", in: 1234567, want: "1,234,567"},
		{name: "negative", in: -1234, want: "-1,234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, groupThousands(tt.in))
		})
	}
}
