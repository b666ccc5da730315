package normalize

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a phone number normalised to E.164.
type Phone struct {
	// E164 is the number in E.164 form, such as "+66812345678".
	E164 string
	// Extension holds the digits after ต่อ, ext. or #, or "".
	Extension string
	// Mobile reports whether the numbering plan says the number is a mobile.
	Mobile bool
	// Others holds the further numbers of a cell that listed several, as
	// written (trimmed), in order. ParsePhone does not check them.
	Others []string
}

// String returns E164, followed by " ext. " and the extension when there is one.
func (p Phone) String() string {
	if p.Extension == "" {
		return p.E164
	}
	return p.E164 + " ext. " + p.Extension
}

var (
	// reExtensionWords are the words whose x must not count as a mask.
	reExtensionWords = regexp.MustCompile(`(?i)ext(?:ension)?\.?|\s[xX]\s*\d{1,6}\s*$`)
	// reMaskX is an x among digits, hyphens or other x: "08x-xxx-5678", "66xxxx678".
	reMaskX = regexp.MustCompile(`[0-9xX-][xX]|[xX][0-9-]`)
	// rePhoneSplit separates the numbers of a multi-number cell.
	rePhoneSplit = regexp.MustCompile(`[,/;|\n\r]|\sหรือ\s|\sor\s`)
	// reExtension is a trailing extension: ต่อ 12, ต. 12, ext. 12, #12, x12.
	reExtension = regexp.MustCompile(`(?i)\s*(?:ต่อ|ต\.|ext(?:ension)?\.?|#|\bx)\s*:?\s*(\d{1,6})\s*$`)
	// reRange is a trailing range suffix: 0-2674-6488-9 means 6488 to 6489.
	reRange = regexp.MustCompile(`^(.*\d)\s*-\s*(\d{1,2})$`)
	// reFloat is a number a spreadsheet stored as floating point.
	reFloat = regexp.MustCompile(`(?i)^\+?\d+(?:\.\d+)?e[+-]?\d+$|^\+?\d+\.0+$`)
	// reIDD66 is Thailand's country code written with an international prefix.
	reIDD66 = regexp.MustCompile(`^00[\s-]*66`)
)

// ParsePhone normalises a phone number written the way Thai (and other)
// systems write them, following these steps:
//
//  1. NFKC, Thai digits to ASCII, trim, remove the Excel wrappers '… and ="…".
//  2. Reject masked numbers: any *, •, or x/X among the digits (ErrMasked).
//     A masked number is never turned into a real-looking one.
//  3. Split a cell that lists several numbers on , / ; | newlines and
//     "หรือ"/"or"; keep the first, return the others in Phone.Others. A
//     short code listed first gives way to the next number.
//  4. Skip a leading label such as "โทร." or "Tel:", cut trailing text
//     ("(คุณสมชาย)", "(23 Lines)"), and take an extension written ต่อ, ต.,
//     ext., #, or x.
//  5. With region TH, drop a trailing range suffix ("0-2674-6488-9" means
//     lines 6488 to 6489) when the number is not valid with it and is a
//     complete landline without it.
//  6. Rewrite a leading 0066 or "00 66" to +66.
//  7. With region TH, a number without a country code must start with the
//     trunk prefix 0 and be grouped the way Thai numbers are written
//     (0-2674-6488, 02-123-4567, 053-123-456, 081-234-5678, 08-1234-5678,
//     (02) 123-4567, or no grouping). Parentheses hold a Thai area code
//     ((02) 123-4567) or the start of a Thai mobile ((081) 234 5678,
//     (06) 1234-5678), which must then be a mobile number. This refuses foreign numbers written
//     in their national form ("(1) 42.34.22.66", "035-640231", "(0544)
//     60323") that would otherwise pass as Thai ones; foreign numbers must
//     carry + and their country code. A Thai number whose leading 0 a
//     spreadsheet dropped (812345678) is refused for the same reason.
//  8. Parse with libphonenumber for region (the default region, used when
//     the number has no country code) and require a valid number.
//
// Short codes such as 1175 fail with ErrShortCode; numbers in scientific
// notation, too short, too long or invalid for the region fail with
// ErrInvalid; ParsePhone never guesses a country. A foreign number written
// nationally in exactly a Thai shape ("(02) 555-5914", Sydney) cannot be
// told apart from a Thai one.
func ParsePhone(raw, region string) (Phone, error) {
	region = strings.ToUpper(region)
	s := stripExcel(Text(raw))
	if s == "" {
		return Phone{}, ErrEmpty
	}
	if strings.ContainsAny(s, "*•●") || reMaskX.MatchString(reExtensionWords.ReplaceAllString(s, " ")) {
		return Phone{}, ErrMasked
	}
	var parts []string
	for _, part := range rePhoneSplit.Split(s, -1) {
		if part = strings.TrimSpace(part); part != "" {
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return Phone{}, ErrEmpty
	}
	p, err := parseOnePhone(parts[0], region)
	if errors.Is(err, ErrShortCode) && len(parts) > 1 {
		if q, err2 := parseOnePhone(parts[1], region); err2 == nil {
			q.Others = append([]string{parts[0]}, parts[2:]...)
			return q, nil
		}
	}
	if err != nil {
		return Phone{}, err
	}
	if len(parts) > 1 {
		p.Others = parts[1:]
	}
	return p, nil
}

// parseOnePhone runs steps 4 to 8 of ParsePhone on one number.
func parseOnePhone(s, region string) (Phone, error) {
	var p Phone
	if reFloat.MatchString(s) {
		return Phone{}, fmt.Errorf("%w: it looks like a spreadsheet number in floating point; the digits are lost, send it as text", ErrInvalid)
	}
	s = skipLabel(s)
	if m := reExtension.FindStringSubmatchIndex(s); m != nil {
		p.Extension = s[m[2]:m[3]]
		s = s[:m[0]]
	}
	s = cutTrailingText(s)
	if s == "" {
		return Phone{}, fmt.Errorf("%w: it holds no digits", ErrInvalid)
	}
	s = reIDD66.ReplaceAllString(s, "+66")
	digits := digitsOf(s)
	var mobileHead bool
	var err error
	if !strings.HasPrefix(s, "+") && len(digits) <= 6 {
		return Phone{}, ErrShortCode
	}
	if region == "TH" && !strings.HasPrefix(s, "+") {
		if m := reRange.FindStringSubmatch(s); m != nil && !validNumber(s, region) {
			if d := digitsOf(m[1]); len(d) == 9 && d[0] == '0' && d[1] >= '2' && d[1] <= '7' {
				s = m[1]
			}
		}
		if mobileHead, err = checkThaiShape(s); err != nil {
			return Phone{}, err
		}
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return Phone{}, fmt.Errorf("%w: %s", ErrInvalid, phoneParseReason(err))
	}
	if !phonenumbers.IsValidNumber(num) {
		if strings.HasPrefix(s, "+") {
			return Phone{}, fmt.Errorf("%w: no such number in the numbering plan of its country code", ErrInvalid)
		}
		return Phone{}, fmt.Errorf("%w: no such number in the %s numbering plan", ErrInvalid, region)
	}
	t := phonenumbers.GetNumberType(num)
	p.Mobile = t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE
	if mobileHead && !p.Mobile {
		return Phone{}, fmt.Errorf("%w: parentheses hold a Thai mobile prefix, but the number is not a Thai mobile", ErrInvalid)
	}
	if num.Extension != nil && p.Extension == "" {
		p.Extension = num.GetExtension()
	}
	num.Extension = nil
	p.E164 = phonenumbers.Format(num, phonenumbers.E164)
	return p, nil
}

func validNumber(s, region string) bool {
	n, err := phonenumbers.Parse(s, region)
	return err == nil && phonenumbers.IsValidNumber(n)
}

var (
	reNonDigits = regexp.MustCompile(`[^0-9]+`)
	reParenHead = regexp.MustCompile(`^\((\d+)\)`)
	// reThaiArea is a Thai landline area code with its trunk 0.
	reThaiArea = regexp.MustCompile(`^0(?:2|3[2-9]|4[2-5]|5[2-6]|7[3-7])$`)
	// reThaiMobileHead is the start of a Thai mobile number with its trunk
	// 0 (06, 08, 09, 081, 0812), as address books put it in parentheses:
	// (081) 234 5678, (06) 1234-5678.
	reThaiMobileHead = regexp.MustCompile(`^0[689]\d{0,2}$`)
	// thaiShapes are the digit groupings Thai numbers are written in.
	thaiShapes = map[string]bool{
		"1,4,4": true, "1,4,5": true, "1,8": true, "1,9": true, // 0-2674-6488, 0-8123-45678
		"2,3,4": true, "2,7": true, "2,4,4": true, "2,8": true, // 02-123-4567, 08-1234-5678
		"3,3,3": true, "3,3,4": true, "3,7": true, "3,4,3": true, // 053-123-456, 081-234-5678
		"4,3,3": true, // 0812-345-678
	}
	// thaiMobileParenShapes are the groupings of a Thai mobile whose start
	// is in parentheses: (081) 234 5678, (08) 1234 5678, (0812) 345 678.
	thaiMobileParenShapes = map[string]bool{"3,3,4": true, "2,4,4": true, "4,3,3": true}
)

// checkThaiShape refuses a number without a country code that is not
// written the way Thai numbers are: see step 7 of ParsePhone. mobileHead
// reports that parentheses hold a Thai mobile prefix, which the caller
// checks against the numbering plan: only a mobile may be written so.
func checkThaiShape(s string) (mobileHead bool, err error) {
	d := digitsOf(s)
	if strings.HasPrefix(d, "66") && len(d) >= 10 && !strings.HasPrefix(strings.TrimLeft(s, "( "), "0") {
		return false, nil // country code without +, as spreadsheets keep it
	}
	if (strings.HasPrefix(d, "1800") || strings.HasPrefix(d, "1900")) && len(d) == 10 {
		return false, nil // toll-free and premium numbers are dialled without the 0
	}
	if !strings.HasPrefix(d, "0") {
		return false, fmt.Errorf("%w: it has neither the trunk prefix 0 nor a country code; write Thai numbers from 0 (081…, 02…) and others with + and the country code", ErrInvalid)
	}
	if m := reParenHead.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		mobileHead = reThaiMobileHead.MatchString(m[1])
		if !mobileHead && !reThaiArea.MatchString(m[1]) {
			return false, fmt.Errorf("%w: (%s) is neither a Thai area code nor a Thai mobile prefix", ErrInvalid, m[1])
		}
	}
	var shape []string
	var groups []string
	for _, g := range reNonDigits.Split(strings.Trim(s, " ()-.\u00a0"), -1) {
		if g != "" {
			groups = append(groups, g)
			shape = append(shape, strconv.Itoa(len(g)))
		}
	}
	if len(groups) <= 1 {
		return mobileHead, nil
	}
	key := strings.Join(shape, ",")
	ok := thaiShapes[key]
	if mobileHead {
		// A mobile in parentheses is grouped in full, as Thai address books
		// write it; a national number of another country often has the
		// same start ("(089) 6547665", Salerno).
		ok = thaiMobileParenShapes[key]
	}
	if ok && len(groups[0]) == 2 && groups[0] != "02" && groups[0] != "06" && groups[0] != "08" && groups[0] != "09" {
		ok = false
	}
	if !ok {
		return false, fmt.Errorf("%w: it is grouped %s, unlike a Thai number", ErrInvalid, strings.ReplaceAll(key, ",", "-"))
	}
	return mobileHead, nil
}

func phoneParseReason(err error) string {
	switch err {
	case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
		return "too few digits"
	case phonenumbers.ErrNumTooLong:
		return "too many digits"
	case phonenumbers.ErrInvalidCountryCode:
		return "unknown country code"
	default:
		return "not a phone number"
	}
}

// stripExcel removes the wrappers spreadsheets put around numbers kept as
// text: a leading apostrophe and the formula ="…".
func stripExcel(s string) string {
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	}
	s = strings.TrimPrefix(s, "'")
	return strings.TrimSpace(s)
}

// skipLabel drops everything before the first '+', '(' or digit.
func skipLabel(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == '+' || r == '(' || (r >= '0' && r <= '9') })
	if i < 0 {
		return ""
	}
	return s[i:]
}

// cutTrailingText cuts s at the first rune that cannot be part of a written
// phone number and trims what cannot end one.
func cutTrailingText(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || strings.ContainsRune("+-.() \u00a0", r))
	}); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '('); i > 0 && !strings.Contains(s[i:], ")") {
		s = s[:i] // "0-2784-5888 (50 Lines)": the text started inside parentheses
	}
	return strings.TrimRightFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9') })
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
