package normalize

import (
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	t.Parallel()
	tests := []parseCase{ // want: Phone.String(), then the other numbers in the cell
		// thai.md §1.2, row by row.
		{in: "0812345678", want: "+66812345678"},
		{in: "081-234-5678", want: "+66812345678"},
		{in: "081 234 5678", want: "+66812345678"},
		{in: "+66 81 234 5678", want: "+66812345678"},
		{in: "+66812345678", want: "+66812345678"},
		{in: "+66-81-234-5678", want: "+66812345678"},
		{in: "66812345678", want: "+66812345678"},
		{in: "+66 0812345678", want: "+66812345678"},
		{in: "+66 (0) 81 234 5678", want: "+66812345678"},
		// thai.md lists 812345678 as recovered by libphonenumber; syncd
		// refuses it, because the same recovery turns foreign numbers
		// written nationally ("(1) 42.34.22.66") into Thai ones.
		{in: "812345678", wantErr: ErrInvalid},
		{in: "(1) 42.34.22.66", wantErr: ErrInvalid},
		{in: "035-640231", wantErr: ErrInvalid},
		{in: "(0544) 60323", wantErr: ErrInvalid},
		{in: "(03) 444-2343", wantErr: ErrInvalid},
		{in: "(02) 201 24 67", wantErr: ErrInvalid},
		{in: "0897-034214", wantErr: ErrInvalid},
		{in: "053-123-456", want: "+6653123456"},
		{in: "0-5312-3456", want: "+6653123456"},
		{in: "08-1234-5678", want: "+66812345678"},
		{in: "0812-345-678", want: "+66812345678"},
		{in: "0-2784-5888 (50 Lines)", want: "+6627845888"},
		{in: "1361 หรือ 0-2153-9587", want: "+6621539587 (also 1361)"},
		{in: "02-123-4567", want: "+6621234567"},
		{in: "(02) 123-4567", want: "+6621234567"},
		// Thai mobiles as address books write them: the start of the
		// number in parentheses.
		{in: "(081) 234 5678", want: "+66812345678"},
		{in: "(089)-123-4567", want: "+66891234567"},
		{in: "(06) 1234-5678", want: "+66612345678"},
		{in: "(087) 249 6399", want: "+66872496399"},
		{in: "(08) 1234 5678", want: "+66812345678"},
		{in: "(0812) 345 678", want: "+66812345678"},
		{in: "(095)123-4567", want: "+66951234567"},
		// Foreign numbers in parentheses, written nationally, stay refused:
		// (171) London's old code, (5) Mexico.
		{in: "(171) 555-2222", wantErr: ErrInvalid},
		{in: "(5) 555-4729", wantErr: ErrInvalid},
		{in: "(1) 555-4729", wantErr: ErrInvalid},
		{in: "(08) 123-4567", wantErr: ErrInvalid},  // a mobile prefix on a number too short for a mobile
		{in: "(089) 6547665", wantErr: ErrInvalid},  // Salerno, Italy: a mobile start, not grouped as a mobile
		{in: "(081)2345678", wantErr: ErrInvalid},   // idem
		{in: "(02) 1234 5678", wantErr: ErrInvalid}, // a landline area code on a mobile's length
		{in: "0 2123 4567", want: "+6621234567"},
		{in: "021234567", want: "+6621234567"},
		{in: "0-2674-6488", want: "+6626746488"},
		{in: "0 7428 2722", want: "+6674282722"},
		{in: "0-2674-6488-9", want: "+6626746488"},
		{in: "0-2674-6488-99", want: "+6626746488"},
		{in: "0-2674-6488 Ext. 1234", want: "+6626746488 ext. 1234"},
		{in: "022345678#12", want: "+6622345678 ext. 12"},
		{in: "02-674-6488 ต่อ 12", want: "+6626746488 ext. 12"},
		{in: "02-674-6488 ต. 12", want: "+6626746488 ext. 12"},
		{in: "02-674-6488 x12", want: "+6626746488 ext. 12"},
		{in: "โทร. 081-234-5678", want: "+66812345678"},
		{in: "Tel: 081-234-5678", want: "+66812345678"},
		{in: "081 234 5678 (คุณสมชาย)", want: "+66812345678"},
		{in: "0812345678/0898765432", want: "+66812345678 (also 0898765432)"},
		{in: "098-765-4321, 02-987-6543", want: "+66987654321 (also 02-987-6543)"},
		{in: "0812345678 หรือ 0898765432", want: "+66812345678 (also 0898765432)"},
		{in: "0812345678; 0898765432|021234567", want: "+66812345678 (also 0898765432, 021234567)"},
		{in: "๐๘๑-๒๓๔-๕๖๗๘", want: "+66812345678"},
		{in: "０８１２３４５６７８", want: "+66812345678"},
		{in: "0066812345678", want: "+66812345678"},
		{in: "00 66 81 234 5678", want: "+66812345678"},
		{in: "'0812345678", want: "+66812345678"},
		{in: `="0812345678"`, want: "+66812345678"},
		{in: "1-800-123-456", want: "+661800123456"},
		{in: "+49 30 0074321", want: "+49300074321"},
		{in: "0212345678", wantErr: ErrInvalid},
		{in: "6.68123E+10", wantErr: ErrInvalid},
		{in: "66812345678.0", wantErr: ErrInvalid},
		{in: "08x-xxx-5678", wantErr: ErrMasked},
		{in: "08X-XXX-5678", wantErr: ErrMasked},
		{in: "******5678", wantErr: ErrMasked},
		{in: "(+66)81*****78", wantErr: ErrMasked},
		{in: "66*****678", wantErr: ErrMasked},
		{in: "081•••5678", wantErr: ErrMasked},
		{in: "66xxxx678", wantErr: ErrMasked},
		{in: "1175", wantErr: ErrShortCode},
		{in: "1112", wantErr: ErrShortCode},
		{in: "  ", wantErr: ErrEmpty},
		{in: "-", wantErr: ErrInvalid},
		{in: "0105536112014", wantErr: ErrInvalid}, // a tax ID is not a phone number
		{in: "030-0074321", wantErr: ErrInvalid},   // Berlin, written nationally
	}
	testParse(t, "ParsePhone", func(in string) (string, error) {
		got, err := ParsePhone(in, "TH")
		if len(got.Others) > 0 {
			return got.String() + " (also " + strings.Join(got.Others, ", ") + ")", err
		}
		return got.String(), err
	}, tests)
}

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
	for _, s := range []string{"0812345678", "08x-xxx-5678", "0-2674-6488-9 ต่อ 12", "๐๘๑", `="0"`, "0066", "+", "ต่อ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePhone(s, "TH")
		if err != nil {
			return
		}
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
