package normalize

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

var (
	reCurrencyWords = regexp.MustCompile(`(?i)฿|บาท(?:ถ้วน)?|thb`)
	reGrouped       = regexp.MustCompile(`^\d{1,3}(?:,\d{3})+(?:\.\d+)?$`)
	rePlain         = regexp.MustCompile(`^\d+(?:\.\d+)?$|^\.\d+$`)
)

// Amount reads a money amount or other decimal number written as people
// write them, "฿1,234.50", "1,234.50 บาท", "THB 1234.5", "๑,๒๓๔.๕๐", or as a
// JSON number "1234.50", and returns it as a plain decimal string in its
// shortest exact form ("1234.5"): no thousands separators, no currency, no
// trailing zeros after the point, "-" for negative. It refuses commas that
// do not group thousands (a decimal comma is ambiguous), scientific
// notation, and parentheses for negatives. Errors wrap ErrEmpty, ErrInvalid
// or ErrAmbiguous.
func Amount(raw string) (string, error) {
	s := reCurrencyWords.ReplaceAllString(Text(raw), "")
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", ErrEmpty
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	switch {
	case strings.Contains(s, ","):
		if !reGrouped.MatchString(s) {
			return "", fmt.Errorf("%w: a comma must group thousands (1,234.50); a decimal comma is not accepted", ErrAmbiguous)
		}
		s = strings.ReplaceAll(s, ",", "")
	case !rePlain.MatchString(s):
		return "", fmt.Errorf("%w: not a decimal number such as 1234.50", ErrInvalid)
	}
	return canonicalDecimal(neg, s), nil
}

// canonicalDecimal strips leading zeros of the integer part and trailing
// zeros of the fraction of an unsigned decimal.
func canonicalDecimal(neg bool, s string) string {
	ip, fp, _ := strings.Cut(s, ".")
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// DecimalRat returns the exact value of a decimal string as produced by
// Amount, for arithmetic without rounding.
func DecimalRat(s string) (*big.Rat, bool) { return new(big.Rat).SetString(s) }

// RatDecimal formats r as a decimal string with at most places digits after
// the point, rounding half away from zero, in the shortest form Amount
// returns.
func RatDecimal(r *big.Rat, places int) string {
	s := r.FloatString(places)
	neg := strings.HasPrefix(s, "-")
	return canonicalDecimal(neg, strings.TrimPrefix(s, "-"))
}
