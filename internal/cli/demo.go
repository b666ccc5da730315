package cli

import (
	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/demo"
)

type demoOptions struct {
	databaseURL string
	schema      string
}

func newCmdDemo(f *Factory) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sync sample Thai data into the built-in emulator and report",
		Long: `Show syncd end to end with nothing from outside but PostgreSQL:

  1. start the built-in HubSpot emulator in this process (HubSpot is never contacted;
     any HubSpot token in the environment is ignored);
  2. create the database (default syncd_demo on 127.0.0.1:5432) when missing, drop and
     recreate the schema --schema, and migrate it;
  3. run setup: the ERP-ID and tax-ID properties;
  4. fill the outbox with made-up Thai companies (13-digit tax IDs with their check digit),
     customers (honorifics, Thai phone formats), products, orders and tickets, with one
     company whose tax ID is wrong and one customer whose phone is masked;
  5. run the engine until the outbox is drained, and print a summary, some ID-map rows
     and the failed rows' last_error.

The demo exits 0 although two rows fail: they are there to show how failures look.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			url := o.databaseURL
			if url == "" {
				url, _ = f.LookupEnv(config.EnvDatabaseURL)
			}
			_, err := demo.Run(cmd.Context(), f.ForEmulator(demo.Config(url, o.schema)), demo.Options{Out: f.IO.Out})
			return err
		},
	}
	cmd.Flags().StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL of the demo's database (default $SYNCD_DATABASE_URL, else "+demo.DefaultDatabaseURL+")")
	cmd.Flags().StringVar(&o.schema, "schema", demo.DefaultSchema, "schema the demo drops, recreates and fills")
	return cmd
}
