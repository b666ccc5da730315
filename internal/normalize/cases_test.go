package normalize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The cases of the normalisers are data: testdata/<file>.txt holds one case
// a line,
//
//	input<TAB>want[<TAB># comment]
//
// where want is the text the normaliser's result renders as (each file's
// first lines say how) or one of the errors of caseErrors, which the result
// must wrap. Lines starting with # are comments, blank lines are skipped.
//
// A field that starts with a double quote is a Go string literal, read with
// strconv.Unquote. A field must be written that way when it is empty, starts
// or ends with a space, or holds a rune that does not show for what it is:
// invisible ones (no-break and zero-width spaces, other format characters)
// and fullwidth forms, which look like ASCII. readCases refuses such a field
// written bare, so that no editor can lose or change what a case tests.

// normaliser is a function under test, its result rendered as text, and
// the file of its cases.
type normaliser struct {
	file, name string
	parse      func(string) (string, error)
}

// normalisers lists each case file and the function its cases run through,
// under the name failures call it.
var normalisers = []normaliser{
	{"email.txt", "Email", Email},
	{"domain.txt", "Domain", Domain},
	{"amount.txt", "Amount", Amount},
	{"phone.txt", "ParsePhone", phoneText},
	{"date.txt", "ParseDate", dateText},
	{"datetime.txt", "ParseDateTime", dateTimeText},
	{"taxid.txt", "ParseTaxID", taxIDText},
	{"branch.txt", "Branch", Branch},
	{"name.txt", "SplitName", nameText},
	{"text.txt", "Text", func(s string) (string, error) { return Text(s), nil }},
}

// phoneText renders ParsePhone under region TH: Phone.String(), then the
// other numbers of the cell.
func phoneText(in string) (string, error) {
	got, err := ParsePhone(in, "TH")
	if len(got.Others) > 0 {
		return got.String() + " (also " + strings.Join(got.Others, ", ") + ")", err
	}
	return got.String(), err
}

// dateText renders ParseDate with HubSpotDate, or says that the result is
// not midnight UTC, which no case wants.
func dateText(in string) (string, error) {
	got, err := ParseDate(in)
	if err == nil && (got.Location() != time.UTC || got.Hour() != 0) {
		return got.String() + ", not midnight UTC", nil
	}
	return HubSpotDate(got), err
}

// dateTimeText renders ParseDateTime in Bangkok time with HubSpotDateTime.
func dateTimeText(in string) (string, error) {
	got, err := ParseDateTime(in, nil)
	return HubSpotDateTime(got), err
}

// taxIDText renders ParseTaxID as the ID, and " restored" when a lost
// leading 0 was put back.
func taxIDText(in string) (string, error) {
	got, err := ParseTaxID(in)
	if got.Restored {
		return got.ID + " restored", err
	}
	return got.ID, err
}

// nameText renders SplitName as honorific/first/last; a part holding a
// slash would make that ambiguous, and is an error.
func nameText(in string) (string, error) {
	n := SplitName(in)
	for _, part := range []string{n.Honorific, n.First, n.Last} {
		if strings.Contains(part, "/") {
			return "", fmt.Errorf("SplitName(%q) = %+v: a part holds a slash", in, n)
		}
	}
	return n.Honorific + "/" + n.First + "/" + n.Last, nil
}

// caseErrors names the errors a case can want.
var caseErrors = map[string]error{
	"!empty":     ErrEmpty,
	"!invalid":   ErrInvalid,
	"!ambiguous": ErrAmbiguous,
	"!masked":    ErrMasked,
	"!shortcode": ErrShortCode,
}

// parseCase is one line of a case file: an input and the text the
// normaliser's result renders as, or the error it must wrap.
type parseCase struct {
	line     int
	in, want string
	wantErr  error
}

// TestNormalisers runs every case of every case file as a parallel subtest
// named by the file and the input.
func TestNormalisers(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	read := make(map[string]bool, len(normalisers))
	for _, n := range normalisers {
		read[n.file] = true
	}
	for _, f := range files {
		if !read[filepath.Base(f)] {
			t.Errorf("%s: no normaliser in the table of cases_test.go reads it", f)
		}
	}
	for _, n := range normalisers {
		t.Run(strings.TrimSuffix(n.file, ".txt"), func(t *testing.T) {
			t.Parallel()
			for _, tt := range readCases(t, n.file) {
				t.Run(tt.in, func(t *testing.T) {
					t.Parallel()
					got, err := n.parse(tt.in)
					switch {
					case tt.wantErr != nil:
						if !errors.Is(err, tt.wantErr) {
							t.Fatalf("%s:%d: %s(%q) = %q, %v; want error %v", n.file, tt.line, n.name, tt.in, got, err, tt.wantErr)
						}
					case err != nil:
						t.Fatalf("%s:%d: %s(%q): %v", n.file, tt.line, n.name, tt.in, err)
					case got != tt.want:
						t.Errorf("%s:%d: %s(%q) = %q, want %q", n.file, tt.line, n.name, tt.in, got, tt.want)
					}
				})
			}
		})
	}
}

// readCases reads the cases of testdata/file, failing the test on a line
// that is not a case.
func readCases(t *testing.T, file string) []parseCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var cases []parseCase
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := parseCaseLine(line)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, i+1, err)
		}
		c.line = i + 1
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", file)
	}
	return cases
}

// parseCaseLine reads one case: input, want and an optional comment,
// separated by tabs.
func parseCaseLine(line string) (parseCase, error) {
	fields := strings.Split(line, "\t")
	if len(fields) == 3 && strings.HasPrefix(fields[2], "#") {
		fields = fields[:2]
	}
	if len(fields) != 2 {
		return parseCase{}, errors.New("want input, a tab and the result, then at most a tab and a # comment")
	}
	in, err := caseField(fields[0])
	if err != nil {
		return parseCase{}, fmt.Errorf("input: %w", err)
	}
	if strings.HasPrefix(fields[1], "!") {
		wantErr, ok := caseErrors[fields[1]]
		if !ok {
			return parseCase{}, fmt.Errorf("no error called %s (quote a result that starts with !)", fields[1])
		}
		return parseCase{in: in, wantErr: wantErr}, nil
	}
	want, err := caseField(fields[1])
	if err != nil {
		return parseCase{}, fmt.Errorf("result: %w", err)
	}
	return parseCase{in: in, want: want}, nil
}

// caseField reads a field: a Go string literal when it starts with a double
// quote, else the text as written, which must show for what it is.
func caseField(f string) (string, error) {
	if strings.HasPrefix(f, `"`) {
		s, err := strconv.Unquote(f)
		if err != nil {
			return "", fmt.Errorf("%s is not a Go string literal: %w", f, err)
		}
		return s, nil
	}
	if f == "" || strings.TrimSpace(f) != f {
		return "", fmt.Errorf("%q is empty or has spaces at an end; write it quoted", f)
	}
	for _, r := range f {
		if !unicode.IsPrint(r) || unicode.In(r, fullwidth) {
			return "", fmt.Errorf("%q holds %U, which does not show for what it is; write it quoted, escaped", f, r)
		}
	}
	return f, nil
}

// fullwidth is the Unicode block of halfwidth and fullwidth forms.
var fullwidth = &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0xff00, Hi: 0xffef, Stride: 1}}}
