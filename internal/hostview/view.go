// Package hostview runs programs for tests in a private mount namespace
// (provision/mountns's View) that shows them device paths and keeps what
// they write off the build host, so a test leaves the host as it found
// it.
package hostview

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// A View is an mountns.View for the test t: a failure to make it fails
// the test, which is then the test's failure, not the program's.
type View struct {
	*mountns.View
	t testing.TB
}

// New returns an empty view for the test t.
func New(t testing.TB) *View {
	return &View{View: mountns.NewView(), t: t}
}

// Bind shows the host folder or file source at target as it is: what the
// program writes there reaches source, for the test to look at.
func (v *View) Bind(source, target string) {
	v.t.Helper()
	if err := v.View.Bind(source, target); err != nil {
		v.t.Fatal(err)
	}
}

// Tmpfs puts an empty tmpfs on dir.
func (v *View) Tmpfs(dir string) {
	v.View.Tmpfs(dir, 0o755)
}

// Enter makes the view's namespace, ended when the test ends. It needs
// root.
func (v *View) Enter() *mountns.Namespace {
	v.t.Helper()
	ns, err := v.View.Enter()
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(ns.Close)
	return ns
}

// Run runs cmd in the view and returns its error.
func (v *View) Run(cmd *exec.Cmd) error {
	v.t.Helper()
	return v.Enter().Do(cmd.Run)
}

// IsSetupError tells whether err is a view's failure to be made.
func IsSetupError(err error) bool {
	var setup *mountns.SetupError
	return errors.As(err, &setup)
}
