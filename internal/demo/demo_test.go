package demo_test

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/demo"
	"github.com/syncd/syncd/internal/normalize"
	"github.com/syncd/syncd/internal/pgtest"
)

func TestTaxIDChecksum(t *testing.T) {
	t.Parallel()
	// The demo computes its check digits itself; normalize's independent
	// implementation must agree with every one but the deliberately bad one.
	seen := map[string]bool{}
	for _, r := range demo.Rows() {
		if r.Entity != "company" {
			continue
		}
		raw, _ := r.Payload["tax_id"].(string)
		id := strings.ReplaceAll(raw, "-", "")
		valid := normalize.ValidThaiID13(id)
		if want := r.ERPID != "CO-1031"; valid != want {
			t.Errorf("company %s tax ID %s: valid = %v, want %v", r.ERPID, raw, valid, want)
		}
		if seen[id] {
			t.Errorf("company %s repeats tax ID %s", r.ERPID, id)
		}
		seen[id] = true
	}
	if len(seen) < 30 {
		t.Errorf("%d companies, want at least 30", len(seen))
	}
}

// wiring is the CLI's, as `syncd demo` builds it, over db's schema; logs
// are discarded.
func wiring(t *testing.T, db *pgtest.DB) demo.Wiring {
	f := &cli.Factory{
		IO:        cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       time.Now,
	}
	t.Cleanup(f.Close)
	return f.ForEmulator(demo.Config(db.BaseURL, db.Schema))
}

// TestDemo runs the whole demo against a fresh schema of the test database.
func TestDemo(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	var out strings.Builder
	rep, err := demo.Run(context.Background(), wiring(t, db), demo.Options{Out: &out})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s := rep.Summary
	if s.Rows != len(demo.Rows()) || s.Failed+s.Dead != 2 || s.Created != len(demo.Rows())-2 || s.Calls == 0 {
		t.Errorf("summary = %+v; want %d rows, %d created, 2 failed", s, len(demo.Rows()), len(demo.Rows())-2)
	}
	wantMapped := map[string]int{"company": 30, "contact": 32, "product": 6, "deal": 6, "line_item": 9, "ticket": 4}
	if !reflect.DeepEqual(rep.MappedTotal, wantMapped) {
		t.Errorf("id_map = %v, want %v", rep.MappedTotal, wantMapped)
	}
	if len(rep.Failed) != 2 {
		t.Fatalf("failed rows = %+v, want 2", rep.Failed)
	}
	for i, want := range []struct{ erpID, field string }{{"CO-1031", "tax_id"}, {"C-2033", "phone"}} {
		f := rep.Failed[i]
		if f.ERPID != want.erpID || !strings.Contains(f.LastError, want.field) {
			t.Errorf("failed row %d = %+v, want %s with an error naming %s", i, f, want.erpID, want.field)
		}
	}
	got := map[string]string{}
	for _, ex := range rep.Examples {
		got[ex.ERPID+" "+ex.Field] = ex.Got
	}
	for key, want := range map[string]string{
		"C-2001 name":         `firstname "สมชาย", lastname "ใจดี"`,   // นาย glued to the name
		"C-2006 phone":        `phone "+66815551234"`,                 // Thai digits
		"CO-1002 branch":      `syncd_branch "00000"`,                 // สำนักงานใหญ่, head office
		"CO-1005 tax_id":      `syncd_tax_id "0105559152306"`,         // grouped with dashes
		"SO-69002 close_date": `closedate "2026-12-15T00:00:00.000Z"`, // 15/12/2569, Buddhist era
		"TK-5002 status":      `hs_pipeline_stage "2"`,                // waiting_on_contact
	} {
		if got[key] != want {
			t.Errorf("%s reached HubSpot as %s, want %s", key, got[key], want)
		}
	}
	text := out.String()
	for _, want := range []string{"nothing was sent to HubSpot", "as intended", "CO-1031", "C-2033", "https://app.hubspot.com/contacts/"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}

	// Running it again starts from scratch: the schema is recreated.
	rep2, err := demo.Run(context.Background(), wiring(t, db), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Summary.Rows != s.Rows || !reflect.DeepEqual(rep2.MappedTotal, wantMapped) {
		t.Errorf("second run: %+v %v", rep2.Summary, rep2.MappedTotal)
	}
}
