package provision

import (
	udiff "github.com/aymanbagabas/go-udiff"
)

// unifiedDiff returns the unified diff of an edit of the file name (a device
// path), as diff -u prints it with a/ and b/ prefixes: one hunk per group of
// changed lines, three lines of context, "\ No newline at end of file" where
// one is missing; "" when nothing changed.
//
// go-udiff is the diff of gopls (Myers' algorithm, kept by the Go team and
// released on its own): an edit of a user's template or of lines far apart
// gets the hunks diff would print, where comparing common head and tail gave
// one hunk spanning everything between the first and last change.
func unifiedDiff(name string, old, new []byte) string {
	return udiff.Unified("a"+name, "b"+name, string(old), string(new))
}
