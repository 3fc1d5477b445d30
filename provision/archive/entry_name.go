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
	cleaned := path.Clean(trimLeadingDots(name))
	if name == "" || !filepath.IsLocal(cleaned) {
		return "", fmt.Errorf("%w: %q leaves the destination", ErrUnsafePath, name)
	}
	return cleaned, nil
}

// trimLeadingDots drops leading slashes and "./" components, which
// path.Clean drops as well from a relative name: done first, path.Clean then
// returns an already clean name as it is instead of copying it, one
// allocation less per entry of an archive made by `tar -C dir .`.
func trimLeadingDots(name string) string {
	for {
		trimmed := strings.TrimPrefix(strings.TrimLeft(name, "/"), "./")
		if trimmed == name {
			return name
		}
		name = trimmed
	}
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
