package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/pgtest"
)

// doctorOut is `syncd doctor --json` as a script reads it.
type doctorOut struct {
	Problems int `json:"problems"`
	Warnings int `json:"warnings"`
	Account  *struct {
		PortalID    int64  `json:"portal_id"`
		TimeZone    string `json:"time_zone"`
		Currency    string `json:"currency"`
		AccountType string `json:"account_type"`
		UIDomain    string `json:"ui_domain"`
	} `json:"account"`
	Checks []struct {
		Check  string `json:"check"`
		Status string `json:"status"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

const doctorToken = "pat-na1-0d0c7012-aaaa-4bbb-8ccc-123456789abc"

func (d syncdEnv) doctor(t *testing.T, cfg string) (result, doctorOut) {
	t.Helper()
	r := run(t, context.Background(), d.env, "--config", cfg, "doctor", "--json")
	var out doctorOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor --json is not JSON: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return r, out
}

// TestDoctorHealthy checks a set-up account: every check is ok, the
// account's details are reported, the exit status is 0, and the human
// output says so without the token.
func TestDoctorHealthy(t *testing.T) {
	t.Parallel()
	d := newSetUpEnv(t, envOptions{token: doctorToken}, "")
	before, db := d.emu.Stats(), dbState(t, d.db)
	r, out := d.doctor(t, d.cfg)
	if r.code != cli.ExitOK || out.Problems != 0 {
		t.Fatalf("exit %d, %d problems:\n%s", r.code, out.Problems, r.stdout)
	}
	// doctor only reads, and costs about 25 calls.
	after := d.emu.Stats()
	for route, n := range after.ByRoute {
		if n > before.ByRoute[route] && !strings.HasPrefix(route, "GET ") && !strings.HasSuffix(route, "/batch/read") {
			t.Errorf("doctor sent %s", route)
		}
	}
	if calls := after.Total - before.Total; calls > 30 {
		t.Errorf("doctor made %d calls", calls)
	} else {
		t.Logf("doctor made %d HubSpot calls", calls)
	}
	if dbState(t, d.db) != db {
		t.Error("doctor changed the database")
	}
	if out.Account == nil || out.Account.PortalID != 12345678 || out.Account.TimeZone == "" || out.Account.Currency == "" {
		t.Errorf("account = %+v", out.Account)
	}
	var names []string
	for _, c := range out.Checks {
		if c.Status != "ok" {
			t.Errorf("check %s is %s: %s (%s)", c.Check, c.Status, c.Detail, c.Fix)
		}
		if !slices.Contains(names, c.Check) {
			names = append(names, c.Check)
		}
	}
	want := []string{"config", "database", "token", "api version", "scopes contacts", "scopes companies", "scopes deals",
		"scopes tickets", "scopes products", "scopes line_items", "properties", "pipelines", "rate budget", "clock"}
	if !slices.Equal(names, want) {
		t.Errorf("checks %v\nwant %v", names, want)
	}
	for _, c := range out.Checks {
		if c.Check == "rate budget" && !strings.Contains(c.Detail, "daily calls used today") {
			t.Errorf("rate budget says nothing of today's use: %s", c.Detail)
		}
	}
	human := run(t, context.Background(), d.env, "--config", d.cfg, "doctor")
	t.Log("\n" + human.stdout)
	if human.code != cli.ExitOK || !strings.Contains(human.stdout, "No problem: syncd is ready to sync.") {
		t.Errorf("doctor: exit %d\n%s", human.code, human.stdout)
	}
	if strings.Contains(human.stdout+human.stderr+r.stdout+r.stderr, doctorToken[8:]) {
		t.Error("the token appears in doctor's output")
	}
}

// TestDoctorFindsProblems checks acceptance point 4: against a token
// without the deal scopes, a config naming an ERP-ID property HubSpot
// does not have, and a deal stage the pipeline lacks, doctor reports each
// with its fix and exits 4; a database not migrated is reported too.
func TestDoctorFindsProblems(t *testing.T) {
	t.Parallel()
	scopes := []string{"oauth", "tickets", "e-commerce"}
	for _, o := range []string{"contacts", "companies"} {
		scopes = append(scopes, "crm.objects."+o+".read", "crm.objects."+o+".write", "crm.schemas."+o+".read", "crm.schemas."+o+".write")
	}
	for _, o := range []string{"products", "line_items"} {
		scopes = append(scopes, "crm.objects."+o+".read", "crm.objects."+o+".write")
	}
	// Deals: their properties and pipelines, not their records.
	scopes = append(scopes, "crm.schemas.deals.read", "crm.schemas.deals.write")
	d := newSetUpEnv(t, envOptions{token: doctorToken, scopes: scopes}, "")
	// On contacts, the configured ERP-ID property exists but does not
	// require unique values.
	d.hubspot(t, http.MethodPost, "/crm/properties/2026-09/contacts",
		`{"name":"erp_key","label":"ERP key","type":"string","fieldType":"text","groupName":"contactinformation"}`, "", http.StatusCreated)
	cfg := d.config(t, "problems.toml", `[sync]
erp_id_property = "erp_key"

[deals]
pipeline = "default"

[deals.stages]
open = "appointmentscheduled"
shipped = "Shipped to customer"
`)
	r, out := d.doctor(t, cfg)
	if r.code != cli.ExitProblems {
		t.Errorf("exit %d, want %d", r.code, cli.ExitProblems)
	}
	find := func(check, detail string) string {
		for _, c := range out.Checks {
			if c.Check == check && c.Status == "problem" && strings.Contains(c.Detail, detail) {
				if c.Fix == "" {
					t.Errorf("%s: %s has no fix", check, c.Detail)
				}
				return c.Fix
			}
		}
		t.Errorf("no %s problem with %q in:\n%s", check, detail, r.stdout)
		return ""
	}
	if fix := find("scopes deals", "crm.objects.deals.read"); !strings.Contains(fix, "crm.objects.deals.write") {
		t.Errorf("scope fix %q does not name the write scope", fix)
	}
	if fix := find("properties", "deals has no property erp_key"); !strings.Contains(fix, "syncd setup") {
		t.Errorf("property fix %q", fix)
	}
	if fix := find("properties", "does not require unique values"); !strings.Contains(fix, "erp_id_property") {
		t.Errorf("unique fix %q", fix)
	}
	if fix := find("pipelines", "Shipped to customer"); !strings.Contains(fix, "[deals.stages]") && !strings.Contains(fix, "create_pipelines") {
		t.Errorf("stage fix %q", fix)
	}
	for _, c := range out.Checks {
		if c.Status == "problem" && (strings.HasPrefix(c.Check, "scopes ") && c.Check != "scopes deals") {
			t.Errorf("%s reported with every scope granted: %s", c.Check, c.Detail)
		}
	}
	if out.Problems != countStatus(out, "problem") || out.Problems < 3 {
		t.Errorf("problems = %d, checks say %d", out.Problems, countStatus(out, "problem"))
	}

	// The human form says the same, with the fixes.
	human := run(t, context.Background(), d.env, "--config", cfg, "doctor")
	t.Log("\n" + human.stdout)
	if human.code != cli.ExitProblems || !strings.Contains(human.stdout, "→ ") || !strings.Contains(human.stdout, "syncd cannot sync as set up") {
		t.Errorf("doctor: exit %d\n%s", human.code, human.stdout)
	}
}

// TestDoctorDatabaseAndClock checks the checks that do not need HubSpot
// to be wrong: a schema without migrations, and a HubSpot whose Date is
// three minutes ahead.
func TestDoctorDatabaseAndClock(t *testing.T) {
	t.Parallel()
	d := newSetUpEnv(t, envOptions{token: doctorToken, wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", time.Now().Add(3*time.Minute).UTC().Format(http.TimeFormat))
			h.ServeHTTP(w, r)
		})
	}}, "")
	// A schema of its own in the same test database, never migrated.
	empty := pgtest.New(t)
	r, out := d.doctor(t, writeFile(t, d.dir, "empty.toml", configFor(empty.Schema, "")))
	if r.code != cli.ExitProblems {
		t.Errorf("exit %d", r.code)
	}
	var db, clock bool
	for _, c := range out.Checks {
		switch {
		case c.Check == "database" && c.Status == "problem" && strings.Contains(c.Detail, "at migration 0 of") && c.Fix == "run syncd migrate up":
			db = true
		case c.Check == "clock" && c.Status == "problem" && strings.Contains(c.Detail, "behind") && strings.Contains(c.Fix, "NTP"):
			clock = true
		}
	}
	if !db || !clock {
		t.Errorf("database reported %v, clock %v:\n%s", db, clock, r.stdout)
	}
}

func countStatus(out doctorOut, status string) int {
	n := 0
	for _, c := range out.Checks {
		if c.Status == status {
			n++
		}
	}
	return n
}

// TestDoctorInbox checks the inbox's watched properties: with the defaults
// every one exists in HubSpot; a misspelt one is a problem naming the key
// and the fix, since HubSpot's search would leave it out without a word.
func TestDoctorInbox(t *testing.T) {
	t.Parallel()
	d := newSetUpEnv(t, envOptions{token: doctorToken}, "[inbox]\nenabled = true\n")
	inboxChecks := func(out doctorOut) (got []string) {
		for _, c := range out.Checks {
			if c.Check == "inbox" {
				got = append(got, c.Status+": "+c.Detail+" → "+c.Fix)
			}
		}
		return got
	}
	r, out := d.doctor(t, d.cfg)
	if want := []string{"ok: every watched property of contacts, companies, deals, tickets exists → "}; r.code != cli.ExitOK || !slices.Equal(inboxChecks(out), want) {
		t.Errorf("defaults: exit %d, inbox checks %q; want %q", r.code, inboxChecks(out), want)
	}

	bad := d.config(t, "bad.toml", "[inbox]\nenabled = true\nobjects = [\"deals\"]\n[inbox.properties]\ndeals = [\"dealstage\", \"deal_stage\"]\n")
	r, out = d.doctor(t, bad)
	want := []string{`problem: inbox.properties.deals names "deal_stage", which HubSpot's deals do not have: its changes would never be reported` +
		` → correct the name in inbox.properties.deals (HubSpot's internal name, as Settings → Properties shows it) or remove it`}
	if r.code != cli.ExitProblems || out.Problems != 1 || !slices.Equal(inboxChecks(out), want) {
		t.Errorf("misspelt: exit %d, %d problems, inbox checks %q; want exit %d and %q", r.code, out.Problems, inboxChecks(out), cli.ExitProblems, want)
	}
}
