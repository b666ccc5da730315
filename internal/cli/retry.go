package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/store"
)

type retryOptions struct {
	ids     []int64
	entity  string
	erpID   string
	state   string
	allDead bool
	dryRun  bool
	json    bool
}

func newCmdRetry(f *Factory) *cobra.Command {
	var o retryOptions
	cmd := &cobra.Command{
		Use:   "retry",
		Short: "Put failed and dead outbox rows back to pending",
		Long: `Requeue failed and dead outbox rows after fixing what their last_error
names (a setup problem, a stage missing from the config, a record another
row had to send first): the rows go back to pending with attempts 0, to be
synced by the next cycle; a running 'syncd run' is woken at once. last_error
is kept until the next attempt overwrites it, or clears it when the row
syncs.

Selectors combine: a row must match all that are given. At least one of
--id, --entity, --erp-id or --all-dead is required, so that retry never
requeues every failed row by accident. --state narrows to failed or dead
rows (default both).

A row is requeued only while it is the newest row of its (entity, erp_id):
a row a newer one replaces, and a superseded row, stay as they are, so an
old state never overwrites a newer one in HubSpot. Rows a running cycle
holds are left to it. The rows left alone are named on stderr.

A data error comes back unless the data changes: for those, have the ERP
write a corrected row, which supersedes the failed one.`,
		Example: `  syncd retry --id 42 --id 43
  syncd retry --entity order --state failed --dry-run
  syncd retry --entity company --erp-id CO-1031
  syncd retry --all-dead --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return retryRun(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.Int64SliceVar(&o.ids, "id", nil, "requeue the row with this outbox `id` (repeatable, or comma-separated)")
	fl.StringVar(&o.entity, "entity", "", "requeue rows of this entity")
	fl.StringVar(&o.erpID, "erp-id", "", "requeue rows with this ERP key")
	fl.StringVar(&o.state, "state", "", "requeue only failed or only dead rows (default both)")
	fl.BoolVar(&o.allDead, "all-dead", false, "requeue every dead row (with other selectors: every dead row they match)")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the rows that would be requeued and change nothing")
	fl.BoolVar(&o.json, "json", false, "print the result as JSON")
	return cmd
}

func retryRun(ctx context.Context, f *Factory, o retryOptions) error {
	sel, err := o.selector()
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	res, err := st.Requeue(ctx, sel)
	if err != nil {
		return needMigrated(f, err)
	}
	if o.json {
		if err := writeJSON(f.IO.Out, toRetryJSON(res, o.dryRun)); err != nil {
			return err
		}
	} else if err := writeRetry(f.IO.Out, res, o.dryRun); err != nil {
		return err
	}
	if len(res.Replaced) > 0 {
		fmt.Fprintf(f.IO.Err, "Left %d row(s) alone that a newer row of the same entity and ERP key replaces: %s\n",
			len(res.Replaced), idList(res.Replaced))
	}
	if len(res.InProgress) > 0 {
		fmt.Fprintf(f.IO.Err, "Left %d row(s) alone that a running cycle holds: %s\n",
			len(res.InProgress), idList(res.InProgress))
	}
	if len(res.Rows)+len(res.Replaced)+len(res.InProgress) == 0 {
		fmt.Fprintln(f.IO.Err, "No failed or dead row matches; 'syncd status' lists them.")
	}
	return nil
}

// selector checks the flags and turns them into a store selector.
func (o retryOptions) selector() (store.RequeueSelector, error) {
	sel := store.RequeueSelector{IDs: o.ids, Entity: o.entity, ERPID: o.erpID, All: o.allDead, DryRun: o.dryRun}
	if len(o.ids) == 0 && o.entity == "" && o.erpID == "" && !o.allDead {
		return sel, usageErrorf("retry needs a selector: --id, --entity, --erp-id or --all-dead (it never requeues every row by default)")
	}
	for _, id := range o.ids {
		if id <= 0 {
			return sel, usageErrorf("--id %d is not an outbox row id", id)
		}
	}
	switch {
	case o.state != "" && o.state != store.StateFailed && o.state != store.StateDead:
		return sel, usageErrorf("--state %q is not failed or dead; only those rows can be requeued", o.state)
	case o.allDead && o.state == store.StateFailed:
		return sel, usageErrorf("--all-dead and --state failed contradict each other")
	case o.allDead:
		sel.States = []string{store.StateDead}
	case o.state != "":
		sel.States = []string{o.state}
	}
	return sel, nil
}

// retryJSON is the JSON form of `syncd retry`; its keys are a contract for
// scripts (docs/operations.md).
type retryJSON struct {
	DryRun     bool            `json:"dry_run"`
	Requeued   int             `json:"requeued"`
	Rows       []outboxRowJSON `json:"rows"`
	Replaced   []int64         `json:"replaced"`
	InProgress []int64         `json:"in_progress"`
}

func toRetryJSON(res store.Requeued, dryRun bool) retryJSON {
	j := retryJSON{DryRun: dryRun, Requeued: len(res.Rows), Rows: []outboxRowJSON{}, Replaced: []int64{}, InProgress: []int64{}}
	for _, r := range res.Rows {
		j.Rows = append(j.Rows, toOutboxRowJSON(r))
	}
	for _, r := range res.Replaced {
		j.Replaced = append(j.Replaced, r.ID)
	}
	for _, r := range res.InProgress {
		j.InProgress = append(j.InProgress, r.ID)
	}
	return j
}

// writeRetry prints how many rows were requeued; on a dry run, the rows
// that would be, as they are now.
func writeRetry(w io.Writer, res store.Requeued, dryRun bool) error {
	if !dryRun {
		_, err := fmt.Fprintf(w, "requeued %d row(s)\n", len(res.Rows))
		return err
	}
	fmt.Fprintf(w, "would requeue %d row(s)\n", len(res.Rows))
	if len(res.Rows) == 0 {
		return nil
	}
	return writeTable(w, "ID\tENTITY\tERP ID\tOP\tSTATE\tATTEMPTS\tLAST ERROR", func(tw io.Writer) {
		for _, r := range res.Rows {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, oneLine(r.Entity), oneLine(r.ERPID), r.Op, r.State, r.Attempts, oneLineOrDash(r.LastError))
		}
	})
}

func idList(rows []store.OutboxRow) string {
	s := make([]string, len(rows))
	for i, r := range rows {
		s[i] = strconv.FormatInt(r.ID, 10)
	}
	return strings.Join(s, ", ")
}
