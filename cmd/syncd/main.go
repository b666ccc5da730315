// Command syncd syncs an ERP's PostgreSQL outbox to HubSpot CRM. See
// `syncd --help` and README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/syncd/syncd/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx and lets the command stop
	// gracefully; after that, the default handling applies again, so a
	// second signal kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Main(ctx, cli.NewFactory(), os.Args[1:]))
}
