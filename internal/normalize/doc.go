// Package normalize holds pure functions that turn the values ERPs and
// spreadsheets produce into the forms HubSpot expects: phone numbers in
// E.164, e-mail addresses, company domains, Thai 13-digit tax IDs and branch
// codes, names with their honorifics split off, Buddhist-era and Thai-format
// dates, money amounts, and Thai text in Windows-874 (TIS-620).
//
// Every function is deterministic and safe for concurrent use. A value that
// cannot be normalised without guessing is an error: the error message
// explains why without repeating the value, so that callers can quote the
// value themselves once. Errors wrap one of the sentinel errors below, for
// use with errors.Is.
package normalize

import (
	"errors"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Sentinel errors wrapped by the functions of this package.
var (
	// ErrEmpty means the value holds nothing once blanks are removed.
	ErrEmpty = errors.New("is empty")
	// ErrMasked means the value is a masked phone number (digits replaced by
	// *, x or •), as marketplaces export them.
	ErrMasked = errors.New("is a masked number")
	// ErrShortCode means the value is a short code (a hotline such as 1175),
	// which has no E.164 form.
	ErrShortCode = errors.New("is a short code, not a phone number")
	// ErrInvalid means the value is malformed or fails a check (checksum,
	// numbering plan, calendar).
	ErrInvalid = errors.New("is not valid")
	// ErrAmbiguous means the value could be read in more than one way (a
	// two-digit year, a decimal comma).
	ErrAmbiguous = errors.New("is ambiguous")
)

// FoldDigits replaces Thai digits (U+0E50 ๐ to U+0E59 ๙) with ASCII digits
// and leaves every other rune as it is.
func FoldDigits(s string) string {
	if !strings.ContainsFunc(s, isThaiDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isThaiDigit(r) {
			return '0' + (r - '๐')
		}
		return r
	}, s)
}

func isThaiDigit(r rune) bool { return r >= '๐' && r <= '๙' }

// Text returns s in Unicode NFKC with Thai digits folded to ASCII and
// surrounding white space (including no-break spaces) removed. It is the
// first step of every other function in this package. NFKC folds fullwidth
// forms (０８１, ＠, ，) to ASCII; it would also split the Thai vowel SARA AM
// (ำ) into NIKHAHIT and SARA AA, which Text puts back together so that Thai
// words keep their usual spelling.
func Text(s string) string {
	s = norm.NFKC.String(s)
	s = strings.ReplaceAll(s, "\u0e4d\u0e32", "\u0e33")
	return strings.TrimSpace(FoldDigits(s))
}
