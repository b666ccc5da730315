// Package demo runs syncd end to end on sample data: the built-in HubSpot
// emulator, its own PostgreSQL database and schema, migrations, setup, an
// outbox filled with made-up Thai companies, customers, products, orders
// and tickets (two rows bad on purpose), one drain of the engine, and a
// report of what happened.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/setup"
	"github.com/syncd/syncd/internal/store"
)

// DefaultDatabaseURL is the demo's database: syncd_demo on the local
// PostgreSQL, created when missing.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/syncd_demo?sslmode=disable"

// DefaultSchema is the schema the demo drops and recreates. It is not
// syncd's production default, so pointing the demo at a real database
// cannot drop a real syncd schema.
const DefaultSchema = "syncd_demo"

// Config returns the demo's configuration: the defaults, with databaseURL
// (default DefaultDatabaseURL) and schema (default DefaultSchema), and the
// professional tier.
func Config(databaseURL, schema string) *config.Config {
	cfg := config.Default()
	if databaseURL == "" {
		databaseURL = DefaultDatabaseURL
	}
	if schema == "" {
		schema = DefaultSchema
	}
	cfg.Database.URL, cfg.Database.Schema = databaseURL, schema
	cfg.HubSpot.Tier = "professional"
	return &cfg
}

// Wiring builds what the demo runs on, the way `syncd run` builds it: the
// CLI's factory over Config, with HubSpot always the built-in emulator
// (cli.Factory.ForEmulator). It is an interface only because the CLI
// imports this package.
type Wiring interface {
	Config() (*config.Config, error)
	Logger() (*logrus.Logger, error)
	Store(ctx context.Context) (*store.Store, error)
	// Engine builds the engine over the store and the emulator, started
	// and set up on first use.
	Engine(ctx context.Context) (*engine.Engine, error)
	// BuiltinEmulator returns the emulator's URL and what its setup
	// created, once Engine has started it.
	BuiltinEmulator() (url string, created setup.Result, ok bool)
}

// Options configures a demo run.
type Options struct {
	// Out receives the report; default: discard.
	Out io.Writer
}

// Report is what the demo did.
type Report struct {
	EmulatorURL string
	Database    string // the URL, password masked
	Schema      string
	Setup       setup.Result
	Rows        int // outbox rows written
	Summary     engine.Summary
	Mapped      []store.IDMapLink
	MappedTotal map[string]int // id_map rows per object type
	Failed      []FailedRow
	// Examples show how a few ERP values reached HubSpot, normalised.
	Examples []Example
}

// Example is one value as the ERP wrote it and as syncd sent it to HubSpot.
type Example struct {
	ERPID, Field, Sent, Got string
}

// examples are the values the report shows before and after normalisation:
// a glued honorific, a spaced คุณ, Thai digits, a Thai extension, a
// redundant trunk 0, a Thai branch name, a grouped tax ID, a Buddhist-era
// date, and ERP statuses mapped to pipeline stages.
var examples = []struct{ objectType, erpID, field, property string }{
	{"contact", "C-2001", "name", "firstname"},
	{"contact", "C-2003", "name", "firstname"},
	{"contact", "C-2006", "phone", "phone"},
	{"contact", "C-2013", "phone", "phone"},
	{"contact", "C-2015", "phone", "phone"},
	{"company", "CO-1002", "branch", "syncd_branch"},
	{"company", "CO-1005", "tax_id", "syncd_tax_id"},
	{"deal", "SO-69002", "close_date", "closedate"},
	{"deal", "SO-69002", "status", "dealstage"},
	{"ticket", "TK-5002", "status", "hs_pipeline_stage"},
}

// FailedRow is an outbox row left failed or dead.
type FailedRow struct {
	ID        int64
	Entity    string
	ERPID     string
	State     string
	LastError string
}

// Run runs the demo on w's database and schema and writes the report to
// opts.Out. Rows failing on purpose are part of the demo, not an error.
func Run(ctx context.Context, w Wiring, opts Options) (*Report, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	cfg, err := w.Config()
	if err != nil {
		return nil, err
	}
	log, err := w.Logger()
	if err != nil {
		return nil, err
	}
	url, schema := cfg.Database.URL, cfg.Database.Schema
	if err := store.ValidSchema(schema); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	rep := &Report{Database: config.RedactURL(url), Schema: schema}

	// 1. The database and a fresh schema.
	if err := store.EnsureDatabase(ctx, url); err != nil {
		if errors.Is(err, store.ErrUnreachable) {
			return nil, fmt.Errorf("demo: is PostgreSQL running and reachable? (point the demo elsewhere with --database-url or %s) %w",
				config.EnvDatabaseURL, err)
		}
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := store.DropSchema(ctx, url, schema); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	mig, err := store.Migrate(ctx, url, schema, "up")
	if err != nil {
		return nil, err
	}
	log.WithFields(logrus.Fields{"schema": schema, "version": mig.Version}).Info("schema recreated and migrated")

	// 2. The emulator, on a loopback port so that the client speaks real
	// HTTP, set up with the ERP-ID and tax-ID properties; and the engine.
	eng, err := w.Engine(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var ok bool
	if rep.EmulatorURL, rep.Setup, ok = w.BuiltinEmulator(); !ok {
		return nil, errors.New("demo: the wiring targets a real HubSpot, not the built-in emulator")
	}
	log.WithField("created", len(rep.Setup.Created)).Info("HubSpot properties set up")

	// 3. The outbox, as the ERP would fill it.
	st, err := w.Store(ctx)
	if err != nil {
		return nil, err
	}
	rows := Rows()
	ins := make([]store.NewOutboxRow, len(rows))
	for i, r := range rows {
		ins[i] = store.NewOutboxRow{Entity: r.Entity, ERPID: r.ERPID, Op: r.Op, Payload: r.Payload}
	}
	if err := st.InsertOutbox(ctx, ins); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	rep.Rows = len(rows)
	log.WithField("rows", len(rows)).Info("outbox filled with sample Thai companies, customers, products, orders and tickets")

	// 4. One drain of the engine.
	if rep.Summary, err = eng.Drain(ctx); err != nil {
		return nil, fmt.Errorf("demo: sync: %w", err)
	}

	// 5. What landed where.
	if err := rep.load(ctx, st); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return rep, rep.Write(opts.Out)
}

// load reads the id_map and the failed rows.
func (r *Report) load(ctx context.Context, st *store.Store) error {
	var err error
	if r.Mapped, err = st.IDMapLinks(ctx, 2); err != nil {
		return err
	}
	if r.MappedTotal, err = st.IDMapCounts(ctx); err != nil {
		return err
	}
	sent := map[string]map[string]any{}
	for _, row := range Rows() {
		sent[row.ERPID] = row.Payload
	}
	for _, ex := range examples {
		ms, err := st.MappingsOf(ctx, ex.objectType, []string{ex.erpID})
		if err != nil {
			return err
		}
		var props map[string]string
		if len(ms) > 0 {
			props = ms[0].Properties
		}
		got := fmt.Sprintf("%s %q", ex.property, props[ex.property])
		if ex.property == "firstname" {
			got = fmt.Sprintf("firstname %q, lastname %q", props["firstname"], props["lastname"])
		}
		r.Examples = append(r.Examples, Example{ERPID: ex.erpID, Field: ex.field, Sent: fmt.Sprint(sent[ex.erpID][ex.field]), Got: got})
	}

	s, err := st.Status(ctx, store.StatusQuery{States: []string{store.StateFailed, store.StateDead}, Limit: len(Rows())})
	if err != nil {
		return err
	}
	// Status lists the newest first; the report lists them as written.
	for _, row := range slices.Backward(s.Rows) {
		r.Failed = append(r.Failed, FailedRow{ID: row.ID, Entity: row.Entity, ERPID: row.ERPID, State: row.State, LastError: row.LastError})
	}
	return nil
}

// Write prints the report for a person reading a terminal.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	s := r.Summary
	fmt.Fprintf(&b, "syncd demo: %d outbox rows of made-up Thai companies, customers, orders and tickets,\nsynced to the ", r.Rows)
	fmt.Fprintf(&b, "built-in HubSpot emulator at %s (nothing was sent to HubSpot).\n", r.EmulatorURL)
	fmt.Fprintf(&b, "Database %s, schema %s.\n\n", r.Database, r.Schema)

	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "setup\t%d property groups and properties created (ERP ID, tax ID, branch)\n", len(r.Setup.Created))
	for _, l := range []struct {
		k string
		v any
	}{
		{"rows", s.Rows}, {"created", s.Created}, {"updated", s.Updated}, {"unchanged", s.Unchanged},
		{"failed", s.Failed}, {"dead", s.Dead}, {"superseded", s.Superseded},
		{"hubspot calls", s.Calls},
	} {
		fmt.Fprintf(tw, "%s\t%v\n", l.k, l.v)
	}
	_ = tw.Flush()

	fmt.Fprintf(&b, "\nID map (%s), first rows:\n\n", totals(r.MappedTotal))
	tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  object_type\terp_id\thubspot_id\thubspot_url")
	for _, m := range r.Mapped {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.ObjectType, m.ERPID, m.HubSpotID, m.URL)
	}
	_ = tw.Flush()

	if len(r.Examples) > 0 {
		fmt.Fprintf(&b, "\nNormalised on the way (ERP value → HubSpot property):\n\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, ex := range r.Examples {
			fmt.Fprintf(tw, "  %s\t%s %q\t→ %s\n", ex.ERPID, ex.Field, ex.Sent, ex.Got)
		}
		_ = tw.Flush()
	}

	if len(r.Failed) > 0 {
		fmt.Fprintf(&b, "\n%d row(s) failed, as intended: the sample data holds a company whose tax ID has a\n", len(r.Failed))
		fmt.Fprintf(&b, "wrong check digit and a customer whose phone number was masked by a marketplace.\n")
		fmt.Fprintf(&b, "syncd keeps the reason on the row (outbox.last_error), retries it later, and goes on\n")
		fmt.Fprintf(&b, "with the others. The demo still exits 0: these failures are part of it.\n\n")
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "  [%s] %s\n", f.State, indent(f.LastError, "    "))
		}
	}
	fmt.Fprintf(&b, "\nLook around with psql:\n\n")
	fmt.Fprintf(&b, "  SELECT * FROM %s.id_map_links;\n", r.Schema)
	fmt.Fprintf(&b, "  SELECT id, entity, erp_id, state, last_error FROM %s.outbox ORDER BY id;\n", r.Schema)
	_, err := io.WriteString(w, b.String())
	return err
}

func totals(m map[string]int) string {
	var parts []string
	for _, t := range []string{"company", "contact", "product", "deal", "line_item", "ticket"} {
		if m[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[t], plural(t, m[t])))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

func plural(t string, n int) string {
	if n == 1 {
		return t
	}
	if t == "company" {
		return "companies"
	}
	return t + "s"
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix)
}
