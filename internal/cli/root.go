// Package cli is syncd's command line: the root command, global flags, one
// file per verb, and the one place where errors become exit statuses
// (exit.go). Commands get their dependencies from a Factory, built lazily.
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

// Version is syncd's version, set at build time with
// -ldflags "-X github.com/syncd/syncd/internal/cli.Version=v1.2.3".
var Version = "dev"

// NewRootCmd returns the syncd command with every verb.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "syncd",
		Short: "Sync an ERP's PostgreSQL outbox to HubSpot CRM",
		Long: `syncd reads changes an ERP writes to an outbox table in PostgreSQL and
turns them into HubSpot contacts, companies, deals with line items, and
tickets, recording every HubSpot ID it learns in the id_map table.

Without a HubSpot token, syncd targets its built-in HubSpot emulator.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.LogLevel != "" {
				if _, err := logrus.ParseLevel(f.LogLevel); err != nil {
					return usageErrorf("--log-level %q is not one of trace, debug, info, warn, error", f.LogLevel)
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	root.CompletionOptions.DisableDefaultCmd = true

	pf := root.PersistentFlags()
	pf.StringVar(&f.ConfigPath, "config", "", "config file (TOML); default $SYNCD_CONFIG, else built-in defaults")
	pf.StringVar(&f.LogLevel, "log-level", "", "trace, debug, info, warn or error (default log.level, info)")

	root.AddCommand(
		newCmdMigrate(f),
		newCmdRun(f),
		newCmdPlan(f),
		newCmdDoctor(f),
		newCmdStatus(f),
		newCmdRetry(f),
		newCmdBackfill(f),
		newCmdSetup(f),
		newCmdEmulator(f),
		newCmdDemo(f),
		newCmdConfig(f),
		newCmdVersion(f),
	)
	return root
}

// noArgs rejects positional arguments as a usage error; on the root it
// catches a mistyped verb.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return usageErrorf("unknown command %q for %q; run '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return usageErrorf("%s takes no arguments", cmd.CommandPath())
}

// Main runs syncd with args and returns the exit status. ctx is cancelled on
// SIGINT or SIGTERM by the caller.
func Main(ctx context.Context, f *Factory, args []string) int {
	defer f.Close()
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var rows *RowsFailedError
	if !errors.As(err, &rows) {
		// A failed-rows result is already reported in the summary.
		fmt.Fprintln(f.IO.Err, "syncd:", err)
	}
	return ExitCode(err)
}
