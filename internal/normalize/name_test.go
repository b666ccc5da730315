package normalize

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testkit/shareddata"
)

func TestSplitName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Name
	}{
		{in: "สมชาย ใจดี", want: Name{First: "สมชาย", Last: "ใจดี"}},
		{in: "นายสมชาย ใจดี", want: Name{Honorific: "นาย", First: "สมชาย", Last: "ใจดี"}},
		{in: "นาย สมชาย  ใจดี ", want: Name{Honorific: "นาย", First: "สมชาย", Last: "ใจดี"}},
		{in: "นางสาวอารินี สุขใจ", want: Name{Honorific: "นางสาว", First: "อารินี", Last: "สุขใจ"}},
		{in: "นางอารินี สุขใจ", want: Name{Honorific: "นาง", First: "อารินี", Last: "สุขใจ"}},
		{in: "น.ส.อารินี สุขใจ", want: Name{Honorific: "น.ส.", First: "อารินี", Last: "สุขใจ"}},
		{in: "ด.ช.มานะ รักษ์วงศ์", want: Name{Honorific: "ด.ช.", First: "มานะ", Last: "รักษ์วงศ์"}},
		{in: "ด.ญ. มานี มีนา", want: Name{Honorific: "ด.ญ.", First: "มานี", Last: "มีนา"}},
		{in: "เด็กหญิงมานี มีนา", want: Name{Honorific: "เด็กหญิง", First: "มานี", Last: "มีนา"}},
		{in: "ดร.สุรศักดิ์ ลิ้มสุวรรณ", want: Name{Honorific: "ดร.", First: "สุรศักดิ์", Last: "ลิ้มสุวรรณ"}},
		{in: "ผศ.ดร.สุรศักดิ์ ลิ้มสุวรรณ", want: Name{Honorific: "ผศ.ดร.", First: "สุรศักดิ์", Last: "ลิ้มสุวรรณ"}},
		{in: "พล.ต.อ.สมชาย ใจดี", want: Name{Honorific: "พล.ต.อ.", First: "สมชาย", Last: "ใจดี"}},
		{in: "ว่าที่ร้อยตรีสมชาย ใจดี", want: Name{Honorific: "ว่าที่ร้อยตรี", First: "สมชาย", Last: "ใจดี"}},
		{in: "ม.ร.ว.สุขุมพันธุ์ บริพัตร", want: Name{Honorific: "ม.ร.ว.", First: "สุขุมพันธุ์", Last: "บริพัตร"}},
		{in: "อ.สมพร ดีงาม", want: Name{Honorific: "อ.", First: "สมพร", Last: "ดีงาม"}},
		{in: "คุณ สมชาย ใจดี", want: Name{Honorific: "คุณ", First: "สมชาย", Last: "ใจดี"}},
		{in: "คุณากร ใจดี", want: Name{First: "คุณากร", Last: "ใจดี"}},
		{in: "นางสาวิตรี ใจดี", want: Name{Honorific: "นาง", First: "สาวิตรี", Last: "ใจดี"}},
		{in: "ดรุณี ใจดี", want: Name{First: "ดรุณี", Last: "ใจดี"}},
		{in: "สมชาย ณ อยุธยา", want: Name{First: "สมชาย", Last: "ณ อยุธยา"}},
		{in: "Mr. John Smith", want: Name{Honorific: "Mr.", First: "John", Last: "Smith"}},
		{in: "mrs jane doe", want: Name{Honorific: "mrs", First: "jane", Last: "doe"}},
		{in: "Ms.Jane Doe", want: Name{Honorific: "Ms.", First: "Jane", Last: "Doe"}},
		{in: "Dr. Prof. A B", want: Name{Honorific: "Dr.Prof.", First: "A", Last: "B"}},
		{in: "K.Somchai Jaidee", want: Name{Honorific: "K.", First: "Somchai", Last: "Jaidee"}},
		{in: "K Somchai", want: Name{First: "K", Last: "Somchai"}},
		{in: "Missy Elliott", want: Name{First: "Missy", Last: "Elliott"}},
		{in: "Drew Barrymore", want: Name{First: "Drew", Last: "Barrymore"}},
		{in: "นาย", want: Name{First: "นาย"}},
		{in: "Mr.", want: Name{First: "Mr."}},
		{in: "Maria Anders", want: Name{First: "Maria", Last: "Anders"}},
		{in: "ทองคำ", want: Name{First: "ทองคำ"}},
		{in: "", want: Name{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := SplitName(tt.in); got != tt.want {
				t.Errorf("SplitName(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestStripHonorificThaiNames runs the real Thai given-name lists through
// StripHonorific: bare names keep every letter (names that begin like a
// title, คุณากร or ดรุณี, included), and every title glued to a name comes
// off cleanly.
func TestStripHonorificThaiNames(t *testing.T) {
	t.Parallel()
	names := append(shareddata.ReadLines(t, "thai/names/person_names_female_th.txt"), shareddata.ReadLines(t, "thai/names/person_names_male_th.txt")...)
	family := shareddata.ReadLines(t, "thai/names/family_names_th.txt")
	// Entries of the lists that are a title, or a title glued to a name.
	noise := map[string]bool{"นาย": true, "นายณัฐ": true}
	var stripped, checked int
	for i, n := range names {
		if noise[n] {
			continue
		}
		if h, rest := StripHonorific(n); h != "" || rest != Text(n) {
			stripped++
			t.Errorf("StripHonorific(%q) = %q, %q; a given name lost letters", n, h, rest)
		}
		fam := family[i%len(family)]
		for _, title := range []string{"นาย", "นาง", "นางสาว", "น.ส.", "ดร.", "คุณ ", "ผศ.ดร.", "Mr. "} {
			if title == "นาง" && strings.HasPrefix(n, "สาว") && !startsMidSyllable(n[len("สาว"):]) {
				// นาง + สาวดี reads as นางสาว + ดี; the longer title wins.
				continue
			}
			got := SplitName(title + n + " " + fam)
			if got.Honorific != strings.TrimSpace(title) || got.First != Text(n) || got.Last != Text(fam) {
				t.Errorf("SplitName(%q) = %+v", title+n+" "+fam, got)
			}
			checked++
		}
	}
	t.Logf("%d given names, %d titled names checked, %d bare names wrongly stripped", len(names), checked, stripped)
	if len(names) < 12000 {
		t.Errorf("read %d names, want the two lists (12,222)", len(names))
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  ทองคำ ":      "ทองคำ", // SARA AM survives NFKC
		"จำกัด (มหาชน)": "จำกัด (มหาชน)",
		"๐๑๒๓๔๕๖๗๘๙":    "0123456789",
		"ＡＢＣ１２３":        "ABC123",
		"\u00a0x\u00a0": "x",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
