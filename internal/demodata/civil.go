package demodata

import "time"

// day is a calendar date counted in days since 2000-01-01, the epoch of
// PostgreSQL's binary date format, so a day is written to COPY as is. The
// generator does its calendar arithmetic on days (no time.Time per row):
// millions of rows are dated and time.Date would dominate the profile.
type day int32

// instant is a point in time in microseconds since 2000-01-01 00:00 UTC, the
// epoch and unit of PostgreSQL's binary timestamptz format.
type instant int64

const (
	microsPerSecond = int64(1_000_000)
	microsPerDay    = 86_400 * microsPerSecond
	// unixDaysAt2000 is 2000-01-01 counted from 1970-01-01.
	unixDaysAt2000 = 10_957
)

// dayOf returns the day of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm, http://howardhinnant.github.io/date_algorithms.html).
func dayOf(y, m, d int) day {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return day(era*146097 + doe - 719468 - unixDaysAt2000)
}

// date returns the year, month (1-12) and day of month (civil_from_days).
func (d day) date() (y, m, dd int) {
	z := int(d) + unixDaysAt2000 + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, dd
}

func dayFromTime(t time.Time) day {
	y, m, d := t.Date()
	return dayOf(y, int(m), d)
}

func (d day) time() time.Time {
	y, m, dd := d.date()
	return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
}

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// addMonths moves by whole months, clamping to the end of shorter months
// (31 January + 1 month = 28 or 29 February), as banks do for due dates.
func (d day) addMonths(n int) day {
	y, m, dd := d.date()
	mi := y*12 + (m - 1) + n
	y, m = mi/12, mi%12+1
	if last := daysInMonth(y, m); dd > last {
		dd = last
	}
	return dayOf(y, m, dd)
}

// monthStart returns the first day of d's month.
func (d day) monthStart() day {
	y, m, _ := d.date()
	return dayOf(y, m, 1)
}

// inMonth returns day dd (clamped to the month's length) of the month that
// is n months after d's month.
func (d day) inMonth(n, dd int) day {
	y, m, _ := d.monthStart().addMonths(n).date()
	if last := daysInMonth(y, m); dd > last {
		dd = last
	}
	return dayOf(y, m, dd)
}

// monthsBetween counts whole calendar months from a's month to b's month.
func monthsBetween(a, b day) int {
	ya, ma, _ := a.date()
	yb, mb, _ := b.date()
	return (yb*12 + mb) - (ya*12 + ma)
}

// weekday returns 0 for Monday through 6 for Sunday (2000-01-01 was a Saturday).
func (d day) weekday() int {
	w := (int(d) + 5) % 7
	if w < 0 {
		w += 7
	}
	return w
}

// businessDay moves d forward to a Monday-Friday day.
func (d day) businessDay() day {
	switch d.weekday() {
	case 5:
		return d + 2
	case 6:
		return d + 1
	}
	return d
}

// at returns the instant at the given UTC wall time on day d.
func (d day) at(hour, minute, second int) instant {
	return instant(int64(d)*microsPerDay + int64(hour*3600+minute*60+second)*microsPerSecond)
}

// day returns the UTC calendar day of the instant.
func (t instant) day() day {
	q := int64(t) / microsPerDay
	if int64(t) < 0 && int64(t)%microsPerDay != 0 {
		q--
	}
	return day(q)
}

// yearsBetween is the age in completed years on day b of someone born on a.
func yearsBetween(a, b day) int {
	ya, ma, da := a.date()
	yb, mb, db := b.date()
	n := yb - ya
	if mb < ma || (mb == ma && db < da) {
		n--
	}
	return n
}
