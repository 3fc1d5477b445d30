package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingWriter is the root writer, but writing, renaming onto or removing
// failName fails, as a file on a filesystem gone read-only would.
type failingWriter struct {
	rootWriter
	failName string
}

var errReadOnly = errors.New("read-only file system")

func (w failingWriter) WriteFile(name string, data []byte) error {
	if name == w.failName {
		return errReadOnly
	}
	return w.rootWriter.WriteFile(name, data)
}

func (w failingWriter) Rename(from, to string) error {
	if to == w.failName {
		return errReadOnly
	}
	return w.rootWriter.Rename(from, to)
}

func (w failingWriter) RemoveAll(name string) error {
	if name == w.failName {
		return errReadOnly
	}
	return w.rootWriter.RemoveAll(name)
}

// "nothing was changed" is said only when undoing worked; otherwise the
// error names exactly what is left.
func TestApplyErrorSaysWhatIsLeft(t *testing.T) {
	dir := t.TempDir()
	// Each edited file, and its old self kept under a temporary name.
	for name, content := range map[string]string{"a.json": "new\n", "b.conf": "new\n", "a.old": "old\n", "b.old": "old\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "share"), 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	failed := errors.New("write c: disk full")

	ok := &transaction{root: root, w: rootWriter{root}}
	ok.edits = []editDone{{edit: &Edit{Path: "/a.json"}, resolved: "a.json", backup: "a.old"}}
	if msg := (&ApplyError{Err: failed, Left: ok.undo()}).Error(); msg != "write c: disk full; nothing was changed" {
		t.Errorf("undone: %q", msg)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.json")); string(data) != "old\n" {
		t.Errorf("a.json: %q, want its old content back", data)
	}

	if err := os.WriteFile(filepath.Join(dir, "a.old"), []byte("older\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stuck := &transaction{root: root, w: failingWriter{rootWriter{root}, "b.conf"}}
	stuck.edits = []editDone{
		{edit: &Edit{Path: "/a.json"}, resolved: "a.json", backup: "a.old"},
		{edit: &Edit{Path: "/b.conf"}, resolved: "b.conf", backup: "b.old"},
	}
	stuck.shares = []shareMade{{top: "share", folder: "share"}}
	msg := (&ApplyError{Err: failed, Left: stuck.undo()}).Error()
	if strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, "/b.conf") || !strings.Contains(msg, "holds the new content") {
		t.Errorf("not undone: %q, want it to name /b.conf as left", msg)
	}
	if strings.Contains(msg, "/a.json") {
		t.Errorf("a.json was undone but is named: %q", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "share")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the share folder was not removed: %v", err)
	}
}
