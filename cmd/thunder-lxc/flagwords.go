package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// flagRemedies word, once, the flag or command that answers a library
// error: the libraries (inroot, lxc, thunder, provision) state the facts
// and name request fields by key; only the command knows its flags.
var flagRemedies = []struct {
	err error
	fix string
}{
	{inroot.ErrTargetNotFolder, "give the folder holding the device's root filesystem with --target"},
	{thunder.ErrNoLayout, "if it is one, pick its layout with --layout thunder or --layout wpeframework"},
	{thunder.ErrUnknownLayout, "give auto or one of them to --layout"},
	{thunder.ErrPluginNotFound, "check the callsign, or the Thunder layout (--layout)"},
	{thunder.ErrNotBuildrootConfig, "a kernel config goes to: thunder-lxc check kernel FILE"},
}

// withFlagWords is err as the command line says it: each provision
// field named as its flag (--keep-id), and the flag remedy of a library
// error added. It wraps err, so errors.Is and errors.As (the usage error
// behind exit status 2) still see the original.
func withFlagWords(err error) error {
	if err == nil {
		return nil
	}
	text := provision.NameFields(err, func(field string) string { return "--" + field })
	for _, r := range flagRemedies {
		if errors.Is(err, r.err) {
			text += ": " + r.fix
			break
		}
	}
	if text == err.Error() {
		return err
	}
	return &wordedError{text: text, err: err}
}

type wordedError struct {
	text string
	err  error
}

func (e *wordedError) Error() string { return e.text }
func (e *wordedError) Unwrap() error { return e.err }

// wordErrorsWithFlags makes every command under cmd return its errors
// through withFlagWords, so no command can forget to.
func wordErrorsWithFlags(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		wordErrorsWithFlags(c)
	}
	for _, run := range []*func(*cobra.Command, []string) error{&cmd.PreRunE, &cmd.RunE} {
		if inner := *run; inner != nil {
			*run = func(c *cobra.Command, args []string) error { return withFlagWords(inner(c, args)) }
		}
	}
}
