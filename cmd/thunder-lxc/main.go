// Command thunder-lxc puts Thunder (WPEFramework) plugins into LXC containers
// inside an embedded Linux root filesystem, at image build time.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels the context; the work in progress cleans up its
	// temporary folders, so the target is left as it was.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "thunder-lxc:", err)
		os.Exit(exitCode(err))
	}
}

// exitCode maps an error to the documented exit status: 2 bad usage, 1 the rest.
func exitCode(err error) int {
	var usage *usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}
