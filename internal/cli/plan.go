package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/store"
)

func newCmdPlan(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what the next sync cycle would do, without doing it",
		Long: `Show what the next sync cycle would do to HubSpot, without writing to HubSpot
or to the database: the records it would create, update (each changed
property, old → new) and archive, the associations it would add, the rows
that would fail and why, and the HubSpot calls it would cost against the
day's allowance and the least time the burst limit allows for them.

The plan is the cycle itself, run dry: it takes the rows a claim would take
now without claiming them, reads HubSpot as a cycle does to match records
(those reads are real calls), and sends none of its writes. What only a
write can tell (a value HubSpot's validation refuses, a unique value
another record holds) is not known: such rows are planned as written.
"syncd run --once --dry-run" is the same command.

Exit status 0 whatever the plan says; 1 when it cannot be made.`,
		Example: `  syncd plan
  syncd plan --json | jq '.updates[] | {erp_id, changes}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.Context(), f, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON (the contract is in docs/operations.md)")
	return cmd
}

// runPlan plans the next cycle and prints the plan.
func runPlan(ctx context.Context, f *Factory, asJSON bool) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	// The migration level, not a count of the outbox: a plan of a large
	// backlog should not start with a scan of it.
	if lvl, err := st.SchemaLevel(ctx); err != nil {
		return err
	} else if lvl.Current == 0 {
		return needMigrated(f, store.ErrNotMigrated)
	}
	eng, err := f.Engine(ctx)
	if err != nil {
		return err
	}
	p, err := eng.Plan(ctx)
	if err != nil {
		return err
	}
	if p.Calls.DailyUsed < 0 {
		// No answer of the plan told today's use: ask HubSpot, with a
		// call that is not the cycle's and not in the plan's count.
		cfg, cerr := f.Config()
		hs, herr := f.HubSpot(ctx)
		if cerr == nil && herr == nil {
			if used, limit, reserve, ok := dailyUsage(ctx, hs, cfg); ok {
				p.Calls.DailyUsed, p.Calls.DailyLimit, p.Calls.DailyReserve = used, limit, reserve
			}
		}
	}
	if asJSON {
		return writeJSON(f.IO.Out, planJSON{Summary: toSummaryJSON(p.Summary), Plan: p})
	}
	return writePlan(f.IO.Out, p)
}

// planJSON is the JSON of `syncd plan --json`: the engine's plan with the
// summary keyed as `syncd run --once --json` keys it.
type planJSON struct {
	Summary summaryJSON `json:"summary"`
	*engine.Plan
}

// writePlan prints the plan for a terminal.
func writePlan(w io.Writer, p *engine.Plan) error {
	s := p.Summary
	if p.DailyBlockedUntil != nil {
		fmt.Fprintf(w, "HubSpot's daily API allowance is spent until %s: the next cycle would do nothing.\n", p.DailyBlockedUntil.UTC().Format(time.RFC3339))
		return nil
	}
	if s.Rows == 0 {
		fmt.Fprintln(w, "Nothing to do: no outbox row can be claimed now.")
		return nil
	}
	fmt.Fprintf(w, "The next cycle would take %d outbox row(s): %d to create, %d to update, %d to archive, %d unchanged, %d to fail, %d to wait, %d superseded.\n\n",
		s.Rows, s.Created, s.Updated, s.Deleted, s.Unchanged, s.Failed+s.Dead, s.Waiting, s.Superseded)
	err := writeTable(w, "ACTION\tOUTBOX ID\tENTITY\tERP ID\tHUBSPOT\tDETAIL", func(tw io.Writer) {
		rec := func(action string, r engine.PlannedRecord, detail string) {
			where := r.ObjectType
			if r.HubSpotID != "" {
				where += " " + r.HubSpotID
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", action, r.OutboxID, r.Entity, r.ERPID, oneLineOrDash(where), oneLineOrDash(detail))
		}
		for _, r := range p.Creates {
			rec("create", r, propsLine(r.Properties))
		}
		for _, r := range p.Updates {
			var parts []string
			for _, c := range r.Changes {
				parts = append(parts, fmt.Sprintf("%s: %q → %q", c.Property, c.Old, c.New))
			}
			rec("update", r, strings.Join(parts, "; "))
		}
		for _, r := range p.Archives {
			rec("archive", r, "")
		}
		for _, r := range p.Unchanged {
			rec("unchanged", r, "")
		}
		for _, x := range p.Failures {
			action := "fail"
			if x.Dead {
				action = "dead"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t-\t%s\n", action, x.OutboxID, x.Entity, x.ERPID, oneLineOrDash(x.Error))
		}
		for _, x := range p.Waiting {
			fmt.Fprintf(tw, "wait\t%d\t%s\t%s\t-\t%s\n", x.OutboxID, x.Entity, x.ERPID, oneLineOrDash(fmt.Sprintf("for outbox row %d: %s", x.WaitingFor, x.Reason)))
		}
	})
	if err != nil {
		return err
	}
	if len(p.Associations)+len(p.AssociationsRemoved) > 0 {
		fmt.Fprintf(w, "\nAssociations: %d to add, %d to remove.\n", len(p.Associations), len(p.AssociationsRemoved))
		err := writeTable(w, "CHANGE\tOUTBOX ID\tFROM\tTO\tTYPE", func(tw io.Writer) {
			for _, a := range p.Associations {
				fmt.Fprintf(tw, "add\t%d\t%s %s\t%s %s\t%d\n", a.OutboxID, a.FromType, a.FromID, a.ToType, a.ToID, a.TypeID)
			}
			for _, a := range p.AssociationsRemoved {
				fmt.Fprintf(tw, "remove\t%d\t%s %s\t%s %s\t%d\n", a.OutboxID, a.FromType, a.FromID, a.ToType, a.ToID, a.TypeID)
			}
		})
		if err != nil {
			return err
		}
	}
	c := p.Calls
	fmt.Fprintf(w, "\nHubSpot calls: %d (%d reads made for this plan, %d writes not sent).\n", c.Total, c.Reads, c.Writes)
	err = writeTable(w, "CALLS\tOPERATION", func(tw io.Writer) {
		ops := make([]string, 0, len(c.ByOperation))
		for op := range c.ByOperation {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			fmt.Fprintf(tw, "%d\t%s\n", c.ByOperation[op], op)
		}
	})
	if err != nil {
		return err
	}
	switch {
	case c.DailyUsed >= 0 && c.DailyLimit > 0:
		// The cycle makes the plan's reads again, so it costs every call of
		// the plan; today's use already counts the plan's own reads.
		fmt.Fprintf(w, "Daily allowance: %d of %d used today, the plan's own reads (%d) included (%d kept for other integrations); the cycle would use %d more.\n",
			c.DailyUsed, c.DailyLimit, c.Reads, c.DailyReserve, c.Total)
	case c.DailyLimit > 0:
		fmt.Fprintf(w, "Daily allowance: %d (today's use not reported by HubSpot).\n", c.DailyLimit)
	}
	if c.WindowLimit > 0 {
		fmt.Fprintf(w, "Burst limit: %d calls per %gs, so at least %.1fs for these calls.\n", c.WindowLimit, c.WindowSeconds, c.MinSeconds)
	}
	return nil
}

// propsLine renders a create's properties, sorted, on one line.
func propsLine(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, m[k])
	}
	return strings.Join(parts, " ")
}
