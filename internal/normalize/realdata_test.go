package normalize

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testkit/shareddata"
)

type setCompany struct {
	Symbol string `json:"symbol"`
	Name   string `json:"name"`
	Tel    string `json:"tel"`
	Fax    string `json:"fax"`
	Web    string `json:"web"`
}

func readSETCompanies(t *testing.T, file string) []setCompany {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "thai/companies/"+file))
	if err != nil {
		t.Fatal(err)
	}
	var cs []setCompany
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestParsePhoneSETCompanies parses every telephone cell of the SET list of
// listed companies: real Thai landlines with ranges, several numbers per
// cell, extensions and "-" placeholders.
func TestParsePhoneSETCompanies(t *testing.T) {
	t.Parallel()
	cs := readSETCompanies(t, "thai_securities_all_th.json")
	var ok, placeholder, multi, failed int
	var failures []string
	for _, c := range cs {
		p, err := ParsePhone(c.Tel, "TH")
		switch {
		case err == nil:
			ok++
			if !strings.HasPrefix(p.E164, "+66") {
				t.Errorf("%s: tel %q = %q, want a Thai number", c.Symbol, c.Tel, p.E164)
			}
			if len(p.Others) > 0 {
				multi++
			}
		case strings.Trim(c.Tel, " -") == "":
			placeholder++
		default:
			failed++
			failures = append(failures, c.Tel)
		}
	}
	t.Logf("%d cells: %d parsed (%d with several numbers), %d empty or '-', %d refused: %q", len(cs), ok, multi, placeholder, failed, failures)
	if len(cs) != 929 || ok < 910 {
		t.Errorf("parsed %d of %d cells, want at least 910 of 929", ok, len(cs))
	}
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

// TestParsePhoneNorthwindForeign checks that Northwind's foreign numbers,
// written in their countries' national formats, never become Thai numbers.
func TestParsePhoneNorthwindForeign(t *testing.T) {
	t.Parallel()
	// The files have unquoted commas in some addresses, so the phone
	// columns are counted from the end of each row.
	// These foreign numbers are written exactly like Thai ones (Munich's
	// 089 is a Thai mobile prefix, Sydney's (02) is Bangkok's area code);
	// no rule can refuse them without the record's country.
	indistinguishable := map[string]bool{
		"089-0877310": true, "089-0877451": true, "(02) 555-5914": true, "(02) 555-4873": true,
	}
	for _, f := range []struct {
		name                string
		country, phone, fax int // from the end: -1 is the last field
		min                 int
	}{
		{"customers.csv", -3, -2, -1, 150},
		{"suppliers.csv", -4, -3, -2, 40},
	} {
		file := f.name
		r, err := os.Open(shareddata.Path(t, "northwind/"+file))
		if err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, row := range rows[1:] {
			country := row[len(row)+f.country]
			for _, i := range []int{f.phone, f.fax} {
				raw := row[len(row)+i]
				if raw == "NULL" || raw == "" {
					continue
				}
				n++
				p, err := ParsePhone(raw, "TH")
				if indistinguishable[raw] {
					if err == nil && !strings.HasPrefix(p.E164, "+66") {
						t.Errorf("%q = %q", raw, p.E164)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s %s (%s): %q became %q; a foreign national number must be refused under TH", file, row[0], country, raw, p.E164)
				} else if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrShortCode) {
					t.Errorf("%s %q: error %v, want ErrInvalid or ErrShortCode", file, raw, err)
				}
			}
		}
		t.Logf("%s: %d foreign numbers checked", file, n)
		if n < f.min {
			t.Errorf("%s: only %d numbers read", file, n)
		}
	}
}
