package normalize

import (
	"errors"
	"testing"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{in: "somchai@example.co.th", want: "somchai@example.co.th"},
		{in: "  Somchai.J@Example.CO.TH ", want: "somchai.j@example.co.th"},
		{in: "mailto:a+tag@example.com", want: "a+tag@example.com"},
		{in: "ｓｏｍｃｈａｉ＠example.com", want: "somchai@example.com"},
		{in: "a@xn--o3cw4h.com", want: "a@xn--o3cw4h.com"},
		{in: "a@ไทย.com", want: "a@ไทย.com"},
		{in: "", wantErr: ErrEmpty},
		{in: "somchai", wantErr: ErrInvalid},
		{in: "somchai@", wantErr: ErrInvalid},
		{in: "@example.com", wantErr: ErrInvalid},
		{in: "somchai@example", wantErr: ErrInvalid},
		{in: "somchai@example.c0m", wantErr: ErrInvalid},
		{in: "som chai@example.com", wantErr: ErrInvalid},
		{in: "a@b@example.com", wantErr: ErrInvalid},
		{in: "a@example.com, b@example.com", wantErr: ErrInvalid},
		{in: "Somchai <a@example.com>", wantErr: ErrInvalid},
		{in: `"a b"@example.com`, wantErr: ErrInvalid},
		{in: "a..b@example.com", wantErr: ErrInvalid},
		{in: ".a@example.com", wantErr: ErrInvalid},
		{in: "a@-example.com", wantErr: ErrInvalid},
		{in: "a@example..com", wantErr: ErrInvalid},
		{in: "a@[127.0.0.1]", wantErr: ErrInvalid},
		{in: "a@example.comm", wantErr: ErrInvalid},
		{in: "a@co.th", wantErr: ErrInvalid},
		{in: "a@example.xn--zz", wantErr: ErrInvalid},
		{in: "a@shop.blogspot.com", want: "a@shop.blogspot.com"},
		{in: "a@mail.example.ac.th", want: "a@mail.example.ac.th"},
	}
	testParse(t, "Email", Email, tests)
}

func TestDomain(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{in: "example.co.th", want: "example.co.th"},
		{in: "www.ss.co.th", want: "ss.co.th"},
		{in: "https://www.3bb-if.com", want: "3bb-if.com"},
		{in: "HTTPS://WWW.Example.CO.TH:443/th/about?x=1#top", want: "example.co.th"},
		{in: "http://user:pw@shop.example.com/", want: "shop.example.com"},
		{in: "//cdn.example.com/x", want: "cdn.example.com"},
		{in: "example.com.", want: "example.com"},
		{in: "ไทย.ไทย", want: "ไทย.ไทย"},
		{in: "", wantErr: ErrEmpty},
		{in: "-", wantErr: ErrInvalid},
		{in: "localhost", wantErr: ErrInvalid},
		{in: "ftp://example.com", wantErr: ErrInvalid},
		{in: "http://192.168.1.1/", wantErr: ErrInvalid},
		{in: "exa mple.com", wantErr: ErrInvalid},
		{in: "example.com:99999", wantErr: ErrInvalid},
		{in: "co.th", wantErr: ErrInvalid},
		{in: "www.example.local", wantErr: ErrInvalid},
		{in: "xn--o3cw4h.com", want: "xn--o3cw4h.com"},
	}
	testParse(t, "Domain", Domain, tests)
}

// TestDomainSETCompanies derives a domain from every web cell of the SET
// list of listed companies.
func TestDomainSETCompanies(t *testing.T) {
	t.Parallel()
	var ok, empty int
	var failed []string
	for _, c := range readSETCompanies(t, "thai_securities_all_en.json") {
		d, err := Domain(c.Web)
		switch {
		case err == nil:
			ok++
			if d != Text(d) || d == "" || d[:4] == "www." {
				t.Errorf("Domain(%q) = %q", c.Web, d)
			}
		case errors.Is(err, ErrEmpty) || c.Web == "-":
			empty++
		default:
			failed = append(failed, c.Web)
		}
	}
	t.Logf("web: %d domains, %d empty or '-', refused %q", ok, empty, failed)
	if ok < 900 {
		t.Errorf("%d domains, want at least 900", ok)
	}
}
