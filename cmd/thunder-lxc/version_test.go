package main

import "testing"

// --version on the root command says what the version command says.
func TestVersionFlagMatchesVersionCommand(t *testing.T) {
	command, _, code := run(t, "version")
	flag, _, flagCode := run(t, "--version")
	if code != 0 || flagCode != 0 || flag != command || flag != versionLine() {
		t.Fatalf("version: %q (exit %d); --version: %q (exit %d)", command, code, flag, flagCode)
	}
}
