package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// progressFixture makes, as any user may, a device image tarball (the
// sample target) and a rootfs of a few MB, as a gzip tarball and as a
// folder; it returns the image, the tarball and the folder.
func progressFixture(t *testing.T) (image, tarball, folder string) {
	t.Helper()
	dir := t.TempDir()
	folder = filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc", "usr/lib"} {
		if err := os.MkdirAll(filepath.Join(folder, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Bytes that do not compress, so the tarball is as large as its content.
	content := make([]byte, 4<<20)
	for i := range content {
		content[i] = byte(rand.Uint32())
	}
	if err := os.WriteFile(filepath.Join(folder, "usr/lib/libbig.so"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	tarball = filepath.Join(dir, "rootfs.tar.gz")
	treetest.Run(t, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", folder, "-czf", tarball, ".")
	image = filepath.Join(dir, "device.tar")
	treetest.Run(t, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", treetest.SampleTarget(t), "-cf", image, ".")
	return image, tarball, folder
}

// openPTY opens a pseudo-terminal pair: what is written to the second
// file a program sees as a terminal, and reads from the first.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("needs a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pseudo-terminal number: %v", err)
	}
	terminal, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, terminal
}

// On a terminal, copying a rootfs from a file shows a bar with the bytes
// done of the file's size and the percentage.
func TestProgressOnATerminalShowsThePercentage(t *testing.T) {
	image, tarball, _ := progressFixture(t)
	master, terminal := openPTY(t)
	seen := make(chan []byte)
	go func() {
		all, _ := io.ReadAll(master) // ends with EIO once the terminal is closed
		seen <- all
	}()
	var stdout bytes.Buffer
	out := filepath.Join(t.TempDir(), "out.tar")
	code := execute(context.Background(), []string{"image", image, "-o", out, "OCDM", "--rootfs", tarball, "--arch", "linux64"}, &stdout, terminal)
	terminal.Close()
	shown := <-seen
	if code != 0 {
		t.Fatalf("image: exit %d\n%s\n%s", code, stdout.String(), shown)
	}
	size, _ := os.Stat(tarball)
	total := regexp.QuoteMeta(byteCount(size.Size()))
	for _, want := range []string{
		`writing image +\d+% \|`,                                 // the percentage and the bar
		`\(\d[\d.]* ?[kM]?B?/` + total + `, [\d.]+ [kMGT]?B/s\)`, // bytes of the total, and the rate (TB/s: copied by the kernel at once)
		`writing image 100% \|`,                                  // left on the screen when done
	} {
		if !regexp.MustCompile(want).Match(shown) {
			t.Errorf("the terminal shows no %s:\n%q", want, shown)
		}
	}
}

// Without a terminal, --progress always writes plain lines, never a
// carriage return: from a file the bytes of its size, the percentage, the
// rate and the time left; from a folder (a stream) the bytes and the rate.
func TestProgressAlwaysWithoutATerminalWritesPlainLines(t *testing.T) {
	image, tarball, folder := progressFixture(t)
	for _, c := range []struct {
		name, source string
		every        bool
		want         []string
	}{
		// At the default pace a short copy has only its closing line.
		{"file", tarball, false, []string{`^writing image: \d.* of \d.* \(100%\), [\d.]+ [kMG]?B/s, done in \d+s\n$`}},
		{"file, a line per update", tarball, true, []string{
			`writing image: [\d.]+ [kM]?B of [\d.]+ MB \(\d+%\), [\d.]+ [kMG]?B/s, about \d+s left\n`,
			`writing image: [\d.]+ MB of [\d.]+ MB \(100%\), [\d.]+ [kMG]?B/s, done in \d+s\n$`,
		}},
		{"folder", folder, false, []string{`^writing image: [\d.]+ MB, [\d.]+ [kMG]?B/s, done in \d+s\n$`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.every {
				defer func(was time.Duration) { plainEvery = was }(plainEvery)
				plainEvery = 0
			}
			out := filepath.Join(t.TempDir(), "out.tar")
			stdout, stderr, code := run(t, "image", image, "-o", out, "OCDM", "--rootfs", c.source, "--arch", "linux64", "--progress", "always")
			if code != 0 {
				t.Fatalf("image: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if strings.Contains(stderr, "\r") {
				t.Errorf("a carriage return in what would be a log file:\n%q", stderr)
			}
			for _, want := range c.want {
				if !regexp.MustCompile(want).MatchString(stderr) {
					t.Errorf("stderr has no line %s:\n%s", want, stderr)
				}
			}
		})
	}
}
