package pipeline

import (
	"testing"
	"time"
)

// TestDeadlinesInBusinessHours: deadlines count only the firm's working
// minutes, in its zone, across evenings, weekends, public holidays and a
// change of daylight saving time.
func TestDeadlinesInBusinessHours(t *testing.T) {
	bucharest, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Fatal(err)
	}
	h := DefaultBusinessHours(bucharest)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, bucharest)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		start   string
		minutes int
		want    string
	}{
		{"2026-11-25 10:00", 15, "2026-11-25 10:15"},  // a Wednesday morning
		{"2026-11-25 17:55", 15, "2026-11-26 09:10"},  // five minutes today, ten tomorrow
		{"2026-11-25 07:30", 120, "2026-11-25 11:00"}, // before opening: from 9:00
		{"2026-11-27 17:00", 120, "2026-12-02 10:00"}, // Friday → Monday 30 Nov and Tuesday 1 Dec are holidays
		{"2026-11-28 12:00", 15, "2026-12-02 09:15"},  // Saturday
		{"2026-10-23 17:00", 540, "2026-10-26 17:00"}, // across the end of summer time (25 Oct)
		{"2026-11-25 10:00", 540, "2026-11-26 10:00"}, // a whole working day
	} {
		got := h.Add(at(tt.start), tt.minutes)
		if want := at(tt.want); !got.Equal(want) {
			t.Errorf("%s + %d business minutes = %s, want %s", tt.start, tt.minutes, got.Format("2006-01-02 15:04 MST"), want.Format("2006-01-02 15:04 MST"))
		}
	}
	// A start given in UTC is read in the firm's zone: 15:55 UTC is 17:55
	// in Bucharest.
	if got := h.Add(time.Date(2026, 11, 25, 15, 55, 0, 0, time.UTC), 15); !got.Equal(at("2026-11-26 09:10")) {
		t.Errorf("a UTC start: %s", got)
	}
}

func TestParseBusinessHours(t *testing.T) {
	h, err := ParseBusinessHours("Mon-Sat 08:30-17:00", time.UTC)
	if err != nil || !h.Days[time.Saturday] || h.Days[time.Sunday] || h.Open != 510 || h.Close != 1020 {
		t.Errorf("Mon-Sat 08:30-17:00: %+v, %v", h, err)
	}
	for _, bad := range []string{"weekdays", "Mon-Fri 18:00-09:00", "Mon-Xyz 09:00-18:00", "Mon-Fri 9-18"} {
		if _, err := ParseBusinessHours(bad, time.UTC); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
