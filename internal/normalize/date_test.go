package normalize

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []parseCase{ // want: HubSpotDate
		{in: "2026-11-27", want: "2026-11-27"},
		{in: "2569-11-27", want: "2026-11-27"},
		{in: "2026-11-27T23:30:00+07:00", want: "2026-11-27"},
		{in: "27/11/2569", want: "2026-11-27"},
		{in: "27-11-2569", want: "2026-11-27"},
		{in: "27.11.2026", want: "2026-11-27"},
		{in: "1/2/2026", want: "2026-02-01"},
		{in: "๒๗/๑๑/๒๕๖๙", want: "2026-11-27"},
		{in: "27 พ.ย. 2569", want: "2026-11-27"},
		{in: "27 พย 2569", want: "2026-11-27"},
		{in: "27พ.ย.2569", want: "2026-11-27"},
		{in: "27 พฤศจิกายน 2569", want: "2026-11-27"},
		{in: "27 พฤศจิกายน พ.ศ. 2569", want: "2026-11-27"},
		{in: "27 พฤศจิกายน ค.ศ. 2026", want: "2026-11-27"},
		{in: "1 มี.ค. 2567", want: "2024-03-01"},
		{in: "1 มิ.ย. 2567", want: "2024-06-01"},
		{in: "29 ก.พ. 2567", want: "2024-02-29"},
		{in: "27 Nov 2026", want: "2026-11-27"},
		{in: "November 27, 2026", want: "2026-11-27"},
		{in: "", wantErr: ErrEmpty},
		{in: "27/11/69", wantErr: ErrAmbiguous},
		{in: "27 พ.ย. 69", wantErr: ErrAmbiguous},
		{in: "3/22/2021", wantErr: ErrAmbiguous},
		{in: "29 ก.พ. 2568", wantErr: ErrInvalid},
		{in: "31/04/2026", wantErr: ErrInvalid},
		{in: "2026-13-01", wantErr: ErrInvalid},
		{in: "1850-01-01", wantErr: ErrInvalid},
		{in: "2300-01-01", wantErr: ErrInvalid},
		{in: "7000-1-1", wantErr: ErrInvalid},
		{in: "31 ธ.ค. 2643", want: "2100-12-31"},
		{in: "27 พฤศจิกายน ค.ศ. 2569", wantErr: ErrInvalid},
		{in: "27 พฤศจิกายน พ.ศ. 2026", wantErr: ErrInvalid},
		{in: "430611", wantErr: ErrInvalid},
		{in: "tomorrow", wantErr: ErrInvalid},
	}
	testParse(t, "ParseDate", func(in string) (string, error) {
		got, err := ParseDate(in)
		if err == nil && (got.Location() != time.UTC || got.Hour() != 0) {
			return got.String() + ", not midnight UTC", nil
		}
		return HubSpotDate(got), err
	}, tests)
}

func TestParseDateTime(t *testing.T) {
	t.Parallel()
	tests := []parseCase{ // want: HubSpotDateTime
		{in: "2026-11-27T14:05:00+07:00", want: "2026-11-27T07:05:00.000Z"},
		{in: "2026-11-27T07:05:00Z", want: "2026-11-27T07:05:00.000Z"},
		{in: "2026-11-27T07:05:00.123456Z", want: "2026-11-27T07:05:00.123Z"},
		{in: "2569-11-27T14:05:00+07:00", want: "2026-11-27T07:05:00.000Z"},
		{in: "2026-11-27 14:05", want: "2026-11-27T07:05:00.000Z"},
		{in: "2026-11-27 14:05:30", want: "2026-11-27T07:05:30.000Z"},
		{in: "2026-11-27", want: "2026-11-26T17:00:00.000Z"},
		{in: "2025-05-11 09:55:16 -0400", want: "2025-05-11T13:55:16.000Z"},
		{in: "27/11/2569 14:05", want: "2026-11-27T07:05:00.000Z"},
		{in: "27 พ.ย. 2569 14:05:09", want: "2026-11-27T07:05:09.000Z"},
		{in: "", wantErr: ErrEmpty},
		{in: "27/11/69 14:05", wantErr: ErrAmbiguous},
		{in: "2026-11-27T25:00:00Z", wantErr: ErrInvalid},
		{in: "27/11/2569 24:00", wantErr: ErrInvalid},
		{in: "yesterday", wantErr: ErrInvalid},
	}
	testParse(t, "ParseDateTime", func(in string) (string, error) {
		got, err := ParseDateTime(in, nil)
		return HubSpotDateTime(got), err
	}, tests)
}

func TestParseDateTimeLocation(t *testing.T) {
	t.Parallel()
	got, err := ParseDateTime("2026-11-27 14:05", time.UTC)
	if err != nil || HubSpotDateTime(got) != "2026-11-27T14:05:00.000Z" {
		t.Errorf("ParseDateTime in UTC = %s, %v", HubSpotDateTime(got), err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"27/11/2569", "27 พ.ย. 2569", "2569-02-29", "2026-11-27T00:00:00Z", "1/1/1900", "31 ธ.ค. 2643"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
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
	for _, s := range []string{"2026-11-27T14:05:00+07:00", "27/11/2569 14:05", "2569-11-27 08:00", "2025-05-11 09:55:16 -0400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDateTime(s, nil)
		if err != nil {
			return
		}
		again, err := ParseDateTime(HubSpotDateTime(d), nil)
		if err != nil || !again.Equal(d.Truncate(time.Millisecond)) {
			t.Fatalf("ParseDateTime(%q) = %v; reparsed %v, %v", s, d, again, err)
		}
	})
}
