package lxc

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// LibLXC describes the target's liblxc: where it is and whether it was
// linked with libseccomp.
type LibLXC struct {
	Path    string   // in-root path of the name found, e.g. "/usr/lib/liblxc.so.1"
	Needed  []string // its DT_NEEDED entries, e.g. "libseccomp.so.2", "libc.so.6"
	Seccomp bool     // one of them is libseccomp
}

// libFolders are searched for liblxc.so*, in this order; the multiarch
// folders (/usr/lib/<triplet>, /lib/<triplet>) of both lib folders follow.
var libFolders = []string{"/usr/lib", "/lib", "/usr/lib64", "/lib64", "/usr/lib32", "/lib32", "/usr/local/lib"}

// FindLibLXC looks for liblxc.so* in the target's library folders (/usr/lib,
// /lib, /usr/lib64, /lib64, /usr/lib/<triplet>/...), inside the root, reads
// DT_NEEDED from its dynamic section and sets Seccomp when a libseccomp.so*
// is needed. found is false when the target has no liblxc.
//
// Why it matters: since LXC 4.0.11 a liblxc built without libseccomp fails
// to parse lxc.seccomp.profile, LXC skips the container and Thunder then
// reports it as not found.
func FindLibLXC(root inroot.FS) (lib LibLXC, found bool, err error) {
	var problems []string
	seen := map[string]bool{} // resolved files: usr-merged /lib and /usr/lib are one folder
	for _, name := range libLXCCandidates(root) {
		resolved, err := inroot.Resolve(root, name, true)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if seen[resolved] {
			continue
		}
		seen[resolved] = true
		needed, err := readNeeded(root, resolved)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a dangling liblxc.so development link
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		lib = LibLXC{Path: name, Needed: needed}
		lib.Seccomp = slices.ContainsFunc(needed, func(n string) bool { return strings.HasPrefix(n, "libseccomp.so") })
		return lib, true, nil
	}
	if len(problems) > 0 {
		return LibLXC{}, false, fmt.Errorf("read the target's liblxc: %s: check that it is a shared library built for the target",
			strings.Join(problems, "; "))
	}
	return LibLXC{}, false, nil
}

// libLXCCandidates lists every liblxc.so* name in the library folders, in
// search order; within a folder sorted, so liblxc.so.1 comes before
// liblxc.so.1.7.0 and the result does not depend on directory order.
func libLXCCandidates(root inroot.FS) []string {
	folders := slices.Clone(libFolders)
	for _, dir := range []string{"/usr/lib", "/lib"} {
		for _, sub := range list(root, dir) {
			// Multiarch folders are named by GNU triplet: x86_64-linux-gnu,
			// arm-linux-gnueabihf, aarch64-linux-musl...
			if strings.Contains(sub, "-linux-") {
				folders = append(folders, path.Join(dir, sub))
			}
		}
	}
	var names []string
	for _, dir := range folders {
		for _, n := range list(root, dir) {
			if n == "liblxc.so" || strings.HasPrefix(n, "liblxc.so.") {
				names = append(names, path.Join(dir, n))
			}
		}
	}
	return names
}

// list returns the sorted entry names of dir inside the root; nothing when
// it is missing or not a folder.
func list(root inroot.FS, dir string) []string {
	entries, _ := inroot.ReadDir(root, dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// readNeeded returns the DT_NEEDED entries of the shared library at the
// resolved in-root path.
func readNeeded(root inroot.FS, resolved string) ([]string, error) {
	f, err := inroot.OpenRegular(root, resolved)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	at, ok := f.(io.ReaderAt)
	if !ok {
		return nil, errors.New("cannot be read at offsets")
	}
	ef, err := elf.NewFile(at)
	if err != nil {
		return nil, fmt.Errorf("not an ELF file: %w", err)
	}
	defer ef.Close()
	needed, err := ef.DynString(elf.DT_NEEDED)
	if err != nil {
		return nil, fmt.Errorf("read its dynamic section: %w", err)
	}
	return needed, nil
}
