package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/store"
)

type statusOptions struct {
	json   bool
	limit  int
	runs   int
	entity string
	states []string
}

func newCmdStatus(f *Factory) *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show outbox counts, the last runs and the rows that failed",
		Long: `Show the outbox at a glance: how many rows are in each state (and how many a
running cycle holds), how long the oldest pending row has waited, the last
sync cycles from the runs table, and the newest failed and dead rows with
their attempts, next attempt time and last_error. Pending rows that wait
for the outbox row of a record they reference are listed with that row,
and done rows with warnings (fields left out under sync.invalid_field =
"skip", repaired values, values HubSpot kept under a [conflicts]
hubspot_wins setting) with their warnings. Once the inbox has polled, its
unconsumed rows and watermark age per object type follow (docs/inbox.md).

--entity narrows the counts and the rows to one entity; --state lists rows
in other states instead (pending, failed, dead, done, superseded; repeat
the flag or separate states with commas). Status reads the database only:
it never contacts HubSpot. It exits 0 whatever the rows' states.

Fix the cause a row's last_error names, then requeue it with 'syncd retry'.`,
		Example: `  syncd status
  syncd status --entity company --limit 50
  syncd status --state pending --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return statusRun(cmd.Context(), f, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the status as JSON")
	cmd.Flags().IntVar(&o.limit, "limit", 20, "list at most `N` rows, newest first")
	cmd.Flags().IntVar(&o.runs, "runs", 5, "list the last `N` runs")
	cmd.Flags().StringVar(&o.entity, "entity", "", "count and list rows of this entity only (customer, company, ...)")
	cmd.Flags().StringSliceVar(&o.states, "state", nil, "list rows in these `states`, comma-separated (default failed,dead)")
	return cmd
}

func statusRun(ctx context.Context, f *Factory, o statusOptions) error {
	if o.limit < 0 || o.runs < 0 {
		return usageErrorf("--limit and --runs take a number of 0 or more")
	}
	for _, s := range o.states {
		if !slices.Contains(store.States, s) {
			return usageErrorf("--state %q is not one of %s", s, strings.Join(store.States, ", "))
		}
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	s, err := st.Status(ctx, store.StatusQuery{Entity: o.entity, States: o.states, Limit: o.limit, Runs: o.runs})
	if err != nil {
		return needMigrated(f, err)
	}
	// A schema migrated before the inbox has none to show.
	in, err := st.InboxBacklogs(ctx)
	if err != nil && !errors.Is(err, store.ErrNotMigrated) {
		return err
	}
	states := o.states
	if len(states) == 0 {
		states = []string{store.StateFailed, store.StateDead}
	}
	if o.json {
		j := toStatusJSON(s, o.entity, states)
		j.Inbox = toInboxJSON(in)
		return writeJSON(f.IO.Out, j)
	}
	if err := writeStatus(f.IO.Out, s, states); err != nil {
		return err
	}
	if err := writeInbox(f.IO.Out, toInboxJSON(in)); err != nil {
		return err
	}
	if s.Counts[store.StateFailed]+s.Counts[store.StateDead] > 0 {
		fmt.Fprintln(f.IO.Err, "Fix what last_error names, then requeue with 'syncd retry --id N' (or --entity, --erp-id, --all-dead).")
	}
	return nil
}

// needMigrated turns a missing outbox table into an error that says what to
// run.
func needMigrated(f *Factory, err error) error {
	if errors.Is(err, store.ErrNotMigrated) {
		schema := store.DefaultSchema
		if cfg, cerr := f.Config(); cerr == nil && cfg.Database.Schema != "" {
			schema = cfg.Database.Schema
		}
		return fmt.Errorf("schema %q has no outbox table: run 'syncd migrate up' first", schema)
	}
	return err
}

// statusJSON is the JSON form of `syncd status`; its keys are a contract
// for scripts (docs/operations.md).
type statusJSON struct {
	Now           time.Time        `json:"now"`
	Entity        *string          `json:"entity"`
	Counts        statusCountsJSON `json:"counts"`
	OldestPending *oldestJSON      `json:"oldest_pending"`
	Runs          []runJSON        `json:"runs"`
	States        []string         `json:"states"`
	Rows          []outboxRowJSON  `json:"rows"`
	// Waiting are the newest pending rows that wait for another row.
	Waiting []outboxRowJSON `json:"waiting"`
	// Warned are the newest done rows with warnings.
	Warned []outboxRowJSON `json:"warned"`
	// Inbox is the inbox's backlog and watermark per object type.
	Inbox []inboxJSON `json:"inbox"`
}

// inboxJSON is one object type of the inbox in `syncd status --json`.
type inboxJSON struct {
	ObjectType       string     `json:"object_type"`
	Unconsumed       int        `json:"unconsumed"`
	OldestUnconsumed *time.Time `json:"oldest_unconsumed"`
	ModifiedUntil    *time.Time `json:"modified_until"`
	CheckedAt        *time.Time `json:"checked_at"`
	// WatermarkAgeSeconds is how long ago CheckedAt was; null before the
	// first complete read.
	WatermarkAgeSeconds *float64 `json:"watermark_age_seconds"`
}

func toInboxJSON(bs []store.InboxBacklog) []inboxJSON {
	out := []inboxJSON{}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	for _, b := range bs {
		j := inboxJSON{ObjectType: string(b.ObjectType), Unconsumed: b.Unconsumed, OldestUnconsumed: utc(b.Oldest),
			ModifiedUntil: utc(b.ModifiedUntil), CheckedAt: utc(b.CheckedAt)}
		if b.CheckedAt != nil {
			age := b.WatermarkAge.Seconds()
			j.WatermarkAgeSeconds = &age
		}
		out = append(out, j)
	}
	return out
}

// writeInbox prints the inbox table when the inbox has run.
func writeInbox(w io.Writer, in []inboxJSON) error {
	if len(in) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return writeTable(w, "INBOX\tUNCONSUMED\tOLDEST UNCONSUMED\tWATERMARK AGE\tCHANGES READ UP TO", func(tw io.Writer) {
		for _, b := range in {
			age := "never read"
			if b.WatermarkAgeSeconds != nil {
				age = time.Duration(*b.WatermarkAgeSeconds * float64(time.Second)).Round(time.Second).String()
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", b.ObjectType, b.Unconsumed, timeOrDash(b.OldestUnconsumed), age, timeOrDash(b.ModifiedUntil))
		}
	})
}

type statusCountsJSON struct {
	Pending    int `json:"pending"`
	InProgress int `json:"in_progress"`
	Failed     int `json:"failed"`
	Dead       int `json:"dead"`
	Done       int `json:"done"`
	Superseded int `json:"superseded"`
	Total      int `json:"total"`
	Waiting    int `json:"waiting"`
	Warned     int `json:"warned"`
}

type oldestJSON struct {
	ID         int64     `json:"id"`
	Entity     string    `json:"entity"`
	ERPID      string    `json:"erp_id"`
	CreatedAt  time.Time `json:"created_at"`
	AgeSeconds float64   `json:"age_seconds"`
}

type runJSON struct {
	ID         int64      `json:"id"`
	Owner      string     `json:"owner"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Seconds    *float64   `json:"seconds"`
	countsJSON
	Error *string `json:"error"`
}

type outboxRowJSON struct {
	ID            int64       `json:"id"`
	Entity        string      `json:"entity"`
	ERPID         string      `json:"erp_id"`
	Op            string      `json:"op"`
	State         string      `json:"state"`
	Attempts      int         `json:"attempts"`
	CreatedAt     time.Time   `json:"created_at"`
	NextAttemptAt *time.Time  `json:"next_attempt_at"`
	ProcessedAt   *time.Time  `json:"processed_at"`
	LastError     *string     `json:"last_error"`
	WaitingFor    *waitedJSON `json:"waiting_for"`
	Warnings      []string    `json:"warnings"`
}

// waitedJSON is the row a waiting row waits for.
type waitedJSON struct {
	ID     int64   `json:"id"`
	Entity *string `json:"entity"` // null when the row no longer exists
	ERPID  *string `json:"erp_id"`
	State  *string `json:"state"`
}

func toStatusJSON(s *store.Status, entity string, states []string) statusJSON {
	c := s.Counts
	out := statusJSON{
		Now: s.Now.UTC(),
		Counts: statusCountsJSON{
			Pending: c[store.StatePending], InProgress: s.InProgress, Failed: c[store.StateFailed],
			Dead: c[store.StateDead], Done: c[store.StateDone], Superseded: c[store.StateSuperseded],
			Waiting: s.Waiting, Warned: s.Warned,
		},
		Runs:    []runJSON{},
		States:  states,
		Rows:    []outboxRowJSON{},
		Waiting: []outboxRowJSON{},
		Warned:  []outboxRowJSON{},
		Inbox:   []inboxJSON{},
	}
	for _, n := range c {
		out.Counts.Total += n
	}
	if entity != "" {
		out.Entity = &entity
	}
	if p := s.OldestPending; p != nil {
		out.OldestPending = &oldestJSON{
			ID: p.ID, Entity: p.Entity, ERPID: p.ERPID, CreatedAt: p.CreatedAt.UTC(),
			AgeSeconds: max(s.Now.Sub(p.CreatedAt), 0).Seconds(),
		}
	}
	for _, r := range s.Runs {
		out.Runs = append(out.Runs, toRunJSON(r))
	}
	for _, r := range s.Rows {
		out.Rows = append(out.Rows, toOutboxRowJSON(r))
	}
	for _, r := range s.WaitingRows {
		out.Waiting = append(out.Waiting, toOutboxRowJSON(r))
	}
	for _, r := range s.WarnedRows {
		out.Warned = append(out.Warned, toOutboxRowJSON(r))
	}
	return out
}

func toRunJSON(r store.RunRecord) runJSON {
	// Counts is what the engine's summary marshalled to; a run that died
	// before finishing has an empty object, read as zeros.
	var sum engine.Summary
	_ = json.Unmarshal(r.Counts, &sum)
	j := runJSON{
		ID: r.ID, Owner: r.Owner, StartedAt: r.StartedAt.UTC(),
		countsJSON: toCountsJSON(sum),
	}
	if r.FinishedAt != nil {
		t := r.FinishedAt.UTC()
		secs := t.Sub(r.StartedAt).Seconds()
		j.FinishedAt, j.Seconds = &t, &secs
	}
	if r.Error != "" {
		j.Error = &r.Error
	}
	return j
}

func toOutboxRowJSON(r store.OutboxRow) outboxRowJSON {
	j := outboxRowJSON{
		ID: r.ID, Entity: r.Entity, ERPID: r.ERPID, Op: r.Op, State: r.State, Attempts: r.Attempts,
		CreatedAt: r.CreatedAt.UTC(),
	}
	// Only open rows are attempted again; for the others the column is
	// a leftover.
	if r.State == store.StatePending || r.State == store.StateFailed {
		t := r.NextAttemptAt.UTC()
		j.NextAttemptAt = &t
	}
	if r.ProcessedAt != nil {
		t := r.ProcessedAt.UTC()
		j.ProcessedAt = &t
	}
	if r.LastError != "" {
		j.LastError = &r.LastError
	}
	if w := r.WaitingFor; w != nil {
		j.WaitingFor = &waitedJSON{ID: w.ID}
		if w.Entity != "" {
			j.WaitingFor.Entity, j.WaitingFor.ERPID, j.WaitingFor.State = &w.Entity, &w.ERPID, &w.State
		}
	}
	j.Warnings = r.Warnings
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	return j
}

// writeStatus prints the status as three tables: counts, runs, rows. It
// is derived from the JSON form so that both say the same.
func writeStatus(w io.Writer, s *store.Status, states []string) error {
	j := toStatusJSON(s, "", states)
	tw := newTable(w)
	fmt.Fprintln(tw, "OUTBOX\tROWS")
	c := j.Counts
	fmt.Fprintf(tw, "pending\t%d\nfailed\t%d\ndead\t%d\ndone\t%d\nsuperseded\t%d\ntotal\t%d\n",
		c.Pending, c.Failed, c.Dead, c.Done, c.Superseded, c.Total)
	fmt.Fprintf(tw, "in progress\t%d (pending or failed rows a cycle holds now)\n", c.InProgress)
	fmt.Fprintf(tw, "waiting\t%d (pending rows waiting for the row of a record they reference)\n", c.Waiting)
	fmt.Fprintf(tw, "warned\t%d (done rows with warnings)\n", c.Warned)
	if p := j.OldestPending; p != nil {
		fmt.Fprintf(tw, "oldest pending\t%s ago: row %d, %s %s\n",
			time.Duration(p.AgeSeconds*float64(time.Second)).Round(time.Second), p.ID, p.Entity, p.ERPID)
	} else {
		fmt.Fprintln(tw, "oldest pending\t-")
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	if len(j.Runs) == 0 {
		fmt.Fprintln(w, "LAST RUNS: none")
	} else {
		err := writeTable(w, "RUN\tSTARTED\tTOOK\tROWS\tCREATED\tUPDATED\tUNCHANGED\tDELETED\tFAILED\tDEAD\tSUPERSEDED\tERROR", func(tw io.Writer) {
			for _, r := range j.Runs {
				took := "running"
				if r.Seconds != nil {
					took = time.Duration(*r.Seconds * float64(time.Second)).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.StartedAt.Format(time.RFC3339), took,
					r.Rows, r.Created, r.Updated, r.Unchanged, r.Deleted, r.Failed, r.Dead, r.Superseded, oneLineOrDash(deref(r.Error)))
			}
		})
		if err != nil {
			return err
		}
	}

	if err := writeWaiting(w, j.Waiting, c.Waiting); err != nil {
		return err
	}
	if err := writeWarned(w, j.Warned, c.Warned); err != nil {
		return err
	}

	fmt.Fprintln(w)
	listed := 0
	for _, st := range states {
		listed += s.Counts[st]
	}
	what := strings.ToUpper(strings.Join(states, ", "))
	if len(j.Rows) == 0 {
		_, err := fmt.Fprintf(w, "ROWS %s: none\n", what)
		return err
	}
	fmt.Fprintf(w, "ROWS %s: newest %d of %d\n", what, len(j.Rows), listed)
	return writeTable(w, "ID\tENTITY\tERP ID\tOP\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR", func(tw io.Writer) {
		for _, r := range j.Rows {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, oneLine(r.Entity), oneLine(r.ERPID), r.Op, r.State,
				r.Attempts, timeOrDash(r.NextAttemptAt), oneLineOrDash(deref(r.LastError)))
		}
	})
}

// writeWaiting lists the waiting rows, when there are any, with the row
// each waits for.
func writeWaiting(w io.Writer, rows []outboxRowJSON, total int) error {
	return writeSection(w, "ROWS WAITING", len(rows), total, "ID\tENTITY\tERP ID\tATTEMPTS\tNEXT ATTEMPT\tWAITS FOR", func(tw io.Writer) {
		for _, r := range rows {
			waits := "-"
			if f := r.WaitingFor; f != nil {
				waits = fmt.Sprintf("row %d", f.ID)
				if f.Entity != nil {
					waits += fmt.Sprintf(" (%s %s, %s)", oneLine(*f.Entity), oneLine(*f.ERPID), *f.State)
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", r.ID, oneLine(r.Entity), oneLine(r.ERPID), r.Attempts, timeOrDash(r.NextAttemptAt), waits)
		}
	})
}

// writeWarned lists the done rows with warnings, when there are any, one
// line per warning.
func writeWarned(w io.Writer, rows []outboxRowJSON, total int) error {
	return writeSection(w, "ROWS DONE WITH WARNINGS", len(rows), total, "ID\tENTITY\tERP ID\tWARNING", func(tw io.Writer) {
		for _, r := range rows {
			for _, warning := range r.Warnings {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, oneLine(r.Entity), oneLine(r.ERPID), oneLine(warning))
			}
		}
	})
}

// writeSection prints, after a blank line, "TITLE: newest SHOWN of TOTAL"
// and the table of the rows shown; nothing when total is 0.
func writeSection(w io.Writer, title string, shown, total int, header string, fill func(tw io.Writer)) error {
	if total == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%s: newest %d of %d\n", title, shown, total)
	return writeTable(w, header, fill)
}

// timeOrDash formats t for a table, "-" when nil.
func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// oneLine keeps a table row on one line whatever an ERP key or an error
// message holds.
// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
