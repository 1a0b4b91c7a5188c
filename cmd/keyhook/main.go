// Command keyhook is the keyhook server and its command-line client. This
// package only wires: it reads configuration, picks the storage backend,
// builds each component with its dependencies and runs them.
//
// It may import every keyhook package, River's core package (for the workers
// it registers), cobra and its pflag. It is the only package that imports the
// concrete stores, which bring their River drivers with them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "keyhook:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keyhook",
		Short: "keyhook is a self-hosted identity server that runs Auth0 Hooks and Actions",
		Long: `keyhook is a self-hosted identity server compatible with Auth0's Authentication
and Management APIs. It runs legacy Auth0 Hooks in an embedded JavaScript sandbox.

Start it with "keyhook serve"; it stores everything in one SQLite file in
--data-dir unless --database names a PostgreSQL server.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCommand())
	return root
}
