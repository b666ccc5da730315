package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCmdConfig(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Check the configuration and print it with defaults applied",
		Long: `Load the config file, apply defaults and environment overrides, validate
it, and print the effective configuration as TOML. The HubSpot token is never
printed, only where it comes from; a database password is masked.

Errors name the file, line and key, e.g.
  syncd.toml:12: key "sync.batch_size": must be between 1 and 10000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(f.IO.Out, cfg.Redacted())
			return err
		},
	}
}
