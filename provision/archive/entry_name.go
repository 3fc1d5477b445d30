package archive

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// cleanEntryName turns an archive member name (or hardlink target) into a
// slash path local to the destination: leading "/" stripped, cleaned, and
// refused when it still climbs out ("../x") or holds a NUL byte. "." is the
// destination itself.
func cleanEntryName(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: name holds a NUL byte", ErrUnsafePath)
	}
	cleaned := path.Clean(strings.TrimLeft(name, "/"))
	if name == "" || !filepath.IsLocal(cleaned) {
		return "", fmt.Errorf("%w: %q leaves the destination", ErrUnsafePath, name)
	}
	return cleaned, nil
}

// splitName gives the parent folder and last component of a cleaned name;
// "." is its own parent.
func splitName(name string) (parent, base string) {
	if name == "." {
		return ".", "."
	}
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ".", name
	}
	return name[:i], name[i+1:]
}
