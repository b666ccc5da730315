package normalize

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bangkok is Thailand's time zone, UTC+07:00 all year, without daylight
// saving time. It needs no time-zone database.
var Bangkok = time.FixedZone("ICT", 7*60*60)

// BuddhistEraOffset is the difference between Buddhist-era (พ.ศ.) and
// Gregorian years for every date since 1941.
const BuddhistEraOffset = 543

// thaiMonths maps Thai month names, full and abbreviated, written without
// dots or spaces, to their month.
var thaiMonths = map[string]time.Month{
	"มกราคม": 1, "มค": 1, "กุมภาพันธ์": 2, "กพ": 2, "มีนาคม": 3, "มีค": 3,
	"เมษายน": 4, "เมย": 4, "พฤษภาคม": 5, "พค": 5, "มิถุนายน": 6, "มิย": 6,
	"กรกฎาคม": 7, "กค": 7, "สิงหาคม": 8, "สค": 8, "กันยายน": 9, "กย": 9,
	"ตุลาคม": 10, "ตค": 10, "พฤศจิกายน": 11, "พย": 11, "ธันวาคม": 12, "ธค": 12,
}

var (
	reISODate   = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$`)
	reDayFirst  = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d+)$`)
	reThaiDate  = regexp.MustCompile(`^(\d{1,2})\s*([^\d\s][^\d]*?)\s*(\d+)$`)
	reEraMarker = regexp.MustCompile(`\s*(พ\.?\s*ศ\.?|ค\.?\s*ศ\.?|b\.?\s*e\.?|a\.?\s*d\.?|c\.?\s*e\.?)\s*$`)
	reClock     = regexp.MustCompile(`^(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$`)
)

// era says how a year was marked.
type era int

const (
	eraUnmarked era = iota
	eraBuddhist
	eraCommon
)

// ParseDate reads a calendar date and returns it at midnight UTC, the form
// HubSpot date properties need. It accepts YYYY-MM-DD (a time after it is
// ignored, so RFC 3339 values give the date as written), DD/MM/YYYY in Thai
// day-first order (also with - or .), "27 พ.ย. 2569" and "27 พฤศจิกายน 2569"
// (dots and spaces optional, an era marker พ.ศ. or ค.ศ. allowed before the
// year), and English "27 Nov 2026".
//
// A four-digit year from 2400 to 2643 is Buddhist era and loses 543; a
// year from 1900 to 2100 is Gregorian; other years are refused. A two-digit year
// is refused with ErrAmbiguous (27/11/69 could be 2569 BE or 1969), as is a
// US-ordered date whose middle number is above 12. Other errors wrap
// ErrEmpty or ErrInvalid.
func ParseDate(raw string) (time.Time, error) {
	s := Text(raw)
	if s == "" {
		return time.Time{}, ErrEmpty
	}
	if m := reISODate.FindStringSubmatch(s); m != nil {
		return civilDate(m[1], m[2], m[3], eraUnmarked)
	}
	if m := reDayFirst.FindStringSubmatch(s); m != nil {
		if mo, _ := strconv.Atoi(m[2]); mo > 12 {
			d, _ := strconv.Atoi(m[1])
			if d <= 12 {
				return time.Time{}, fmt.Errorf("%w: dates are read day first (DD/MM/YYYY) and the month is %d; this looks like a US month-first date, send YYYY-MM-DD", ErrAmbiguous, mo)
			}
		}
		return civilDate(m[3], m[2], m[1], eraUnmarked)
	}
	e := eraUnmarked
	body := s
	if m := reThaiDate.FindStringSubmatch(s); m != nil {
		words := m[2]
		if em := reEraMarker.FindStringSubmatch(words); em != nil {
			words = words[:len(words)-len(em[0])]
			if strings.HasPrefix(em[1], "พ") || strings.HasPrefix(strings.ToLower(em[1]), "b") {
				e = eraBuddhist
			} else {
				e = eraCommon
			}
			body = m[1] + " " + strings.TrimSpace(words) + " " + m[3]
		}
		key := strings.NewReplacer(".", "", " ", "").Replace(words)
		if mo, ok := thaiMonths[key]; ok {
			return civilDate(m[3], strconv.Itoa(int(mo)), m[1], e)
		}
	}
	for _, layout := range []string{"2 Jan 2006", "2 January 2006", "Jan 2, 2006", "January 2, 2006", "2-Jan-2006"} {
		if t, err := time.Parse(layout, body); err == nil {
			return civilDate(strconv.Itoa(t.Year()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Day()), e)
		}
	}
	return time.Time{}, errDateLayout
}

// errDateLayout says a date is in no layout ParseDate knows.
var errDateLayout = fmt.Errorf("%w: use YYYY-MM-DD or DD/MM/YYYY", ErrInvalid)

// errDateTimeLayout says a time is in no layout ParseDateTime knows.
var errDateTimeLayout = fmt.Errorf("%w: use RFC 3339, such as 2026-11-27T14:05:00+07:00", ErrInvalid)

// civilDate checks and builds a date from its written parts.
func civilDate(year, month, day string, e era) (time.Time, error) {
	y, err := gregorianYear(year, e)
	if err != nil {
		return time.Time{}, err
	}
	mo, _ := strconv.Atoi(month)
	d, _ := strconv.Atoi(day)
	if mo < 1 || mo > 12 {
		return time.Time{}, fmt.Errorf("%w: month %d does not exist", ErrInvalid, mo)
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Day() != d {
		return time.Time{}, fmt.Errorf("%w: day %d does not exist in %s %d", ErrInvalid, d, time.Month(mo), y)
	}
	return t, nil
}

// gregorianYear converts a written year following the era rule.
func gregorianYear(year string, e era) (int, error) {
	if len(year) <= 2 {
		return 0, fmt.Errorf("%w: a two-digit year could be Buddhist or Gregorian; send four digits", ErrAmbiguous)
	}
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 {
		return 0, fmt.Errorf("%w: the year must have four digits", ErrInvalid)
	}
	switch {
	case y >= 2400 && y <= 2100+BuddhistEraOffset && e != eraCommon:
		return y - BuddhistEraOffset, nil
	case y >= 1900 && y <= 2100 && e != eraBuddhist:
		return y, nil
	default:
		return 0, fmt.Errorf("%w: year %d is neither a Buddhist-era year (2400 to 2643) nor a Gregorian year (1900 to 2100)", ErrInvalid, y)
	}
}

// ParseDateTime reads a point in time: RFC 3339 ("2026-11-27T14:05:00+07:00"),
// "2006-01-02 15:04:05 -0700" (Shopify exports), ISO date and time without
// an offset, which is taken in loc (nil means Bangkok, as ERP timestamps
// without an offset are Thai local time), "27/11/2569 14:05", or a date
// alone (midnight in loc). A Buddhist-era year (2400 to 2643) is converted.
// The result is in UTC. Errors wrap ErrEmpty, ErrAmbiguous or ErrInvalid.
func ParseDateTime(raw string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = Bangkok
	}
	s := Text(raw)
	if s == "" {
		return time.Time{}, ErrEmpty
	}
	if len(s) >= 4 && reISODate.MatchString(s) {
		y, err := gregorianYear(s[:4], eraUnmarked)
		if err != nil {
			return time.Time{}, err
		}
		s = strconv.Itoa(y) + s[4:]
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 -0700", "2006-01-02 15:04:05.999999999 Z07:00", "2006-01-02T15:04:05.999999999-0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, errDateTimeLayout
	}
	date, h, mi, sec := s, 0, 0, 0
	if m := reClock.FindStringSubmatch(s); m != nil {
		date = m[1]
		h, _ = strconv.Atoi(m[2])
		mi, _ = strconv.Atoi(m[3])
		sec, _ = strconv.Atoi(m[4])
		if h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, fmt.Errorf("%w: the time of day does not exist", ErrInvalid)
		}
	}
	d, err := ParseDate(date)
	if err == errDateLayout {
		return time.Time{}, errDateTimeLayout
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, mi, sec, 0, loc).UTC(), nil
}

// HubSpotDate formats the calendar date of t as HubSpot date properties
// take it: "2026-11-27". Date properties store midnight UTC of that day.
func HubSpotDate(t time.Time) string { return t.Format(time.DateOnly) }

// HubSpotDateTime formats t as HubSpot datetime properties take and return
// it: RFC 3339 in UTC with milliseconds, "2026-11-27T07:05:00.000Z".
func HubSpotDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
