package normalize

import (
	"testing"
	"time"
)

func TestParseDateTimeLocation(t *testing.T) {
	t.Parallel()
	got, err := ParseDateTime("2026-11-27 14:05", time.UTC)
	if err != nil || HubSpotDateTime(got) != "2026-11-27T14:05:00.000Z" {
		t.Errorf("ParseDateTime in UTC = %s, %v", HubSpotDateTime(got), err)
	}
}

func FuzzParseDate(f *testing.F) {
	seeds := []string{"27/11/2569", "27 พ.ย. 2569", "2569-02-29", "2026-11-27T00:00:00Z", "1/1/1900", "31 ธ.ค. 2643"}
	fuzzAccepted(f, seeds, ParseDate, func(t *testing.T, s string, d time.Time) {
		if d.Year() < 1857 || d.Year() > 2100 || d.Hour() != 0 || d.Location() != time.UTC {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
		again, err := ParseDate(HubSpotDate(d))
		if err != nil || !again.Equal(d) {
			t.Fatalf("ParseDate(%q) = %v; reparsed %v, %v", s, d, again, err)
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	seeds := []string{"2026-11-27T14:05:00+07:00", "27/11/2569 14:05", "2569-11-27 08:00", "2025-05-11 09:55:16 -0400"}
	parse := func(s string) (time.Time, error) { return ParseDateTime(s, nil) }
	fuzzAccepted(f, seeds, parse, func(t *testing.T, s string, d time.Time) {
		again, err := ParseDateTime(HubSpotDateTime(d), nil)
		if err != nil || !again.Equal(d.Truncate(time.Millisecond)) {
			t.Fatalf("ParseDateTime(%q) = %v; reparsed %v, %v", s, d, again, err)
		}
	})
}
