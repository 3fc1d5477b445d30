package thundere2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// bootVar carries the boot spec to the test binary started again as
// Thunder's launcher (BootIfAsked).
const bootVar = "THUNDER_LXC_E2E_BOOT"

// bootSpec is what the launcher needs to become Thunder on the device.
type bootSpec struct {
	// Device is the device's folder on the build host.
	Device string
	// Binds are build-host folders shown at device paths (the device's
	// /tmp, its volatile path), so the test sees what is written there.
	Binds []bind
	// Argv and Env are Thunder's command line and environment.
	Argv []string
	Env  []string
}

type bind struct{ Host, Device string }

// BootIfAsked makes this process Thunder when the test started it for
// that (Start); otherwise it returns. TestMain calls it first.
//
// The process was started in new mount and network namespaces, its mounts
// already private (exec's Unshareflags). Here it brings up the loopback
// device, shows the host's /dev and /sys and the test's folders in the
// device, makes the device its root with pivot_root (a chroot would keep
// LXC from making user namespaces), mounts /proc and runs Thunder.
func BootIfAsked() {
	text := os.Getenv(bootVar)
	if text == "" {
		return
	}
	var spec bootSpec
	err := json.Unmarshal([]byte(text), &spec)
	if err == nil {
		err = boot(spec)
	}
	fmt.Fprintf(os.Stderr, "thundere2e: start Thunder in %s: %v\n", spec.Device, err)
	os.Exit(1)
}

func boot(s bootSpec) error {
	if err := loopbackUp(); err != nil {
		return err
	}
	dev := s.Device
	mounts := []mount{
		// pivot_root wants the new root to be a mount point.
		{dev, dev, "", unix.MS_BIND | unix.MS_REC},
		{"/dev", filepath.Join(dev, "dev"), "", unix.MS_BIND | unix.MS_REC},
		{"/sys", filepath.Join(dev, "sys"), "", unix.MS_BIND | unix.MS_REC},
		{"tmpfs", filepath.Join(dev, "run"), "tmpfs", unix.MS_NOSUID | unix.MS_NODEV},
	}
	for _, b := range s.Binds {
		mounts = append(mounts, mount{b.Host, filepath.Join(dev, b.Device), "", unix.MS_BIND})
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, ""); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.source, m.target, err)
		}
	}
	if err := unix.Chdir(dev); err != nil {
		return err
	}
	const old = ".oldroot"
	if err := os.Mkdir(old, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if err := unix.PivotRoot(".", old); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", dev, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	if err := unix.Unmount("/"+old, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("leave the host's root: %w", err)
	}
	if err := os.Remove("/" + old); err != nil {
		return err
	}
	return unix.Exec(s.Argv[0], s.Argv, s.Env)
}

type mount struct {
	source, target, fstype string
	flags                  uintptr
}

// loopbackUp sets the flag IFF_UP on lo, which a new network namespace has
// down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("read the flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}
