package normalize

import (
	"testing"
)

func TestParsePhoneMobile(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"0812345678": true, "021234567": false, "0612345678": true} {
		p, err := ParsePhone(in, "TH")
		if err != nil {
			t.Fatalf("ParsePhone(%q): %v", in, err)
		}
		if p.Mobile != want {
			t.Errorf("ParsePhone(%q).Mobile = %v, want %v", in, p.Mobile, want)
		}
	}
}

func FuzzParsePhone(f *testing.F) {
	seeds := []string{"0812345678", "08x-xxx-5678", "0-2674-6488-9 ต่อ 12", "๐๘๑", `="0"`, "0066", "+", "ต่อ"}
	parse := func(s string) (Phone, error) { return ParsePhone(s, "TH") }
	fuzzAccepted(f, seeds, parse, func(t *testing.T, s string, p Phone) {
		if p.E164 == "" || p.E164[0] != '+' {
			t.Fatalf("ParsePhone(%q) = %q without error", s, p.E164)
		}
		// A valid result is stable: parsing the output gives it back.
		again, err := ParsePhone(p.E164, "TH")
		if err != nil || again.E164 != p.E164 {
			t.Fatalf("ParsePhone(%q) = %q, reparsed %q, %v", s, p.E164, again.E164, err)
		}
	})
}
