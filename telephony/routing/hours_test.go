package routing

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBusinessHours(t *testing.T) {
	tests := []struct {
		name    string
		days    string
		open    string
		close   string
		weekday int // ISO: 1 Monday .. 7 Sunday
		clock   string
		want    bool
	}{
		{name: "weekday at opening", days: "Mon-Fri", open: "09:00", close: "17:30", weekday: 1, clock: "09:00", want: true},
		{name: "weekday before opening", days: "Mon-Fri", open: "09:00", close: "17:30", weekday: 1, clock: "08:59", want: false},
		{name: "weekday at closing", days: "Mon-Fri", open: "09:00", close: "17:30", weekday: 5, clock: "17:30", want: false},
		{name: "weekday just before closing", days: "Mon-Fri", open: "09:00", close: "17:30", weekday: 5, clock: "17:29", want: true},
		{name: "saturday", days: "Mon-Fri", open: "09:00", close: "17:30", weekday: 6, clock: "10:00", want: false},
		{name: "list and range", days: "Mon-Wed, sun", open: "09:00", close: "12:00", weekday: 7, clock: "10:00", want: true},
		{name: "list excludes thursday", days: "Mon-Wed,Sun", open: "09:00", close: "12:00", weekday: 4, clock: "10:00", want: false},
		{name: "range wraps past sunday", days: "Fri-Mon", open: "09:00", close: "12:00", weekday: 7, clock: "10:00", want: true},
		{name: "wrapped range excludes tuesday", days: "Fri-Mon", open: "09:00", close: "12:00", weekday: 2, clock: "10:00", want: false},
		{name: "close at midnight", days: "Sat", open: "20:00", close: "24:00", weekday: 6, clock: "23:59", want: true},
		{name: "overnight before midnight", days: "Fri", open: "22:00", close: "02:00", weekday: 5, clock: "23:00", want: true},
		{name: "overnight after midnight", days: "Fri", open: "22:00", close: "02:00", weekday: 6, clock: "01:00", want: true},
		{name: "overnight belongs to opening day", days: "Fri", open: "22:00", close: "02:00", weekday: 5, clock: "01:00", want: false},
		{name: "overnight after closing", days: "Fri", open: "22:00", close: "02:00", weekday: 6, clock: "02:00", want: false},
		{name: "overnight sunday into monday", days: "Sun", open: "22:00", close: "06:00", weekday: 1, clock: "05:59", want: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			minute, err := parseClock(tt.clock)
			require.NoError(t, err)
			now := TimeEnv{WeekdayNumber: tt.weekday, Hour: minute / 60, Minute: minute % 60}

			got, err := now.inBusinessHours(tt.days, tt.open, tt.close)

			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBusinessHoursErrors(t *testing.T) {
	tests := []struct {
		name    string
		days    string
		open    string
		close   string
		message string
	}{
		{name: "unknown day", days: "Mon-Fry", open: "09:00", close: "17:00", message: `business_hours: invalid day "Fry": use Mon, Tue, Wed, Thu, Fri, Sat or Sun, ranges like Mon-Fri and commas between them`},
		{name: "empty days", days: "", open: "09:00", close: "17:00", message: `business_hours: invalid day "": use Mon, Tue, Wed, Thu, Fri, Sat or Sun, ranges like Mon-Fri and commas between them`},
		{name: "one-digit hour", days: "Mon", open: "9:00", close: "17:00", message: `business_hours: opening time: invalid time "9:00": use HH:MM such as 09:00`},
		{name: "signed hour", days: "Mon", open: "+9:00", close: "17:00", message: `business_hours: opening time: invalid time "+9:00": use HH:MM such as 09:00`},
		{name: "minute out of range", days: "Mon", open: "09:00", close: "17:60", message: `business_hours: closing time: invalid time "17:60": use HH:MM from 00:00 to 24:00`},
		{name: "past midnight", days: "Mon", open: "09:00", close: "24:01", message: `business_hours: closing time: invalid time "24:01": use HH:MM from 00:00 to 24:00`},
		{name: "open at midnight end", days: "Mon", open: "24:00", close: "09:00", message: `business_hours: opening time "24:00": must be before 24:00`},
		{name: "empty window", days: "Mon", open: "09:00", close: "09:00", message: `business_hours: opening and closing times are both "09:00"`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TimeEnv{WeekdayNumber: 1}.inBusinessHours(tt.days, tt.open, tt.close)

			require.EqualError(t, err, tt.message)
		})
	}
}

func TestBusinessHoursRuntimeArguments(t *testing.T) {
	rs := mustCompile(t, Rule{
		Name:  "custom-hours",
		When:  `contact != nil && business_hours(contact.extra_data.days, "09:00", "17:00")`,
		Route: queueRoute("sales"),
	})

	tests := []struct {
		name      string
		days      any
		wantIndex int
		wantErr   string
	}{
		{name: "open today", days: "Wed", wantIndex: 0},
		{name: "closed today", days: "Mon,Tue", wantIndex: -1},
		{name: "invalid days", days: "weekdays", wantIndex: -1, wantErr: `rule 0 ("custom-hours"): when: business_hours: invalid day "weekdays"`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := rs.Evaluate(Env{Contact: contactWith(map[string]any{"days": tt.days}), Now: wednesdayMorning})

			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantIndex, decision.RuleIndex)
		})
	}
}
