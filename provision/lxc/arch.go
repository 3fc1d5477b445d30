package lxc

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ELFInfo describes one ELF file: Class 32/64, Machine (debug/elf Machine),
// and the lxc.arch value.
type ELFInfo struct {
	Path    string // the name looked up in the rootfs, e.g. "/sbin/init"
	Class   int    // 32 or 64
	Machine elf.Machine
	LXCArch string
}

// archPrograms are the files whose architecture is the rootfs's, most
// telling first: what LXC starts, the shell, then the dynamic loader, which
// every dynamically linked rootfs has even without a shell.
var archPrograms = []string{"/sbin/init", "/bin/busybox", "/bin/sh", "/usr/sbin/init", "/usr/bin/busybox"}

// loaderFolders hold the dynamic loader: ld-linux-armhf.so.3, ld-linux-aarch64.so.1,
// ld-linux-x86-64.so.2, ld-linux.so.2, ld-musl-*.so.1, ld-uClibc.so.0...
var loaderFolders = []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64"}

// DetectArch finds the architecture of a root filesystem from its ELF files:
// /sbin/init, /bin/busybox, /bin/sh, the dynamic loader (/lib/ld-*,
// /lib64/ld-*, /usr/lib/ld-*)... Paths are resolved inside the root, so an
// absolute symlink /sbin/init -> /lib/systemd/systemd means the rootfs's
// file. The first readable ELF wins; a shell-script /sbin/init is passed over.
func DetectArch(root inroot.FS) (ELFInfo, error) {
	candidates := slices.Clone(archPrograms)
	for _, dir := range loaderFolders {
		candidates = append(candidates, loaders(root, dir)...)
	}
	noELF := &NoELFError{Root: root.Name(), Looked: append(slices.Clone(archPrograms), loaderPatterns()...)}
	for _, name := range candidates {
		info, err := readELFHeader(root, name)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			noELF.Unfit = append(noELF.Unfit, err.Error())
		}
	}
	return ELFInfo{}, noELF
}

// ErrNoELF means a root filesystem has none of the ELF files its
// architecture is read from.
var ErrNoELF = errors.New("no ELF program found")

// NoELFError says where DetectArch looked in vain.
type NoELFError struct {
	Root   string   // the root's name: a folder or a tarball
	Looked []string // the names and patterns tried
	Unfit  []string // files that are there but no ELF program, and why
}

func (e *NoELFError) Error() string {
	msg := fmt.Sprintf("no ELF program in the rootfs %s (looked for %s)", e.Root, strings.Join(e.Looked, ", "))
	if len(e.Unfit) > 0 {
		msg += " (" + strings.Join(e.Unfit, "; ") + ")"
	}
	return msg
}

func (e *NoELFError) Is(target error) bool { return target == ErrNoELF }

func loaderPatterns() []string {
	var patterns []string
	for _, dir := range loaderFolders {
		patterns = append(patterns, dir+"/ld-*")
	}
	return patterns
}

// loaders lists dir's ld-* entries inside the root, sorted; nothing when the
// folder is missing.
func loaders(root inroot.FS, dir string) []string {
	entries, _ := inroot.ReadDir(root, dir)
	var found []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "ld-") && strings.Contains(n, ".so") {
			found = append(found, path.Join(dir, n))
		}
	}
	return found
}

// readELFHeader reads only the ELF header of name (following symlinks inside
// the root): enough for class and machine, and cheap on a big binary.
func readELFHeader(root inroot.FS, name string) (ELFInfo, error) {
	resolved, err := inroot.Resolve(root, name, true)
	if err != nil {
		return ELFInfo{}, fmt.Errorf("%s: %w", name, err)
	}
	f, err := inroot.OpenRegular(root, resolved)
	if err != nil {
		return ELFInfo{}, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return ELFInfo{}, fmt.Errorf("%s: not a regular file", name)
	}
	var ident [elf.EI_NIDENT]byte
	if _, err := io.ReadFull(f, ident[:]); err != nil || !bytes.HasPrefix(ident[:], []byte(elf.ELFMAG)) {
		return ELFInfo{}, fmt.Errorf("%s: not an ELF file", name)
	}
	var order binary.ByteOrder
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		order = binary.BigEndian
	default:
		return ELFInfo{}, fmt.Errorf("%s: ELF file with unknown byte order %d", name, ident[elf.EI_DATA])
	}
	// e_type and e_machine follow the ident in both classes.
	var typeMachine [2]uint16
	if err := binary.Read(f, order, &typeMachine); err != nil {
		return ELFInfo{}, fmt.Errorf("%s: short ELF header: %w", name, err)
	}
	info := ELFInfo{Path: name, Machine: elf.Machine(typeMachine[1])}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		info.Class = 32
	case elf.ELFCLASS64:
		info.Class = 64
	default:
		return ELFInfo{}, fmt.Errorf("%s: ELF file with unknown class %d", name, ident[elf.EI_CLASS])
	}
	info.LXCArch = personalityFor(info.Class)
	return info, nil
}
