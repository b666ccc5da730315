package normalize

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	reTaxIDLabel = regexp.MustCompile(`(?i)^(?:เลขประจำตัวผู้เสียภาษี(?:อากร)?|เลขที่ผู้เสียภาษี|tax\s*id(?:\s*no\.?)?|tin)\s*[:.]?\s*`)
	reTaxIDChars = regexp.MustCompile(`^[0-9 .\-]+$`)
	reSci        = regexp.MustCompile(`(?i)^\d+(?:\.\d+)?e[+-]?\d+$`)
)

// TaxID is a checked Thai 13-digit identification number.
type TaxID struct {
	// ID is the 13 digits, without separators.
	ID string
	// Restored reports that the value had 12 digits starting with 1 (a
	// spreadsheet dropped the leading 0) and that adding the 0 back gives a
	// valid checksum.
	Restored bool
}

// ParseTaxID checks a Thai 13-digit ID (a company's tax ID, which is its
// DBD juristic-person number, or a person's national ID): it folds Thai
// digits, drops a leading label ("Tax ID:", "เลขประจำตัวผู้เสียภาษี"),
// removes spaces, dashes and dots, and requires 13 digits whose mod-11
// check digit is right. A 12-digit value is restored with a leading 0 when
// that makes the checksum right. Scientific notation (1.05536E+11) is
// refused because the digits are lost. Errors wrap ErrEmpty or ErrInvalid.
func ParseTaxID(raw string) (TaxID, error) {
	s := reTaxIDLabel.ReplaceAllString(Text(raw), "")
	if s == "" {
		return TaxID{}, ErrEmpty
	}
	if reSci.MatchString(s) {
		return TaxID{}, fmt.Errorf("%w: it is in scientific notation, so digits are lost", ErrInvalid)
	}
	if !reTaxIDChars.MatchString(s) {
		return TaxID{}, fmt.Errorf("%w: a tax ID is 13 digits, optionally grouped with spaces or dashes", ErrInvalid)
	}
	d := digitsOf(s)
	switch {
	case len(d) == 12 && d[0] == '1' && ValidThaiID13("0"+d):
		return TaxID{ID: "0" + d, Restored: true}, nil
	case len(d) != 13:
		return TaxID{}, fmt.Errorf("%w: it has %d digits, a tax ID has 13", ErrInvalid, len(d))
	case !ValidThaiID13(d):
		return TaxID{}, fmt.Errorf("%w: the check digit (the last one) is wrong", ErrInvalid)
	}
	return TaxID{ID: d}, nil
}

// ValidThaiID13 reports whether s is 13 ASCII digits whose last digit is the
// mod-11 check digit of the first twelve (weights 13 down to 2).
func ValidThaiID13(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i := 0; i < 12; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * (13 - i)
	}
	return s[12] >= '0' && s[12] <= '9' && int(s[12]-'0') == (11-sum%11)%10
}

var reBranch = regexp.MustCompile(`(?i)^(?:สาขาที่|สาขา|branch(?:\s*no\.?)?)?\s*[:.]?\s*(\d{1,5})$`)

// Branch returns the 5-digit branch code of a Thai tax registration:
// "", "0", "00000", "สำนักงานใหญ่", "Head Office", "HQ" give "00000" (head
// office); "3", "สาขาที่ 3", "สาขา 00003", "Branch 3" give "00003". Errors
// wrap ErrInvalid.
func Branch(raw string) (string, error) {
	s := Text(raw)
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "", "สำนักงานใหญ่", "head office", "headoffice", "hq", "ho":
		return "00000", nil
	}
	m := reBranch.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("%w: a branch is 5 digits (00000 for the head office) or a branch number", ErrInvalid)
	}
	return strings.Repeat("0", 5-len(m[1])) + m[1], nil
}
