// Package demo runs syncd end to end on sample data: the built-in HubSpot
// emulator, its own PostgreSQL database and schema, migrations, setup, an
// outbox filled with made-up Thai companies, customers, products, orders
// and tickets (two rows bad on purpose), one drain of the engine, and a
// report of what happened.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
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

// emulatorToken is the token the demo's client sends to its own emulator.
const emulatorToken = "syncd-demo"

// Options configures a demo run.
type Options struct {
	// DatabaseURL is the demo's database, created when missing; default
	// DefaultDatabaseURL.
	DatabaseURL string
	// Schema is dropped, recreated and migrated; default DefaultSchema.
	Schema string
	// Out receives the report.
	Out io.Writer
	// Logger receives progress; default: discard.
	Logger *logrus.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Report is what the demo did.
type Report struct {
	EmulatorURL string
	Database    string // the URL, password masked
	Schema      string
	Setup       setup.Result
	Rows        int // outbox rows written
	Summary     engine.Summary
	Mapped      []Mapping
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
var examples = []struct{ erpID, field, property string }{
	{"C-2001", "name", "firstname"},
	{"C-2003", "name", "firstname"},
	{"C-2006", "phone", "phone"},
	{"C-2013", "phone", "phone"},
	{"C-2015", "phone", "phone"},
	{"CO-1002", "branch", "syncd_branch"},
	{"CO-1005", "tax_id", "syncd_tax_id"},
	{"SO-69002", "close_date", "closedate"},
	{"SO-69002", "status", "dealstage"},
	{"TK-5002", "status", "hs_pipeline_stage"},
}

// Mapping is one id_map row.
type Mapping struct {
	ObjectType, ERPID, HubSpotID, URL string
}

// FailedRow is an outbox row left failed or dead.
type FailedRow struct {
	ID        int64
	Entity    string
	ERPID     string
	State     string
	LastError string
}

// Run runs the demo and writes the report to opts.Out. Rows failing on
// purpose are part of the demo, not an error.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = DefaultDatabaseURL
	}
	if opts.Schema == "" {
		opts.Schema = DefaultSchema
	}
	if err := store.ValidSchema(opts.Schema); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = logrus.New()
		log.SetOutput(io.Discard)
	}
	rep := &Report{Database: config.RedactURL(opts.DatabaseURL), Schema: opts.Schema}

	// 1. The emulator, on a loopback port so that the client speaks real HTTP.
	emu := emulator.New(emulator.Options{Tier: "professional", Now: opts.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: start the emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	rep.EmulatorURL = "http://" + ln.Addr().String()
	log.WithField("url", rep.EmulatorURL).Info("HubSpot emulator started; the demo never contacts HubSpot")

	// 2. The database and a fresh schema.
	if err := ensureDatabase(ctx, opts.DatabaseURL); err != nil {
		return nil, err
	}
	if err := recreateSchema(ctx, opts.DatabaseURL, opts.Schema); err != nil {
		return nil, err
	}
	mig, err := store.Migrate(ctx, opts.DatabaseURL, opts.Schema, "up")
	if err != nil {
		return nil, err
	}
	log.WithFields(logrus.Fields{"schema": opts.Schema, "version": mig.Version}).Info("schema recreated and migrated")

	// 3. The client, and setup: the ERP-ID and tax-ID properties.
	cfg := config.Default()
	cfg.Database.URL, cfg.Database.Schema = opts.DatabaseURL, opts.Schema
	cfg.HubSpot.BaseURL = rep.EmulatorURL
	cfg.HubSpot.Tier = "professional"
	cfg.Setup.CreatePipelines = true
	gov, err := governor.New(governor.Options{Tier: cfg.HubSpot.Tier, Logger: log})
	if err != nil {
		return nil, err
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: rep.EmulatorURL, Token: emulatorToken, Governor: gov, Logger: log})
	if err != nil {
		return nil, err
	}
	plan, err := setup.Plan(ctx, hs, cfg)
	if err != nil {
		return nil, fmt.Errorf("demo: setup plan: %w", err)
	}
	if rep.Setup, err = setup.Apply(ctx, hs, plan); err != nil {
		return nil, fmt.Errorf("demo: setup: %w", err)
	}
	log.WithField("created", len(rep.Setup.Created)).Info("HubSpot properties set up")

	// 4. The outbox, as the ERP would fill it.
	pool, err := store.Open(ctx, opts.DatabaseURL, opts.Schema)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	rows := Rows()
	if err := insertRows(ctx, pool, rows); err != nil {
		return nil, err
	}
	rep.Rows = len(rows)
	log.WithField("rows", len(rows)).Info("outbox filled with sample Thai companies, customers, products, orders and tickets")

	// 5. One drain of the engine.
	st := store.New(pool, store.Options{})
	eng, err := engine.New(engine.Deps{Store: st, HubSpot: hs, Logger: log, Now: opts.Now, Owner: "syncd-demo"}, cfg)
	if err != nil {
		return nil, err
	}
	if rep.Summary, err = eng.Drain(ctx); err != nil {
		return nil, fmt.Errorf("demo: sync: %w", err)
	}

	// 6. What landed where.
	if err := rep.load(ctx, pool); err != nil {
		return nil, err
	}
	return rep, rep.Write(opts.Out)
}

// ensureDatabase creates the database named in databaseURL when missing,
// connecting to the server's "postgres" database to do it.
func ensureDatabase(ctx context.Context, databaseURL string) error {
	cc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return errors.New("demo: cannot parse the database URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("demo: is PostgreSQL running and reachable? (point the demo elsewhere with --database-url or %s) connect to %s: %w",
			config.EnvDatabaseURL, config.RedactURL(databaseURL), err)
	}
	admin := cc.Copy()
	admin.Database = "postgres"
	aconn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("demo: connect to database postgres to create %s: %w", cc.Database, err)
	}
	defer aconn.Close(ctx)
	_, err = aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		err = nil
	}
	if err != nil {
		return fmt.Errorf("demo: create database %s: %w", cc.Database, err)
	}
	return nil
}

func recreateSchema(ctx context.Context, databaseURL, schema string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("demo: connect: %w", err)
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+id+" CASCADE"); err != nil {
		return fmt.Errorf("demo: drop schema %s: %w", schema, err)
	}
	return nil // store.Migrate creates it
}

// insertRows writes the rows as an ERP does: one INSERT per row, in one
// transaction with its business change.
func insertRows(ctx context.Context, pool *pgxpool.Pool, rows []Row) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, r := range rows {
			payload, err := json.Marshal(r.Payload)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO outbox (entity, erp_id, op, payload) VALUES ($1, $2, $3, $4)`,
				r.Entity, r.ERPID, r.Op, payload); err != nil {
				return fmt.Errorf("demo: insert outbox row %s %s: %w", r.Entity, r.ERPID, err)
			}
		}
		return nil
	})
}

// load reads the id_map and the failed rows.
func (r *Report) load(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `
SELECT object_type, erp_id, hubspot_id, hubspot_url
FROM (SELECT *, row_number() OVER (PARTITION BY object_type ORDER BY erp_id) AS n FROM id_map_links) m
WHERE n <= 2
ORDER BY object_type, erp_id`)
	if err != nil {
		return fmt.Errorf("demo: read id_map: %w", err)
	}
	if r.Mapped, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Mapping, error) {
		var m Mapping
		return m, row.Scan(&m.ObjectType, &m.ERPID, &m.HubSpotID, &m.URL)
	}); err != nil {
		return fmt.Errorf("demo: read id_map: %w", err)
	}
	r.MappedTotal = map[string]int{}
	rows, err = pool.Query(ctx, `SELECT object_type, count(*) FROM id_map GROUP BY object_type`)
	if err != nil {
		return fmt.Errorf("demo: count id_map: %w", err)
	}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return err
		}
		r.MappedTotal[t] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sent := map[string]map[string]any{}
	for _, row := range Rows() {
		sent[row.ERPID] = row.Payload
	}
	for _, ex := range examples {
		var got string
		err := pool.QueryRow(ctx, `SELECT coalesce(synced_properties->>$2, '') FROM id_map WHERE erp_id = $1`, ex.erpID, ex.property).Scan(&got)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("demo: read id_map: %w", err)
		}
		if ex.property == "firstname" {
			var last string
			_ = pool.QueryRow(ctx, `SELECT coalesce(synced_properties->>'lastname', '') FROM id_map WHERE erp_id = $1`, ex.erpID).Scan(&last)
			got = fmt.Sprintf("firstname %q, lastname %q", got, last)
		} else {
			got = fmt.Sprintf("%s %q", ex.property, got)
		}
		r.Examples = append(r.Examples, Example{ERPID: ex.erpID, Field: ex.field, Sent: fmt.Sprint(sent[ex.erpID][ex.field]), Got: got})
	}

	rows, err = pool.Query(ctx, `
SELECT id, entity, erp_id, state, coalesce(last_error, '')
FROM outbox
WHERE state IN ('failed', 'dead')
ORDER BY id`)
	if err != nil {
		return fmt.Errorf("demo: read failed rows: %w", err)
	}
	r.Failed, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (FailedRow, error) {
		var f FailedRow
		return f, row.Scan(&f.ID, &f.Entity, &f.ERPID, &f.State, &f.LastError)
	})
	return err
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
