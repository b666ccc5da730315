package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/governor"
)

// env returns a LookupEnv over the given pairs only.
func env(kv ...string) config.LookupEnv {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// write writes body to a file called name in a fresh directory and returns
// its path.
func write(t *testing.T, name, body string) string {
	t.Helper()
	return writeIn(t, t.TempDir(), name, body)
}

// writeIn writes body to the file dir/name and returns its path.
func writeIn(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("", nil, env())
	if err != nil {
		t.Fatalf("Parse(empty) = %v", err)
	}
	if !reflect.DeepEqual(*cfg, config.Default()) {
		t.Errorf("Parse(empty) = %+v, want Default()", *cfg)
	}
	if cfg.Sync.Schedule != "@every 10s" || cfg.Sync.BatchSize != 1000 || cfg.Database.Schema != "syncd" {
		t.Errorf("defaults = %q %d %q", cfg.Sync.Schedule, cfg.Sync.BatchSize, cfg.Database.Schema)
	}
}

func TestExampleFileLoads(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadEnv("../../config.example.toml", env())
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	// The example documents the defaults: loading it gives Default().
	if want := config.Default(); !reflect.DeepEqual(*cfg, want) {
		t.Errorf("config.example.toml differs from Default():\n got %+v\nwant %+v", *cfg, want)
	}
	if cfg.Deals.Pipeline != "default" || cfg.Deals.Stages["won"] != "closedwon" || cfg.Tickets.Stages["closed"] != "4" {
		t.Errorf("pipelines = %+v %+v", cfg.Deals, cfg.Tickets)
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	path := write(t, "syncd.toml", `
[database]
url = "postgres://u@db:5432/erp"
schema = "crm_sync"

[sync]
schedule = "*/5 * * * *"
batch_size = 50
lease = "2m"

[deals]
pipeline = "Wholesale"
stages = { confirmed = "Confirmed", shipped = "Shipped" }
`)
	cfg, err := config.LoadEnv(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.Schema != "crm_sync" || cfg.Sync.BatchSize != 50 || cfg.Sync.Lease.Duration != 2*time.Minute {
		t.Errorf("got %+v", cfg)
	}
	// A stage map in the file replaces the default one.
	want := map[string]string{"confirmed": "Confirmed", "shipped": "Shipped"}
	if !reflect.DeepEqual(cfg.Deals.Stages, want) {
		t.Errorf("deals.stages = %v, want %v", cfg.Deals.Stages, want)
	}
	// Tickets keep their defaults.
	if cfg.Tickets.Stages["closed"] != "4" {
		t.Errorf("tickets.stages = %v", cfg.Tickets.Stages)
	}
}

func TestErrorsNameFileLineKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"range", "[sync]\n\nbatch_size = 0\n", `:3: key "sync.batch_size": must be between 1 and 10000`},
		{"unknown key", "[sync]\nbatchsize = 10\n", `:2: key "sync.batchsize": unknown key`},
		{"unknown table", "[synk]\nbatch_size = 10\n", `:1: key "synk": unknown key`},
		{"cron", "[sync]\nschedule = \"every ten\"\n", `:2: key "sync.schedule": "every ten" is not a cron schedule`},
		{"tier", "[hubspot]\ntier = \"gold\"\n", `:2: key "hubspot.tier": "gold" is not one of free, starter`},
		{"on_delete", "[sync]\non_delete = \"purge\"\n", `:2: key "sync.on_delete": "purge" is not archive or ignore`},
		{"invalid_field", "[sync]\ninvalid_field = \"drop\"\n", `:2: key "sync.invalid_field": "drop" is not fail or skip`},
		{"schema", "[database]\nschema = \"syncd; drop\"\n", `:2: key "database.schema": "syncd; drop" is not a safe identifier`},
		{"type", "[sync]\nbatch_size = \"ten\"\n", `:2: key "sync.batch_size"`},
		{"duration", "[sync]\nlease = \"soon\"\n", `sync.lease`},
		{"syntax", "[sync\n", `:1:`},
		{"stage", "[tickets.stages]\nopen = \"\"\n", `:2: key "tickets.stages.open": must name a stage`},
		{"backoff", "[sync]\nbackoff_base = \"2h\"\n", `key "sync.backoff_max": must be at least sync.backoff_base`},
		{"level", "[log]\nlevel = \"loud\"\n", `:2: key "log.level": "loud" is not one of`},
		{"base url", "[hubspot]\nbase_url = \"ftp://x\"\n", `:2: key "hubspot.base_url": must be an http or https URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := write(t, "config.toml", tt.body)
			_, err := config.LoadEnv(path, env())
			if err == nil {
				t.Fatalf("no error for %q", tt.body)
			}
			if !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant %q after the path %s", err, tt.want, path)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	t.Parallel()
	path := write(t, "config.toml", "[sync]\nbatch_size = 0\nmax_attempts = 0\non_delete = \"x\"\n")
	_, err := config.LoadEnv(path, env())
	for _, key := range []string{"sync.batch_size", "sync.max_attempts", "sync.on_delete"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}

func TestTokenKeyRejected(t *testing.T) {
	t.Parallel()
	const secret = "pat-na1-11111111-2222-3333-4444-555555555555"
	path := write(t, "config.toml", "[hubspot]\ntier = \"free\"\ntoken = \""+secret+"\"\n")
	_, err := config.LoadEnv(path, env())
	if err == nil {
		t.Fatal("a token in the file was accepted")
	}
	msg := err.Error()
	for _, want := range []string{":3:", `"hubspot.token"`, "HUBSPOT_TOKEN", "token_file"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("error %q quotes the token", msg)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	path := write(t, "config.toml", "[database]\nurl = \"postgres://file@db/erp\"\n[hubspot]\nbase_url = \"https://file.example\"\n")
	cfg, err := config.LoadEnv(path, env(
		"SYNCD_DATABASE_URL", "postgres://env@db/erp",
		"SYNCD_HUBSPOT_BASE_URL", "http://127.0.0.1:9999",
		"HUBSPOT_TOKEN", " pat-env \n",
	))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != "postgres://env@db/erp" || cfg.HubSpot.BaseURL != "http://127.0.0.1:9999" {
		t.Errorf("env not applied: %q %q", cfg.Database.URL, cfg.HubSpot.BaseURL)
	}
	if cfg.HubSpot.Token.Reveal() != "pat-env" || cfg.HubSpot.TokenSource != "HUBSPOT_TOKEN" {
		t.Errorf("token = %q from %q", cfg.HubSpot.Token.Reveal(), cfg.HubSpot.TokenSource)
	}

	// A token never travels in clear text to another host.
	_, err = config.LoadEnv(path, env("SYNCD_HUBSPOT_BASE_URL", "http://hubspot.example", "HUBSPOT_TOKEN", "pat-x"))
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("plain http with a token: error = %v", err)
	}

	// A bad value from the environment names the variable, not the file.
	_, err = config.LoadEnv(path, env("SYNCD_HUBSPOT_BASE_URL", "not a url"))
	if err == nil || !strings.HasPrefix(err.Error(), "SYNCD_HUBSPOT_BASE_URL: ") {
		t.Errorf("error = %v, want it to name SYNCD_HUBSPOT_BASE_URL", err)
	}
}

func TestTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeIn(t, dir, "token", "pat-file\n")
	path := writeIn(t, dir, "config.toml", "[hubspot]\ntoken_file = \"token\"\n")
	cfg, err := config.LoadEnv(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HubSpot.Token.Reveal() != "pat-file" {
		t.Errorf("token from file = %q", cfg.HubSpot.Token.Reveal())
	}
	// HUBSPOT_TOKEN wins over the file.
	cfg, err = config.LoadEnv(path, env("HUBSPOT_TOKEN", "pat-env"))
	if err != nil || cfg.HubSpot.Token.Reveal() != "pat-env" {
		t.Errorf("with HUBSPOT_TOKEN: %v %q", err, cfg.HubSpot.Token.Reveal())
	}

	missing := write(t, "config.toml", "[hubspot]\n\ntoken_file = \"/nonexistent/token\"\n")
	_, err = config.LoadEnv(missing, env())
	if err == nil || !strings.Contains(err.Error(), `:3: key "hubspot.token_file": cannot read /nonexistent/token`) {
		t.Errorf("missing token file: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "pat-na1-secret"
	cfg, err := config.Parse("", nil, env("HUBSPOT_TOKEN", secret, "SYNCD_DATABASE_URL", "postgres://u:hunter2@db/erp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s %q", *cfg, *cfg, *cfg, cfg.HubSpot.Token, cfg.HubSpot.Token),
		cfg.Redacted(),
	} {
		if strings.Contains(out, secret) {
			t.Errorf("output reveals the token: %s", out)
		}
	}
	red := cfg.Redacted()
	if strings.Contains(red, "hunter2") {
		t.Errorf("Redacted reveals the database password:\n%s", red)
	}
	if !strings.Contains(red, "set, from HUBSPOT_TOKEN") || !strings.Contains(red, "batch_size = 1000") {
		t.Errorf("Redacted =\n%s", red)
	}
	// The rendering is itself a valid config file.
	if _, err := config.Parse("redacted.toml", []byte(red), env()); err != nil {
		t.Errorf("Redacted output does not load: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"postgres://u:pw@h:5432/db":                 "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"postgres://h/db?password=pw&sslmode=allow": "postgres://h/db?password=xxxxx&sslmode=allow",
		"host=h user=u password=pw dbname=d":        "host=h user=u password=xxxxx dbname=d",
		"host=h password='p w' dbname=d":            "host=h password=xxxxx dbname=d",
	}
	for in, want := range tests {
		if got := config.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStage(t *testing.T) {
	t.Parallel()
	m := config.PipelineMapping{Stages: map[string]string{"Won": "closedwon"}}
	for _, status := range []string{"Won", "won", " WON "} {
		if got, ok := m.Stage(status); !ok || got != "closedwon" {
			t.Errorf("Stage(%q) = %q, %v", status, got, ok)
		}
	}
	if _, ok := m.Stage("lost"); ok {
		t.Error("Stage(lost) found a stage")
	}
}

func TestDurationText(t *testing.T) {
	t.Parallel()
	for in, want := range map[time.Duration]string{
		5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Second: "1m30s", 30 * time.Second: "30s",
		time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		b, _ := config.Duration{Duration: in}.MarshalText()
		var back config.Duration
		if string(b) != want || back.UnmarshalText(b) != nil || back.Duration != in {
			t.Errorf("%v: text %q (want %q), back %v", in, b, want, back.Duration)
		}
	}
}

func TestTiersMatchGovernor(t *testing.T) {
	t.Parallel()
	if got, want := config.Tiers, governor.Tiers(); !reflect.DeepEqual(got, want) {
		t.Errorf("config.Tiers = %v, governor.Tiers() = %v", got, want)
	}
}

// TestExampleHasEveryKey checks that config.example.toml shows every key
// the configuration has, set or commented out.
func TestExampleHasEveryKey(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.HubSpot.TokenFile = "x" // so that Redacted shows it
	for _, line := range strings.Split(cfg.Redacted(), "\n") {
		if strings.HasPrefix(line, "[") && !strings.Contains(string(example), line) {
			t.Errorf("config.example.toml lacks the table %s", line)
		}
		key, _, ok := strings.Cut(line, " = ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(string(example), "\n"+key+" = ") && !strings.Contains(string(example), "\n# "+key+" = ") {
			t.Errorf("config.example.toml lacks the key %q", key)
		}
	}
}

// TestHTTPSection checks the [http] section: the address, the access token
// from SYNCD_HTTP_TOKEN or http.token_file (the variable wins), never from
// the file itself, never printed, and a bad address named by its key.
func TestHTTPSection(t *testing.T) {
	t.Parallel()
	const secret = "status-page-secret-1234"
	dir := t.TempDir()
	tokenFile := writeIn(t, dir, "http-token", secret+"\n")
	path := writeIn(t, dir, "config.toml", "[http]\naddr = \"0.0.0.0:9464\"\ntoken_file = \"http-token\"\n")
	cfg, err := config.LoadEnv(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "0.0.0.0:9464" || cfg.HTTP.Token.Reveal() != secret || cfg.HTTP.TokenSource != tokenFile {
		t.Errorf("http = %q, token from %q", cfg.HTTP.Addr, cfg.HTTP.TokenSource)
	}
	if out := fmt.Sprintf("%v %+v %#v", *cfg, *cfg, *cfg) + cfg.Redacted(); strings.Contains(out, secret) {
		t.Errorf("the config prints the http token: %s", out)
	}
	if !strings.Contains(cfg.Redacted(), "# http token: set, from "+tokenFile) {
		t.Errorf("Redacted does not say where the http token comes from:\n%s", cfg.Redacted())
	}
	cfg, err = config.LoadEnv(path, env("SYNCD_HTTP_TOKEN", "from-env-0123456789"))
	if err != nil || cfg.HTTP.Token.Reveal() != "from-env-0123456789" || cfg.HTTP.TokenSource != "SYNCD_HTTP_TOKEN" {
		t.Errorf("with SYNCD_HTTP_TOKEN: %v, token from %q", err, cfg.HTTP.TokenSource)
	}
	// A short token is refused, naming where it came from, not quoting it.
	_, err = config.LoadEnv(path, env("SYNCD_HTTP_TOKEN", "short-secret"))
	if err == nil || !strings.HasPrefix(err.Error(), "SYNCD_HTTP_TOKEN: ") || !strings.Contains(err.Error(), "at least 16") || strings.Contains(err.Error(), "short-secret") {
		t.Errorf("a short SYNCD_HTTP_TOKEN: error = %v", err)
	}

	inFile := write(t, "config.toml", "[http]\naddr = \"127.0.0.1:9464\"\ntoken = \""+secret+"\"\n")
	_, err = config.LoadEnv(inFile, env())
	if err == nil || !strings.Contains(err.Error(), `:3: key "http.token"`) || !strings.Contains(err.Error(), "SYNCD_HTTP_TOKEN") {
		t.Errorf("a token in the file: error = %v", err)
	} else if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q quotes the token", err)
	}

	for _, addr := range []string{"9464", "127.0.0.1:http-alt", "example.com:9464", "127.0.0.1:70000"} {
		p := write(t, "config.toml", "[http]\naddr = \""+addr+"\"\n")
		if _, err := config.LoadEnv(p, env()); err == nil || !strings.Contains(err.Error(), `:2: key "http.addr"`) {
			t.Errorf("addr %q: error = %v", addr, err)
		}
	}
	for _, addr := range []string{":9464", "localhost:0", "[::1]:9464"} {
		p := write(t, "config.toml", "[http]\naddr = \""+addr+"\"\n")
		if _, err := config.LoadEnv(p, env()); err != nil {
			t.Errorf("addr %q: %v", addr, err)
		}
	}
}

// TestConflicts checks the [conflicts] sections: per object type and
// property, erp_wins or hubspot_wins, and errors naming the key for an
// object type syncd does not write, a value that is no policy, a name that
// is no property, and the ERP-ID property.
func TestConflicts(t *testing.T) {
	t.Parallel()
	path := write(t, "config.toml", "[conflicts.deals]\ndealstage = \"hubspot_wins\"\namount = \"erp_wins\"\nclosedate = \"hubspot_wins\"\n[conflicts.contacts]\nphone = \"hubspot_wins\"\n")
	cfg, err := config.LoadEnv(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.HubSpotWins("deals"); !reflect.DeepEqual(got, []string{"closedate", "dealstage"}) {
		t.Errorf("HubSpotWins(deals) = %v, want closedate, dealstage", got)
	}
	if got := cfg.HubSpotWins("contacts"); !reflect.DeepEqual(got, []string{"phone"}) {
		t.Errorf("HubSpotWins(contacts) = %v, want phone", got)
	}
	if got := cfg.HubSpotWins("tickets"); got != nil {
		t.Errorf("HubSpotWins(tickets) = %v, want none", got)
	}
	if got := config.Default().HubSpotWins("deals"); got != nil {
		t.Errorf("by default HubSpotWins(deals) = %v, want none", got)
	}
	if !strings.Contains(cfg.Redacted(), "[conflicts.deals]\namount = 'erp_wins'\nclosedate = 'hubspot_wins'\ndealstage = 'hubspot_wins'") {
		t.Errorf("Redacted does not show the section:\n%s", cfg.Redacted())
	}

	for _, tt := range []struct{ body, want string }{
		{"[conflicts.orders]\nstatus = \"hubspot_wins\"\n", `:1: key "conflicts.orders": "orders" is not an object type syncd writes: use one of companies, contacts, products, deals, line_items, tickets`},
		{"[conflicts.deals]\ndealstage = \"hubspot\"\n", `:2: key "conflicts.deals.dealstage": "hubspot" is not erp_wins or hubspot_wins`},
		{"[conflicts.deals]\nDealStage = \"hubspot_wins\"\n", `:2: key "conflicts.deals.DealStage": "DealStage" is not a HubSpot property name`},
		{"[conflicts.contacts]\nsyncd_erp_id = \"hubspot_wins\"\n", `:2: key "conflicts.contacts.syncd_erp_id": the ERP-ID property (sync.erp_id_property) identifies the record`},
		{"[conflicts]\ndeals = \"hubspot_wins\"\n", `key "conflicts.deals"`},
		{"[conflicts.deals]\ndealstage = true\n", `key "conflicts.deals.dealstage"`},
	} {
		p := write(t, "config.toml", tt.body)
		_, err := config.LoadEnv(p, env())
		if err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error = %v\nwant %q after the path", tt.body, err, tt.want)
		}
	}
}

func TestInboxSection(t *testing.T) {
	t.Parallel()
	def := config.Default().Inbox
	if def.Enabled || def.Schedule != "@every 1m" || def.Overlap.Duration != 2*time.Minute || def.Retention.Duration != 30*24*time.Hour ||
		!reflect.DeepEqual(def.Objects, []string{"contacts", "companies", "deals", "tickets"}) ||
		!reflect.DeepEqual(def.Properties["deals"], []string{"dealstage", "amount", "closedate", "hubspot_owner_id", "pipeline"}) {
		t.Errorf("default [inbox] = %+v", def)
	}
	path := write(t, "syncd.toml", `
[inbox]
enabled = true
schedule = "@every 30s"
objects = ["deals", "tickets"]
overlap = "5m"
retention = "0s"

[inbox.properties]
deals = ["dealstage", "syncd_margin"]
`)
	cfg, err := config.LoadEnv(path, env())
	if err != nil {
		t.Fatal(err)
	}
	in := cfg.Inbox
	if !in.Enabled || in.Schedule != "@every 30s" || !reflect.DeepEqual(in.Objects, []string{"deals", "tickets"}) ||
		in.Overlap.Duration != 5*time.Minute || in.Retention.Duration != 0 {
		t.Errorf("[inbox] = %+v", in)
	}
	// A type's list replaces its default; the other types keep theirs.
	if !reflect.DeepEqual(in.Properties["deals"], []string{"dealstage", "syncd_margin"}) ||
		!reflect.DeepEqual(in.Properties["tickets"], config.InboxDefaultProperties()["tickets"]) {
		t.Errorf("inbox.properties = %v", in.Properties)
	}

	for _, c := range []struct{ body, want string }{
		{"[inbox]\nobjects = [\"deals\", \"orders\"]\n", `:2: key "inbox.objects": "orders" is not one of contacts, companies, deals, tickets`},
		{"[inbox]\nenabled = true\nobjects = []\n", `key "inbox.objects": must name at least one object type`},
		{"[inbox]\nschedule = \"soon\"\n", `:2: key "inbox.schedule": "soon" is not a cron schedule`},
		{"[inbox]\noverlap = \"-1m\"\n", `:2: key "inbox.overlap": must not be negative`},
		{"[inbox]\nstart_from = \"yesterday\"\n", `:2: key "inbox.start_from": "yesterday" is not "history", "now" or an RFC 3339 time`},
		{"[inbox.properties]\ndeals = [\"Deal Stage\"]\n", `:2: key "inbox.properties.deals": "Deal Stage" is not a HubSpot property name`},
		{"[inbox.properties]\norders = [\"x\"]\n", `:2: key "inbox.properties.orders": "orders" is not one of`},
		{"[inbox.properties]\ndeals = []\n", `:2: key "inbox.properties.deals": must name at least one property`},
	} {
		_, err := config.LoadEnv(write(t, "bad.toml", c.body), env())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.body, err, c.want)
		}
	}
}
