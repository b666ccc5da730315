// Package backfill brings an ERP's existing records into the outbox once,
// before syncd keeps them in step: from the rows of an SQL query or from a
// CSV file (Windows-874, UTF-8 with or without a byte-order mark, or
// UTF-16 from Excel; comma, semicolon or tab), through a mapping of
// columns to payload fields.
//
// Run reads a Source, turns each record into an outbox payload, checks it
// the way the engine will (outbox.Decode), and hands good rows in chunks to
// a Writer (store.Backfill: PostgreSQL COPY, one transaction per chunk).
// A bad line (a wrong column count, bytes the encoding cannot decode, a
// stray quote, a missing or repeated erp_id, a payload Decode refuses) is
// reported with its line number and reason and left out; the others go on.
// Values are not normalised here: the outbox keeps them as the ERP wrote
// them, and the engine normalises them (Thai digits, Excel's ="0812…"
// wrappers, Buddhist-era dates) when it syncs the rows, as for any row.
//
// Writing is idempotent: the store skips a row whose entity, erp_id and
// payload the outbox already holds, so an import interrupted (or finished)
// and run again leaves one row per key. docs/backfill.md is the user's
// guide.
package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// errEOF ends a source.
var errEOF = io.EOF

// Source is where an import's records come from.
type Source interface {
	// Header returns the column names.
	Header() []string
	// Next returns the next record or io.EOF. A record the source could not
	// read has Bad set; any other error ends the import.
	Next() (Record, error)
	// Progress returns how far the source is: bytes of a file, rows of a
	// query; total is -1 when unknown.
	Progress() (done, total int64)
}

// Record is one line of a file or row of a query.
type Record struct {
	// Line is the file's line number where the record starts (the header
	// is line 1), or the query's row number.
	Line int64
	// Values are the record's values by column: strings from a file; JSON
	// values (string, json.Number, bool, nil, []any, map[string]any) from a
	// query.
	Values []any
	// Bad is set when the source could not read the record.
	Bad *BadLine
}

// Kinds of bad line.
const (
	KindSyntax      = "csv_syntax"       // a stray or unclosed quote
	KindColumns     = "column_count"     // more or fewer cells than the header
	KindUndecodable = "undecodable"      // bytes that are not text in the file's encoding
	KindMissingKey  = "missing_erp_id"   // no ERP key
	KindDuplicate   = "duplicate_erp_id" // the key of an earlier line
	KindInvalid     = "invalid"          // a payload the engine would refuse: unknown field, bad value
)

// BadLine is a record left out of the import, and why.
type BadLine struct {
	Line   int64  `json:"line"`
	ERPID  string `json:"erp_id,omitempty"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Writer receives the import's good rows in chunks; *store.Backfill is
// one.
type Writer interface {
	Write(ctx context.Context, rows []store.BackfillRow) (store.BackfillResult, error)
	Commit(ctx context.Context) error
}

var _ Writer = (*store.Backfill)(nil)

// DefaultChunkSize is the number of rows per COPY and transaction.
const DefaultChunkSize = 2000

// Options configure Run.
type Options struct {
	Entity  outbox.Entity
	Mapping Mapping
	// Decode are the options the engine decodes payloads with
	// (outbox.OptionsFromConfig).
	Decode outbox.Options
	// Strict stops writing at the first bad line; Run then does not
	// Commit, and the caller closes the Writer, discarding what it wrote
	// (store.BackfillAtomic). Every line is still checked and reported.
	Strict bool
	// ChunkSize is the number of rows per Write; DefaultChunkSize when 0.
	ChunkSize int
	// OnChunk, when set, is called after every chunk is written, and once
	// at the end.
	OnChunk func(Progress)
}

// Progress is how far an import is.
type Progress struct {
	Records  int // records read after the header
	Inserted int
	Present  int
	Bad      int
	// Done and Total are the source's Progress.
	Done, Total int64
}

// Summary is what an import did.
type Summary struct {
	Columns map[string]string // column → field, as mapped
	// Records is the number of records read after the header.
	Records int
	// Valid is the number of good records; Inserted + Present of them
	// reached the writer.
	Valid int
	// Inserted is the number of outbox rows written (in a dry run, that
	// would be written).
	Inserted int
	// Present is the number of good rows skipped because the outbox holds
	// the same entity, erp_id and payload already.
	Present int
	// Bad is the number of bad lines, BadByKind the same by kind, and
	// BadLines each of them in line order.
	Bad       int
	BadByKind map[string]int
	BadLines  []BadLine
	// Written is false when Strict found a bad line: the writer's rows
	// are not committed and Inserted and Present are 0.
	Written  bool
	Duration time.Duration
}

// chunk is a batch of good rows with the producer's counts at its end.
type chunk struct {
	rows      []store.BackfillRow
	records   int
	bad       int
	done, tot int64
}

// Run imports src through w. It returns the summary so far with any error
// that stopped it (the source failing, the database, ctx cancelled):
// chunks written before that stay written. A *MappingError means the
// mapping does not fit the source, and nothing was read.
func Run(ctx context.Context, src Source, w Writer, o Options) (*Summary, error) {
	start := time.Now()
	p, err := compile(o.Entity, o.Mapping, src.Header())
	if err != nil {
		return nil, err
	}
	size := o.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	sum := &Summary{Columns: p.columns, BadByKind: map[string]int{}, Written: true}
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan chunk, 1)
	g.Go(func() error {
		defer close(chunks)
		return produce(gctx, src, p, o, size, sum, chunks)
	})
	var prog Progress
	g.Go(func() error {
		for c := range chunks {
			res, err := w.Write(gctx, c.rows)
			if err != nil {
				return err
			}
			prog.Inserted += res.Inserted
			prog.Present += res.Present
			prog.Records, prog.Bad, prog.Done, prog.Total = c.records, c.bad, c.done, c.tot
			if o.OnChunk != nil {
				o.OnChunk(prog)
			}
		}
		return nil
	})
	err = g.Wait()
	sum.Inserted, sum.Present = prog.Inserted, prog.Present
	sum.Duration = time.Since(start)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return sum, err
	}
	if o.Strict && sum.Bad > 0 {
		sum.Written, sum.Inserted, sum.Present = false, 0, 0
	} else if err := w.Commit(ctx); err != nil {
		return sum, err
	}
	if o.OnChunk != nil {
		done, total := src.Progress()
		o.OnChunk(Progress{Records: sum.Records, Inserted: sum.Inserted, Present: sum.Present, Bad: sum.Bad, Done: done, Total: total})
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

// produce reads, maps and checks every record, appending bad lines to sum
// and sending good rows in chunks.
func produce(ctx context.Context, src Source, p *plan, o Options, size int, sum *Summary, out chan<- chunk) error {
	seen := map[string]int64{}
	rows := make([]store.BackfillRow, 0, size)
	writing := true
	send := func() error {
		done, total := src.Progress()
		c := chunk{rows: rows, records: sum.Records, bad: sum.Bad, done: done, tot: total}
		rows = make([]store.BackfillRow, 0, size)
		select {
		case out <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	report := func(b BadLine) {
		sum.Bad++
		sum.BadByKind[b.Kind]++
		sum.BadLines = append(sum.BadLines, b)
		if o.Strict {
			writing = false
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		sum.Records++
		if rec.Bad != nil {
			report(*rec.Bad)
			continue
		}
		key, payload, bad := p.build(rec.Line, rec.Values)
		if bad != nil {
			report(*bad)
			continue
		}
		if first, dup := seen[key]; dup {
			report(BadLine{Line: rec.Line, ERPID: key, Kind: KindDuplicate,
				Reason: fmt.Sprintf("erp_id %q is also the key of line %d; an import holds each record once, on its first line", key, first)})
			continue
		}
		seen[key] = rec.Line
		if _, err := outbox.Decode(string(o.Entity), key, string(outbox.OpUpsert), payload, o.Decode); err != nil {
			report(BadLine{Line: rec.Line, ERPID: key, Kind: KindInvalid, Reason: err.Error()})
			continue
		}
		sum.Valid++
		if !writing {
			continue
		}
		rows = append(rows, store.BackfillRow{Line: rec.Line, ERPID: key, Payload: payload})
		if len(rows) == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if writing && len(rows) > 0 {
		return send()
	}
	return nil
}
