package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/backfill"
	"github.com/syncd/syncd/internal/normalize"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// EnvSourceURL names the environment variable read for --source-url, so
// that a password need not be on the command line.
const EnvSourceURL = "SYNCD_SOURCE_URL"

type backfillOptions struct {
	entity         string
	csv            string
	sql            string
	sourceURL      string
	mapping        string
	maps           []string
	sets           []string
	encoding       string
	delimiter      string
	empty          string
	ignoreUnmapped bool
	strict         bool
	dryRun         bool
	chunkSize      int
	json           bool
}

func newCmdBackfill(f *Factory) *cobra.Command {
	var o backfillOptions
	cmd := &cobra.Command{
		Use:   "backfill",
		Short: "Bring existing ERP records into the outbox from SQL or a CSV file",
		Long: `Write one outbox upsert row per existing ERP record, so that the next
'syncd run' brings them to HubSpot: the rows of an SQL query (--from-sql),
or the lines of a CSV file (--csv). Columns map to payload fields by name
(email, first_name, …, erp_id, properties.<hubspot property>), or through
--map COLUMN=FIELD and a mapping file (--mapping, TOML).

A CSV file's encoding (UTF-8 with or without a byte-order mark,
Windows-874/TIS-620, UTF-16 from Excel's "Unicode Text") and delimiter
(comma, semicolon, tab) are detected unless --encoding or --delimiter
names them. The query runs in a read-only transaction on --source-url (or
` + EnvSourceURL + `), else on database.url; a json/jsonb column named (or
mapped to) items gives an order its items, e.g. from json_agg.

Each bad line (wrong column count, undecodable bytes, a stray quote, a
missing or repeated erp_id, a value syncd would refuse) is reported on
stdout with its line number and reason and left out; the good lines are
written. With --strict any bad line fails the import and nothing is
written. --dry-run checks everything and counts, writing nothing.

Rows go in by COPY, one transaction per chunk. A row whose entity, erp_id
and payload the outbox already holds (in any state) is skipped, so an
interrupted import is resumed by running it again.

Exit status: 0 all lines imported, 3 some bad lines were left out, 1 an
error (with --strict, bad lines), 2 a usage error.`,
		Example: `  syncd backfill --entity company --csv companies.csv --dry-run
  syncd backfill --entity customer --csv ลูกค้า.csv --mapping customers.toml
  syncd backfill --entity customer --csv export.txt --encoding utf-16le --delimiter tab --strict
  syncd backfill --entity customer --from-sql "SELECT code AS erp_id, email, phone FROM erp.customers"
  syncd backfill --entity order --from-sql @orders.sql --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return backfillRun(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.entity, "entity", "", "customer, company, product, order or ticket (required)")
	fl.StringVar(&o.csv, "csv", "", "read the CSV `file` (- for standard input)")
	fl.StringVar(&o.sql, "from-sql", "", "read the rows of this SELECT `query` (@file reads it from a file)")
	fl.StringVar(&o.sourceURL, "source-url", "", "PostgreSQL `URL` of the ERP database for --from-sql (default $"+EnvSourceURL+", else database.url)")
	fl.StringVar(&o.mapping, "mapping", "", "mapping `file` (TOML): [columns], [constants], encoding, delimiter, empty, ignore_unmapped")
	fl.StringArrayVar(&o.maps, "map", nil, "map a column to a field: `COLUMN=FIELD` (FIELD may be properties.NAME, or empty to ignore the column); repeatable")
	fl.StringArrayVar(&o.sets, "set", nil, "give every row a constant: `FIELD=VALUE`, e.g. properties.lifecyclestage=customer; repeatable")
	fl.StringVar(&o.encoding, "encoding", "", "the CSV file's encoding: utf-8, utf-16le, utf-16be, windows-874 (default: detected)")
	fl.StringVar(&o.delimiter, "delimiter", "", `the CSV delimiter: ",", ";", "tab" or "|" (default: detected)`)
	fl.StringVar(&o.empty, "empty", "", `what an empty cell or NULL does: "omit" leaves the field out, HubSpot keeps its value; "clear" clears it (default omit)`)
	fl.BoolVar(&o.ignoreUnmapped, "ignore-unmapped", false, "ignore columns that map to no field instead of refusing the source")
	fl.BoolVar(&o.strict, "strict", false, "fail the whole import, writing nothing, when any line is bad")
	fl.BoolVar(&o.dryRun, "dry-run", false, "check and count every line; write nothing")
	fl.IntVar(&o.chunkSize, "chunk-size", backfill.DefaultChunkSize, "rows per COPY and transaction")
	fl.BoolVar(&o.json, "json", false, "print the summary as JSON")
	return cmd
}

// mappingFromFlags reads the mapping file and applies the flags over it.
func (o backfillOptions) mappingFromFlags() (backfill.Mapping, error) {
	var m backfill.Mapping
	if o.mapping != "" {
		var err error
		if m, err = backfill.LoadMapping(o.mapping); err != nil {
			return m, &UsageError{Err: err}
		}
	}
	if m.Columns == nil {
		m.Columns = map[string]string{}
	}
	if m.Constants == nil {
		m.Constants = map[string]any{}
	}
	for _, kv := range o.maps {
		i := strings.LastIndex(kv, "=")
		if i <= 0 {
			return m, usageErrorf("--map %q: write COLUMN=FIELD", kv)
		}
		m.Columns[kv[:i]] = kv[i+1:]
	}
	for _, kv := range o.sets {
		field, value, ok := strings.Cut(kv, "=")
		if !ok || field == "" {
			return m, usageErrorf("--set %q: write FIELD=VALUE", kv)
		}
		m.Constants[field] = value
	}
	if o.encoding != "" {
		m.Encoding = o.encoding
	}
	if o.delimiter != "" {
		m.Delimiter = o.delimiter
	}
	if o.empty != "" {
		m.Empty = o.empty
	}
	m.IgnoreUnmapped = m.IgnoreUnmapped || o.ignoreUnmapped
	if m.Delimiter != "" {
		if _, err := backfill.ParseDelimiter(m.Delimiter); err != nil {
			return m, &UsageError{Err: err}
		}
	}
	if m.Encoding != "" {
		if _, err := normalize.ParseEncoding(m.Encoding); err != nil {
			return m, &UsageError{Err: err}
		}
	}
	return m, nil
}

func (o backfillOptions) check() error {
	switch {
	case o.entity == "":
		return usageErrorf("backfill needs --entity (customer, company, product, order or ticket)")
	case !outbox.Entity(o.entity).Valid():
		return usageErrorf("--entity %q is not customer, company, product, order or ticket", o.entity)
	case (o.csv == "") == (o.sql == ""):
		return usageErrorf("backfill needs one source: --csv FILE or --from-sql QUERY")
	case o.sourceURL != "" && o.sql == "":
		return usageErrorf("--source-url is for --from-sql")
	case o.sql != "" && (o.encoding != "" || o.delimiter != ""):
		return usageErrorf("--encoding and --delimiter are for --csv")
	case o.chunkSize < 1 || o.chunkSize > 100000:
		return usageErrorf("--chunk-size %d: use 1 to 100000", o.chunkSize)
	case o.strict && o.dryRun:
		return usageErrorf("--strict and --dry-run: a dry run writes nothing already; use --dry-run alone")
	}
	return nil
}

// source describes where the rows came from, for the summary.
type backfillSource struct {
	Kind      string `json:"kind"` // csv or sql
	File      string `json:"file,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
}

func backfillRun(ctx context.Context, f *Factory, o backfillOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	m, err := o.mappingFromFlags()
	if err != nil {
		return err
	}
	if o.csv == "" && (m.Encoding != "" || m.Delimiter != "") {
		return usageErrorf("the mapping's encoding and delimiter are for --csv")
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	var src backfill.Source
	var desc backfillSource
	if o.csv != "" {
		cs, err := backfill.OpenCSV(o.csv, f.IO.In, backfill.CSVOptions{Encoding: m.Encoding, Delimiter: m.Delimiter})
		if err != nil {
			return err
		}
		defer cs.Close()
		enc, delim := cs.Describe()
		src, desc = cs, backfillSource{Kind: "csv", File: o.csv, Encoding: enc, Delimiter: delim}
	} else {
		query, err := readQuery(o.sql)
		if err != nil {
			return err
		}
		conn, err := f.sourceConn(ctx, o.sourceURL)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		ss, err := backfill.OpenSQL(ctx, conn, query)
		if err != nil {
			return err
		}
		defer ss.Close()
		src, desc = ss, backfillSource{Kind: "sql"}
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	mode := store.BackfillChunked
	switch {
	case o.dryRun:
		mode = store.BackfillDryRun
	case o.strict:
		mode = store.BackfillAtomic
	}
	w, err := st.BeginBackfill(ctx, o.entity, mode)
	if err != nil {
		return needMigrated(f, err)
	}
	defer w.Close()
	_, total := src.Progress()
	prog := newBackfillProgress(f, total)
	sum, err := backfill.Run(ctx, src, w, backfill.Options{
		Entity: outbox.Entity(o.entity), Mapping: m, Decode: outbox.OptionsFromConfig(cfg.Sync),
		Strict: o.strict, ChunkSize: o.chunkSize, OnChunk: prog.update,
	})
	prog.finish()
	var mapErr *backfill.MappingError
	if errors.As(err, &mapErr) {
		return &UsageError{Err: err}
	}
	if sum == nil {
		return err
	}
	if werr := writeBackfill(f.IO.Out, toBackfillJSON(o, desc, sum), o.json); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		if sum.Inserted > 0 {
			fmt.Fprintf(f.IO.Err, "The %d row(s) written before the error stay; run the same command again to go on (rows already present are skipped).\n", sum.Inserted)
		}
		return err
	}
	switch {
	case sum.Bad > 0 && o.strict:
		return &BadLinesError{Bad: sum.Bad, Strict: true}
	case sum.Bad > 0:
		return &BadLinesError{Bad: sum.Bad, DryRun: o.dryRun}
	}
	return nil
}

// readQuery returns the query, read from a file when it is @file.
func readQuery(q string) (string, error) {
	path, ok := strings.CutPrefix(q, "@")
	if !ok {
		return q, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("--from-sql @%s: %v", path, err)
	}
	return string(b), nil
}

// sourceConn connects to the ERP database the query reads: --source-url,
// else $SYNCD_SOURCE_URL, else database.url. The connection keeps the
// URL's own search_path, not syncd's schema, so that the query sees the
// ERP's tables as the ERP does.
func (f *Factory) sourceConn(ctx context.Context, url string) (*pgx.Conn, error) {
	what := "--source-url"
	if url == "" {
		url, _ = f.LookupEnv(EnvSourceURL)
		what = EnvSourceURL
	}
	if url == "" {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		if err := cfg.RequireDatabase(); err != nil {
			return nil, err
		}
		url, what = cfg.Database.URL, "database.url"
	}
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, usageErrorf("%s: cannot parse the database URL", what) // the URL may hold a password
		}
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("source database (%s): %w", what, err)
	}
	return conn, nil
}

// backfillJSON is the JSON form of `syncd backfill`; its keys are a
// contract for scripts (docs/backfill.md).
type backfillJSON struct {
	Entity        string             `json:"entity"`
	Source        backfillSource     `json:"source"`
	DryRun        bool               `json:"dry_run"`
	Strict        bool               `json:"strict"`
	Written       bool               `json:"written"`
	Records       int                `json:"records"`
	Valid         int                `json:"valid"`
	Inserted      int                `json:"inserted"`
	Present       int                `json:"already_present"`
	Bad           int                `json:"bad"`
	BadByKind     map[string]int     `json:"bad_by_kind"`
	BadLines      []backfill.BadLine `json:"bad_lines"`
	Columns       map[string]string  `json:"columns"`
	Seconds       float64            `json:"seconds"`
	RowsPerSecond float64            `json:"rows_per_second"`
}

func toBackfillJSON(o backfillOptions, desc backfillSource, s *backfill.Summary) backfillJSON {
	j := backfillJSON{
		Entity: o.entity, Source: desc, DryRun: o.dryRun, Strict: o.strict, Written: s.Written && !o.dryRun,
		Records: s.Records, Valid: s.Valid, Inserted: s.Inserted, Present: s.Present,
		Bad: s.Bad, BadByKind: s.BadByKind, BadLines: s.BadLines, Columns: s.Columns,
		Seconds: s.Duration.Seconds(),
	}
	if j.BadLines == nil {
		j.BadLines = []backfill.BadLine{}
	}
	if j.BadByKind == nil {
		j.BadByKind = map[string]int{}
	}
	if j.Columns == nil {
		j.Columns = map[string]string{}
	}
	if s.Duration > 0 {
		j.RowsPerSecond = float64(s.Records) / s.Duration.Seconds()
	}
	return j
}

// writeBackfill prints the bad lines, then the summary, or the JSON.
func writeBackfill(w io.Writer, j backfillJSON, asJSON bool) error {
	if asJSON {
		return writeJSON(w, j)
	}
	unit := "line"
	if j.Source.Kind == "sql" {
		unit = "row"
	}
	for _, b := range j.BadLines {
		if _, err := fmt.Fprintf(w, "%s %d: %s: %s\n", unit, b.Line, b.Kind, oneLine(b.Reason)); err != nil {
			return err
		}
	}
	if len(j.BadLines) > 0 {
		fmt.Fprintln(w)
	}
	src := "query"
	if j.Source.Kind == "csv" {
		src = fmt.Sprintf("%s (%s, delimiter %s)", j.Source.File, j.Source.Encoding, j.Source.Delimiter)
	}
	inserted, present := "inserted", "already present"
	switch {
	case j.DryRun:
		inserted, present = "would insert", "already present (would skip)"
	case !j.Written:
		inserted = "inserted (none: --strict found bad lines)"
	}
	kinds := slices.Sorted(maps.Keys(j.BadByKind))
	bad := fmt.Sprint(j.Bad)
	if len(kinds) > 0 {
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, j.BadByKind[k])
		}
		bad += " (" + strings.Join(parts, ", ") + ")"
	}
	tw := newTable(w)
	for _, l := range [][2]string{
		{"entity", j.Entity}, {"source", src},
		{"records", fmt.Sprint(j.Records)}, {"valid", fmt.Sprint(j.Valid)},
		{inserted, fmt.Sprint(j.Inserted)}, {present, fmt.Sprint(j.Present)},
		{"bad", bad},
		{"took", (time.Duration(j.Seconds * float64(time.Second))).Round(time.Millisecond).String()},
		{"rows/s", fmt.Sprintf("%.0f", j.RowsPerSecond)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", l[0], l[1])
	}
	return tw.Flush()
}

// backfillProgress shows an import's progress on stderr: a bar on a
// terminal (rows, rate, ETA from the file's bytes), otherwise a plain line
// every few seconds.
type backfillProgress struct {
	f     *Factory
	start time.Time
	bar   *progressbar.ProgressBar
	last  time.Time
	plain bool
}

const plainProgressEvery = 5 * time.Second

// newBackfillProgress shows a bar over total bytes, or over rows when
// total is -1 (a query).
func newBackfillProgress(f *Factory, total int64) *backfillProgress {
	p := &backfillProgress{f: f, start: f.Now()}
	p.last = p.start
	if !isTerminal(f.IO.Err) {
		p.plain = true
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(f.IO.Err),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetDescription("backfill"),
		progressbar.OptionFullWidth(),
	}
	if total > 0 {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true))
	} else {
		total = -1 // a query: rows and their rate, no ETA
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	return p
}

func (p *backfillProgress) update(pr backfill.Progress) {
	now := p.f.Now()
	rate := 0.0
	if s := now.Sub(p.start).Seconds(); s > 0 {
		rate = float64(pr.Records) / s
	}
	line := fmt.Sprintf("%d rows, %.0f rows/s, %d inserted, %d already present, %d bad", pr.Records, rate, pr.Inserted, pr.Present, pr.Bad)
	if p.bar == nil {
		if now.Sub(p.last) >= plainProgressEvery {
			p.last = now
			fmt.Fprintln(p.f.IO.Err, "backfill: "+line)
		}
		return
	}
	if pr.Total > 0 {
		p.bar.Describe(line)
		_ = p.bar.Set64(pr.Done)
		return
	}
	p.bar.Describe(line)
	_ = p.bar.Set64(int64(pr.Records))
}

func (p *backfillProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.f.IO.Err)
	}
}
