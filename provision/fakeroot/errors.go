package fakeroot

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ProgramError is a program that failed in the session. For GNU tar the
// files it complained about are picked out of what it said, each with
// what to do.
type ProgramError struct {
	Program string // as started: "tar", "setfattr", "mv", …
	Session string // the session's Kind
	Err     error  // how it ended (exit status)
	// Problems are the files the program named, with build-host paths.
	Problems []Problem
	// Said is what the program wrote to stderr, when no file was named.
	Said string
}

// Problem is one file a program could not handle.
type Problem struct {
	Path    string
	Message string // the program's words
	Remedy  string // what to do; may be empty
}

// maxProblems is how many files an error message names for one complaint.
const maxProblems = 3

func (e *ProgramError) Error() string {
	head := fmt.Sprintf("%s in %s", e.Program, e.Session)
	if len(e.Problems) == 0 {
		if e.Said == "" {
			return fmt.Sprintf("%s: %v", head, e.Err)
		}
		return fmt.Sprintf("%s: %v: %s", head, e.Err, e.Said)
	}
	// Files with the same complaint are named together, the remedy once.
	type group struct {
		paths           []string
		message, remedy string
	}
	var groups []*group
	byKey := map[[2]string]*group{}
	for _, p := range e.Problems {
		key := [2]string{p.Message, p.Remedy}
		g := byKey[key]
		if g == nil {
			g = &group{message: p.Message, remedy: p.Remedy}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.paths = append(g.paths, p.Path)
	}
	var parts []string
	for _, g := range groups {
		paths := g.paths
		if len(paths) > maxProblems {
			paths = append(paths[:maxProblems:maxProblems], fmt.Sprintf("%d more", len(g.paths)-maxProblems))
		}
		s := strings.Join(paths, ", ") + ": " + g.message
		if g.remedy != "" {
			s += " (" + g.remedy + ")"
		}
		parts = append(parts, s)
	}
	return head + ": " + strings.Join(parts, "; ")
}

func (e *ProgramError) Unwrap() error { return e.Err }

// programError describes a failed program from its stderr. GNU tar says
// "tar: NAME: MESSAGE" for each file, names relative to the folder it
// works in (dir), which is made part of each path.
func (s *Session) programError(program, dir string, err error, stderr string) *ProgramError {
	e := &ProgramError{Program: filepath.Base(program), Session: s.Kind, Err: err}
	if program != s.tar || s.tar == "" {
		e.Said = strings.TrimSpace(stderr)
		return e
	}
	e.Program = "tar"
	var said []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		rest, ok := strings.CutPrefix(line, program+": ")
		if !ok {
			rest, ok = strings.CutPrefix(line, "tar: ")
		}
		if !ok {
			said = append(said, line)
			continue
		}
		if strings.HasPrefix(rest, "Exiting with failure status") {
			continue
		}
		name, message, named := strings.Cut(rest, ": ")
		if !named || strings.HasPrefix(rest, "Error is not recoverable") {
			said = append(said, rest)
			continue
		}
		p := Problem{Path: name, Message: message, Remedy: s.remedy(message)}
		if dir != "" {
			p.Path = filepath.Join(dir, filepath.FromSlash(name))
		}
		e.Problems = append(e.Problems, p)
	}
	if len(e.Problems) == 0 {
		e.Said = strings.Join(said, "; ")
	}
	return e
}

// remedy says what to do about a message of GNU tar's in this session.
func (s *Session) remedy(message string) string {
	switch {
	case strings.Contains(message, "Unknown file type") && s.Kind == KindFakeroot:
		return "fakeroot recorded it without a file type, as Debian's fakeroot does for a file GNU tar unpacked with --xattrs in the session: " +
			"unpack without --xattrs and set its capabilities or xattrs in the session with setcap or setfattr"
	case strings.Contains(message, "Permission denied"):
		return "the build user cannot open it, whatever the session shows: make it readable to the build user, " +
			"for example with chmod run in the session, which keeps the recorded mode"
	case strings.Contains(message, "No space left"):
		return "free space on the build host's disk"
	case strings.Contains(message, "Cannot change ownership"), strings.Contains(message, "Cannot mknod"):
		return fmt.Sprintf("%s did not take the change: run thunder-lxc directly in the session, not through a program that drops LD_PRELOAD", s.Kind)
	}
	return ""
}
