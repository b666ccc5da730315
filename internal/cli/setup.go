package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/setup"
)

type setupOptions struct {
	dryRun bool
	json   bool
}

func newCmdSetup(f *Factory) *cobra.Command {
	var o setupOptions
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create syncd's properties and pipelines in HubSpot",
		Long: `Read the HubSpot account, print what syncd needs that is missing (the
unique ERP-ID property on every object type, the tax-ID property on
companies, and, with [setup] create_pipelines, the pipelines and stages
named in [deals] and [tickets]), then create it.

Setup only creates; it never changes or deletes what exists. A property or
pipeline that exists in a form syncd cannot use is reported with what to do,
and setup exits 1 without changing anything. Running it again is safe.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			client, err := f.HubSpot(ctx)
			if err != nil {
				return err
			}
			plan, planErr := setup.Plan(ctx, client, *cfg)
			var problems *setup.ProblemsError
			if planErr != nil && !errors.As(planErr, &problems) {
				return planErr
			}
			if o.json {
				if err := writeJSON(f.IO.Out, plan); err != nil {
					return err
				}
			} else if err := plan.Render(f.IO.Out); err != nil {
				return err
			}
			if planErr != nil {
				return planErr
			}
			if o.dryRun || len(plan.Changes) == 0 {
				return nil
			}
			res, err := setup.Apply(ctx, client, plan)
			if !o.json {
				if rerr := res.Render(f.IO.Out); rerr != nil && err == nil {
					err = rerr
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the plan as JSON")
	return cmd
}
