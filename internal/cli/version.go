package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/hubspot"
)

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print syncd's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "syncd %s (%s, HubSpot API %s)\n", Version, runtime.Version(), hubspot.DefaultVersion)
			return err
		},
	}
}
