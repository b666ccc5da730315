package normalize

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name is a person's name split into its parts.
type Name struct {
	// Honorific is the title(s) removed from the front, as written
	// ("นางสาว", "ผศ.ดร.", "Mr."), or "".
	Honorific string
	First     string
	Last      string
}

// Thai titles written as whole words. They are stripped even when glued to
// the given name ("นายมานะ"), which is safe because no Thai given name in
// common use starts with them.
var thaiWordTitles = []string{
	"นาย", "นาง", "นางสาว", "เด็กชาย", "เด็กหญิง",
	"ว่าที่ร้อยตรี", "ว่าที่ร้อยโท", "ว่าที่ร้อยเอก", "ว่าที่ ร.ต.", "ว่าที่ร.ต.",
	"พระ", "หม่อมราชวงศ์", "หม่อมหลวง", "หม่อมเจ้า", "ท่านผู้หญิง", "คุณหญิง",
	"ศาสตราจารย์", "รองศาสตราจารย์", "ผู้ช่วยศาสตราจารย์", "อาจารย์",
	"นายแพทย์", "แพทย์หญิง", "ทันตแพทย์", "ทันตแพทย์หญิง", "เภสัชกร", "เภสัชกรหญิง",
}

// Thai titles written as dotted abbreviations; they match only together
// with their final dot, because the same letters without the dot begin
// real names (ดร begins ดรุณี).
var thaiDottedTitles = []string{
	"น.ส.", "ด.ช.", "ด.ญ.", "ดร.", "ศ.", "รศ.", "ผศ.", "อ.", "นพ.", "พญ.", "ทพ.", "ทพญ.", "ภก.", "ภญ.", "สพ.ญ.", "น.สพ.",
	"ม.ร.ว.", "ม.ล.", "ม.จ.",
	// army and police
	"พล.อ.", "พล.ท.", "พล.ต.", "พ.อ.", "พ.ท.", "พ.ต.", "ร.อ.", "ร.ท.", "ร.ต.",
	"จ.ส.อ.", "จ.ส.ท.", "จ.ส.ต.", "ส.อ.", "ส.ท.", "ส.ต.",
	"พล.ต.อ.", "พล.ต.ท.", "พล.ต.ต.", "พ.ต.อ.", "พ.ต.ท.", "พ.ต.ต.", "ร.ต.อ.", "ร.ต.ท.", "ร.ต.ต.",
	"ด.ต.", "ส.ต.อ.", "ส.ต.ท.", "ส.ต.ต.",
	// navy and air force
	"พล.ร.อ.", "พล.ร.ท.", "พล.ร.ต.", "น.อ.", "น.ท.", "น.ต.", "ร.อ.", "พล.อ.อ.", "พล.อ.ท.", "พล.อ.ต.",
	"พ.จ.อ.", "พ.อ.อ.",
}

// Latin titles; matched case-insensitively and only as a whole word
// (followed by a dot, a space or the end).
var latinTitles = []string{"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "k", "khun", "master"}

var thaiTitles = func() []string {
	t := append(append([]string{}, thaiWordTitles...), thaiDottedTitles...)
	sort.SliceStable(t, func(i, j int) bool { return len(t[i]) > len(t[j]) })
	return t
}()

// StripHonorific removes the titles at the start of a name and returns them
// (as written, stacked titles together: "ผศ.ดร.") and the rest, trimmed.
// Thai titles are matched longest first; dotted ones only with their dot;
// the polite คุณ only when a space follows it, because given names such as
// คุณากร begin with it. A title is never removed when nothing would be left.
func StripHonorific(s string) (honorific, rest string) {
	rest = strings.Join(strings.Fields(Text(s)), " ")
	var titles []string
	for {
		t, r, ok := stripOneTitle(rest)
		if !ok || r == "" {
			break
		}
		titles = append(titles, t)
		rest = r
	}
	return joinTitles(titles), rest
}

func joinTitles(ts []string) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 && !strings.HasSuffix(ts[i-1], ".") {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

func stripOneTitle(s string) (title, rest string, ok bool) {
	if strings.HasPrefix(s, "คุณ ") {
		return "คุณ", strings.TrimSpace(s[len("คุณ "):]), true
	}
	for _, t := range thaiTitles {
		if strings.HasPrefix(s, t) && !startsMidSyllable(s[len(t):]) {
			return t, strings.TrimSpace(s[len(t):]), true
		}
	}
	for _, t := range latinTitles {
		if len(s) < len(t) || !strings.EqualFold(s[:len(t)], t) {
			continue
		}
		after := s[len(t):]
		switch {
		case strings.HasPrefix(after, "."):
			return s[:len(t)+1], strings.TrimSpace(after[1:]), true
		case after == "" || strings.HasPrefix(after, " "):
			if t == "k" {
				continue // a lone K without a dot is an initial
			}
			return s[:len(t)], strings.TrimSpace(after), true
		}
	}
	return "", s, false
}

// startsMidSyllable reports whether s begins with a Thai vowel or mark
// that cannot begin a word: นางสาวิตรี is นาง + สาวิตรี, not นางสาว + ิตรี.
func startsMidSyllable(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.Is(unicode.Mn, r) || r == '\u0e30' || r == '\u0e32' || r == '\u0e33' || r == '\u0e45'
}

// SplitName splits a full name: the honorific goes to Honorific, the first
// word to First and the remaining words to Last, because family names can
// have several words ("ณ อยุธยา"). A name of one word has no Last.
func SplitName(full string) Name {
	h, rest := StripHonorific(full)
	n := Name{Honorific: h}
	first, last, _ := strings.Cut(rest, " ")
	n.First, n.Last = first, strings.TrimSpace(last)
	return n
}

// CleanName returns a name part with its white space collapsed, in NFKC,
// with Thai digits folded. It leaves titles in place.
func CleanName(s string) string {
	return strings.Join(strings.FieldsFunc(Text(s), unicode.IsSpace), " ")
}
