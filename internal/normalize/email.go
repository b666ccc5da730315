package normalize

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Email returns the address trimmed and lower-cased, after checking it is a
// single plain address: one @, no display name, no quoted local part, no
// white space, and a domain with a top-level domain that exists (checked
// against the public suffix list, as HubSpot rejects unknown ones) under
// which a name is registered. A "mailto:" prefix is removed. Errors wrap ErrEmpty or ErrInvalid.
func Email(raw string) (string, error) {
	s := strings.ToLower(Text(raw))
	s = strings.TrimPrefix(s, "mailto:")
	if s == "" {
		return "", ErrEmpty
	}
	if strings.ContainsAny(s, ",;") || strings.Count(s, "@") > 1 {
		return "", fmt.Errorf("%w: it holds more than one address", ErrInvalid)
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", fmt.Errorf("%w: it contains spaces", ErrInvalid)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", fmt.Errorf("%w: an address is local-part@domain", ErrInvalid)
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || len(s) > 254 {
		return "", fmt.Errorf("%w: it is too long", ErrInvalid)
	}
	if strings.HasPrefix(local, `"`) || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", fmt.Errorf("%w: the part before @ is malformed", ErrInvalid)
	}
	if err := checkHostname(domain); err != nil {
		return "", fmt.Errorf("%w: the domain %v", ErrInvalid, err)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%w: it is not a plain e-mail address", ErrInvalid)
	}
	return s, nil
}

// Domain returns the registrable host name of a website or URL as HubSpot
// keeps it in a company's domain property: lower case, without scheme, user
// information, "www." prefix, port, path, query, fragment or trailing dot
// ("https://www.Example.co.th:443/th/" gives "example.co.th"). Unicode
// (IDN) labels are kept in Unicode, NFKC-normalised. The host must pass the
// checks of an e-mail domain (see Email). Errors wrap ErrEmpty or
// ErrInvalid.
func Domain(raw string) (string, error) {
	s := strings.ToLower(Text(raw))
	if s == "" {
		return "", ErrEmpty
	}
	if !strings.Contains(s, "://") {
		s = "http://" + strings.TrimPrefix(s, "//")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: it is not a web address", ErrInvalid)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: scheme %q is not a web address", ErrInvalid, u.Scheme)
	}
	host := u.Hostname()
	if p := u.Port(); p != "" {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return "", fmt.Errorf("%w: bad port", ErrInvalid)
		}
	}
	host = strings.TrimSuffix(host, ".")
	host = strings.TrimPrefix(host, "www.")
	if err := checkHostname(host); err != nil {
		return "", fmt.Errorf("%w: the host %v", ErrInvalid, err)
	}
	return host, nil
}

// checkHostname checks a lower-case host name: two labels or more, each 1 to
// 63 letters, digits or inner hyphens, valid under IDNA 2008, whose
// top-level domain exists (it is in the ICANN section of the public suffix
// list) and which is not itself a public suffix such as "co.th".
func checkHostname(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("is empty or too long")
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return fmt.Errorf("has no top-level domain")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("has an empty or too long label")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("has a label that starts or ends with '-'")
		}
		for _, r := range l {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))) {
				return fmt.Errorf("contains %q", r)
			}
		}
	}
	ascii, err := idna.Lookup.ToASCII(h)
	if err != nil {
		return fmt.Errorf("is not a valid internationalised name")
	}
	tld := ascii[strings.LastIndexByte(ascii, '.')+1:]
	if _, icann := publicsuffix.PublicSuffix(tld); !icann || strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("ends in %q, which is not a top-level domain", labels[len(labels)-1])
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(ascii); err != nil {
		return fmt.Errorf("is a public suffix (like co.th), not a registered domain")
	}
	return nil
}
