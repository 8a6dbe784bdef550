package routing

import (
	"fmt"
	"strconv"
	"strings"
)

// weekdayNames lists the day names that business_hours accepts, in ISO 8601
// order, so the index of a name is its weekday number minus one.
var weekdayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// hours is a parsed business_hours("Mon-Fri", "09:00", "17:30") window.
type hours struct {
	days  [7]bool // indexed by ISO weekday number minus one
	open  int     // minutes after midnight, inclusive
	close int     // minutes after midnight, exclusive
}

// parseHours parses the arguments of business_hours. days is a comma-separated
// list of day names and ranges such as "Mon-Fri,Sun", and a range may wrap
// past Sunday ("Fri-Mon"). open and close are "HH:MM" in 24-hour time, and close
// may be "24:00". A close earlier than open is a window that runs past
// midnight, and it belongs to the day it opens on.
func parseHours(days, open, close string) (hours, error) {
	var h hours
	var err error

	h.days, err = parseDays(days)
	if err != nil {
		return hours{}, err
	}

	h.open, err = parseClock(open)
	if err != nil {
		return hours{}, fmt.Errorf("opening time: %w", err)
	}
	if h.open == 24*60 {
		return hours{}, fmt.Errorf("opening time %q: must be before 24:00", open)
	}

	h.close, err = parseClock(close)
	if err != nil {
		return hours{}, fmt.Errorf("closing time: %w", err)
	}
	if h.close == h.open {
		return hours{}, fmt.Errorf("opening and closing times are both %q", open)
	}

	return h, nil
}

func parseDays(spec string) ([7]bool, error) {
	var days [7]bool

	for _, part := range strings.Split(spec, ",") {
		first, last, isRange := strings.Cut(strings.TrimSpace(part), "-")

		from, err := parseDay(first)
		if err != nil {
			return days, err
		}
		to := from
		if isRange {
			to, err = parseDay(last)
			if err != nil {
				return days, err
			}
		}

		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
	}

	return days, nil
}

func parseDay(name string) (int, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	for i, day := range weekdayNames {
		if key == day {
			return i, nil
		}
	}
	return 0, fmt.Errorf("invalid day %q: use Mon, Tue, Wed, Thu, Fri, Sat or Sun, ranges like Mon-Fri and commas between them", name)
}

// parseClock returns the minutes after midnight of "HH:MM", 00:00 to 24:00.
func parseClock(value string) (int, error) {
	hh, mm, ok := strings.Cut(value, ":")
	if !ok || !isTwoDigits(hh) || !isTwoDigits(mm) {
		return 0, fmt.Errorf("invalid time %q: use HH:MM such as 09:00", value)
	}

	hour, _ := strconv.Atoi(hh)
	minute, _ := strconv.Atoi(mm)
	if minute > 59 || hour*60+minute > 24*60 {
		return 0, fmt.Errorf("invalid time %q: use HH:MM from 00:00 to 24:00", value)
	}

	return hour*60 + minute, nil
}

func isTwoDigits(s string) bool {
	return len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
}

// contains reports whether the minute of the day on the ISO weekday falls in
// the window.
func (h hours) contains(weekday, minute int) bool {
	today := weekday - 1
	yesterday := (today + 6) % 7

	if h.open < h.close {
		return h.days[today] && minute >= h.open && minute < h.close
	}
	return (h.days[today] && minute >= h.open) || (h.days[yesterday] && minute < h.close)
}

// inBusinessHours is business_hours(days, open, close) as expressions call it.
func (t TimeEnv) inBusinessHours(days, open, close string) (bool, error) {
	h, err := parseHours(days, open, close)
	if err != nil {
		return false, fmt.Errorf("business_hours: %w", err)
	}
	return h.contains(t.WeekdayNumber, t.Hour*60+t.Minute), nil
}
