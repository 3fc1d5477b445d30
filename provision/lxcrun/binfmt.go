package lxcrun

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// BinfmtDir is where the kernel's binfmt_misc lists its handlers.
const BinfmtDir = "/proc/sys/fs/binfmt_misc"

// hostMachines are the ELF machines the build host runs without
// emulation, by Go architecture: its own, and i386 on x86-64 (whose
// kernels run 32-bit x86 programs). Other 32-bit modes (AArch32 on arm64)
// are not on every CPU, so a handler is asked for.
var hostMachines = map[string][]elf.Machine{
	"amd64":   {elf.EM_X86_64, elf.EM_386},
	"386":     {elf.EM_386},
	"arm64":   {elf.EM_AARCH64},
	"arm":     {elf.EM_ARM},
	"riscv64": {elf.EM_RISCV},
	"ppc64le": {elf.EM_PPC64},
	"s390x":   {elf.EM_S390},
	"loong64": {elf.EM_LOONGARCH},
}

// Emulation is how the build host runs a rootfs of another architecture:
// the binfmt_misc handler the kernel hands its programs to.
type Emulation struct {
	// Rootfs describes the rootfs's programs: "32-bit EM_ARM (/bin/busybox)".
	Rootfs      string `json:"rootfs"`
	Handler     string `json:"handler"`
	Interpreter string `json:"interpreter"`
}

// ErrNoEmulator means the rootfs is of another architecture and the build
// host has no usable handler for its programs.
var ErrNoEmulator = errors.New("no emulator for the rootfs's architecture")

// NoEmulatorError says what the rootfs is and why no handler fits.
type NoEmulatorError struct {
	Rootfs string // as in Emulation
	Host   string // the build host's Go architecture
	Reason string
}

func (e *NoEmulatorError) Error() string {
	return fmt.Sprintf("the rootfs's programs are %s, which this %s build host runs only through a qemu-user binfmt_misc handler registered with the F flag, and %s: on Debian, install qemu-user-static and binfmt-support (then update-binfmts --enable qemu-<arch> if it is disabled)",
		e.Rootfs, e.Host, e.Reason)
}

func (e *NoEmulatorError) Is(target error) bool { return target == ErrNoEmulator }

// binfmtHandler is one entry of BinfmtDir.
type binfmtHandler struct {
	name        string
	enabled     bool
	interpreter string
	flags       string
	offset      int
	magic, mask []byte
}

// FindEmulation tells whether the rootfs's programs need emulation on
// this build host: nil when they run natively, the handler that runs them
// otherwise, or a NoEmulatorError. The handler must have the F flag (the
// kernel opens its interpreter when it is registered, so it works inside
// the container, whose root lacks the interpreter) and a statically linked
// interpreter (a dynamic one would look for its libraries in the rootfs).
func FindEmulation(rootfs inroot.FS) (*Emulation, error) {
	info, err := lxc.DetectArch(rootfs)
	if err != nil {
		return nil, err
	}
	if slices.Contains(hostMachines[runtime.GOARCH], info.Machine) {
		return nil, nil
	}
	header, err := elfHeader(rootfs, info.Path)
	if err != nil {
		return nil, err
	}
	described := fmt.Sprintf("%d-bit %s (%s)", info.Class, info.Machine, info.Path)
	refuse := func(format string, args ...any) error {
		return &NoEmulatorError{Rootfs: described, Host: runtime.GOARCH, Reason: fmt.Sprintf(format, args...)}
	}
	if status, err := os.ReadFile(filepath.Join(BinfmtDir, "status")); err != nil {
		return nil, refuse("binfmt_misc is not mounted on %s", BinfmtDir)
	} else if strings.TrimSpace(string(status)) != "enabled" {
		return nil, refuse("binfmt_misc is disabled (%s/status)", BinfmtDir)
	}
	handlers, err := readBinfmtHandlers()
	if err != nil {
		return nil, err
	}
	var h *binfmtHandler
	for i := range handlers {
		if handlers[i].enabled && handlers[i].matches(header) {
			h = &handlers[i]
			break
		}
	}
	switch {
	case h == nil:
		return nil, refuse("none of the handlers in %s is enabled for them", BinfmtDir)
	case !strings.Contains(h.flags, "F"):
		return nil, refuse("the handler %s has no F flag, so the kernel would look for %s inside the container", h.name, h.interpreter)
	}
	if dynamic, err := isDynamic(h.interpreter); err != nil {
		return nil, refuse("the handler %s's interpreter %s cannot be read: %v", h.name, h.interpreter, err)
	} else if dynamic {
		return nil, refuse("the handler %s's interpreter %s is dynamically linked, and its libraries are not in the container", h.name, h.interpreter)
	}
	return &Emulation{Rootfs: described, Handler: h.name, Interpreter: h.interpreter}, nil
}

// elfHeader reads the first 128 bytes of the rootfs's program name, which
// is all binfmt_misc compares.
func elfHeader(rootfs inroot.FS, name string) ([]byte, error) {
	resolved, err := inroot.Resolve(rootfs, name, true)
	if err != nil {
		return nil, err
	}
	f, err := rootfs.FS().Open(resolved)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	header := make([]byte, 128)
	n, err := io.ReadFull(f, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return header[:n], nil
}

// readBinfmtHandlers reads every handler of BinfmtDir, in name order.
func readBinfmtHandlers() ([]binfmtHandler, error) {
	entries, err := os.ReadDir(BinfmtDir)
	if err != nil {
		return nil, err
	}
	var handlers []binfmtHandler
	for _, e := range entries {
		if e.Name() == "register" || e.Name() == "status" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(BinfmtDir, e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		handlers = append(handlers, parseBinfmtHandler(e.Name(), data))
	}
	return handlers, nil
}

// parseBinfmtHandler reads a handler as the kernel lists it: "enabled",
// "interpreter PATH", "flags: PF", "offset N", "magic HEX", "mask HEX". An
// extension handler has no magic and matches nothing here.
func parseBinfmtHandler(name string, data []byte) binfmtHandler {
	h := binfmtHandler{name: name}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "enabled":
			h.enabled = true
		case "interpreter":
			h.interpreter = value
		case "flags:":
			h.flags = value
		case "offset":
			h.offset, _ = strconv.Atoi(value)
		case "magic":
			h.magic, _ = hex.DecodeString(value)
		case "mask":
			h.mask, _ = hex.DecodeString(value)
		}
	}
	return h
}

// matches compares header with the handler's magic under its mask, as
// the kernel does.
func (h binfmtHandler) matches(header []byte) bool {
	if len(h.magic) == 0 || h.offset+len(h.magic) > len(header) {
		return false
	}
	for i, m := range h.magic {
		mask := byte(0xff)
		if i < len(h.mask) {
			mask = h.mask[i]
		}
		if header[h.offset+i]&mask != m&mask {
			return false
		}
	}
	return true
}

// isDynamic tells whether the ELF program at p asks for a dynamic loader.
func isDynamic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }), nil
}
