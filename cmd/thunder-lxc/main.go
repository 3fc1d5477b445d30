// Command thunder-lxc puts Thunder (WPEFramework) plugins into LXC containers
// inside an embedded Linux root filesystem, at image build time.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels the context; the work in progress cleans up its
	// temporary folders, so the target is left as it was.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
