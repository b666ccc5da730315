package normalize

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testkit/shareddata"
)

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
