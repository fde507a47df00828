package pipeline

import (
	"fmt"
	"strings"
	"time"
)

// BusinessHours are when the firm works, in its own time zone: task
// deadlines count only these minutes ("call back within 15 minutes" of a
// lead that came in at 17:55 on a Friday is due at 9:10 on Monday).
type BusinessHours struct {
	Zone *time.Location
	// Open and Close are minutes after midnight, local time.
	Open, Close int
	// Days are the working weekdays.
	Days [7]bool
	// Holidays are dates (YYYY-MM-DD, local) the firm is closed.
	Holidays map[string]bool
}

// DefaultBusinessHours are Monday to Friday, 9:00 to 18:00, in zone, with
// Romania's public holidays of 2026 and 2027 (Codul muncii, art. 139).
func DefaultBusinessHours(zone *time.Location) BusinessHours {
	if zone == nil {
		zone = time.UTC
	}
	h := BusinessHours{Zone: zone, Open: 9 * 60, Close: 18 * 60, Holidays: map[string]bool{}}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = true
	}
	for _, d := range romanianHolidays {
		h.Holidays[d] = true
	}
	return h
}

// romanianHolidays are the public holidays of 2026 and 2027 (the
// Orthodox Easter and Pentecost dates included).
var romanianHolidays = []string{
	"2026-01-01", "2026-01-02", "2026-01-06", "2026-01-07", "2026-01-24", "2026-04-10", "2026-04-12", "2026-04-13",
	"2026-05-01", "2026-05-31", "2026-06-01", "2026-08-15", "2026-11-30", "2026-12-01", "2026-12-25", "2026-12-26",
	"2027-01-01", "2027-01-02", "2027-01-06", "2027-01-07", "2027-01-24", "2027-04-30", "2027-05-01", "2027-05-02",
	"2027-05-03", "2027-06-01", "2027-06-20", "2027-06-21", "2027-08-15", "2027-11-30", "2027-12-01", "2027-12-25", "2027-12-26",
}

// ParseBusinessHours reads ECRM_BUSINESS_HOURS, e.g. "Mon-Fri 09:00-18:00"
// or "Mon-Sat 08:30-17:00"; the holidays are the default ones.
func ParseBusinessHours(s string, zone *time.Location) (BusinessHours, error) {
	h := DefaultBusinessHours(zone)
	days, hours, ok := strings.Cut(strings.TrimSpace(s), " ")
	first, last, ok2 := strings.Cut(days, "-")
	open, closing, ok3 := strings.Cut(strings.TrimSpace(hours), "-")
	if !ok || !ok2 || !ok3 {
		return h, fmt.Errorf("ECRM_BUSINESS_HOURS=%q is not like \"Mon-Fri 09:00-18:00\"", s)
	}
	names := map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	from, ok := names[strings.ToLower(first)]
	to, ok2 := names[strings.ToLower(last)]
	if !ok || !ok2 {
		return h, fmt.Errorf("ECRM_BUSINESS_HOURS=%q: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun", s)
	}
	h.Days = [7]bool{}
	for d := from; ; d = (d + 1) % 7 {
		h.Days[d] = true
		if d == to {
			break
		}
	}
	minutes := func(hhmm string) (int, bool) {
		t, err := time.Parse("15:04", hhmm)
		return t.Hour()*60 + t.Minute(), err == nil
	}
	var ok4 bool
	h.Open, ok = minutes(open)
	h.Close, ok4 = minutes(closing)
	if !ok || !ok4 || h.Open >= h.Close {
		return h, fmt.Errorf("ECRM_BUSINESS_HOURS=%q: hours are HH:MM-HH:MM, opening before closing", s)
	}
	return h, nil
}

// working reports whether the firm works on t's local date.
func (h BusinessHours) working(t time.Time) bool {
	return h.Days[t.Weekday()] && !h.Holidays[t.Format(time.DateOnly)]
}

// at is the local time minute m of t's date.
func (h BusinessHours) at(t time.Time, m int) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, m/60, m%60, 0, 0, h.Zone)
}

// Add returns the moment minutes business minutes after start: time
// outside business hours does not count, and a start outside them counts
// from the next opening.
func (h BusinessHours) Add(start time.Time, minutes int) time.Time {
	t := start.In(h.Zone)
	left := time.Duration(minutes) * time.Minute
	for day := 0; day < 3660; day++ {
		if h.working(t) {
			open, closing := h.at(t, h.Open), h.at(t, h.Close)
			if t.Before(open) {
				t = open
			}
			if t.Before(closing) {
				if avail := closing.Sub(t); left <= avail {
					return t.Add(left)
				} else {
					left -= avail
				}
			}
		}
		// The next day's start, at midnight local time (a calendar day,
		// so daylight saving changes do not shift it).
		y, mo, d := t.Date()
		t = time.Date(y, mo, d+1, 0, 0, 0, 0, h.Zone)
	}
	return t // no working day in ten years: configuration error
}
