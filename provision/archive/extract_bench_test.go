package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// writeBenchArchive writes a plain tar of files folders with perFolder
// files of size bytes each, to a file GNU tar can read as well.
func writeBenchArchive(b *testing.B, path string, folders, perFolder, size int) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i*7 + i>>9) // not all zeros: nothing can skip it
	}
	mt := time.Unix(1_600_000_000, 0)
	for d := range folders {
		dir := fmt.Sprintf("usr/lib/pkg-%03d", d)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mt}); err != nil {
			b.Fatal(err)
		}
		for i := range perFolder {
			h := &tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("%s/file-%04d.so", dir, i),
				Mode: 0o644, Size: int64(size), ModTime: mt, Uid: 0, Gid: 0}
			if err := tw.WriteHeader(h); err != nil {
				b.Fatal(err)
			}
			if _, err := tw.Write(content); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkExtract compares Extract with GNU tar on the same archive, each
// run into a fresh folder (deleting trees between runs would skew timings;
// they are removed after the benchmark).
func BenchmarkExtract(b *testing.B) {
	needRoot(b)
	dir := b.TempDir()
	archives := []struct {
		name                     string
		folders, perFolder, size int
	}{
		{"small-files-3000x2KiB", 60, 50, 2 << 10},
		{"large-files-4x32MiB", 1, 4, 32 << 20},
	}
	for _, a := range archives {
		path := filepath.Join(dir, a.name+".tar")
		size := writeBenchArchive(b, path, a.folders, a.perFolder, a.size)
		runs := 0
		fresh := func(b *testing.B) string {
			runs++
			d := filepath.Join(dir, fmt.Sprintf("out-%s-%d", a.name, runs))
			if err := os.Mkdir(d, 0o755); err != nil {
				b.Fatal(err)
			}
			return d
		}
		b.Run(a.name+"/Extract", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				dest := fresh(b)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := Extract(context.Background(), f, dest, ExtractOptions{}); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
		// Paired: Extract and GNU tar alternate within one loop, so drift of
		// a shared disk hits both alike; CPU time (user+sys) shows the
		// overhead beyond the kernel's work, which wall time hides.
		b.Run(a.name+"/paired", func(b *testing.B) {
			if _, err := exec.LookPath("tar"); err != nil {
				b.Skip("needs GNU tar")
			}
			var oursWall, gnuWall, oursCPU, gnuCPU time.Duration
			for b.Loop() {
				dest := fresh(b)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				cpu0, t0 := cpuTime(b), time.Now()
				if _, err := Extract(context.Background(), f, dest, ExtractOptions{}); err != nil {
					b.Fatal(err)
				}
				oursWall += time.Since(t0)
				oursCPU += cpuTime(b) - cpu0
				f.Close()

				cmd := exec.Command("tar", append(append([]string{}, gnuTarFlags...), "-xpf", path, "-C", fresh(b))...)
				t0 = time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("tar: %v\n%s", err, out)
				}
				gnuWall += time.Since(t0)
				gnuCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			n := float64(b.N)
			b.ReportMetric(float64(oursWall.Milliseconds())/n, "extract-ms/op")
			b.ReportMetric(float64(gnuWall.Milliseconds())/n, "gnutar-ms/op")
			b.ReportMetric(float64(oursCPU.Milliseconds())/n, "extract-cpu-ms/op")
			b.ReportMetric(float64(gnuCPU.Milliseconds())/n, "gnutar-cpu-ms/op")
		})
		b.Run(a.name+"/gnu-tar", func(b *testing.B) {
			if _, err := exec.LookPath("tar"); err != nil {
				b.Skip("needs GNU tar")
			}
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				dest := fresh(b)
				cmd := exec.Command("tar", append(append([]string{}, gnuTarFlags...), "-xpf", path, "-C", dest)...)
				b.StartTimer()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("tar: %v\n%s", err, out)
				}
			}
		})
	}
}

// cpuTime is this process's user+system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCreateInFolder compares the two safe ways to create a file four
// folders deep: openat of the last component relative to the folder's
// cached descriptor (what Extract does), and openat2 of the whole name
// relative to the root with RESOLVE_IN_ROOT, which needs no folder
// descriptor but walks every component again in the kernel. Each run
// creates b.N files in fresh folders.
func BenchmarkCreateInFolder(b *testing.B) {
	const depth = "usr/lib/x86_64-linux-gnu/pkg"
	setup := func(b *testing.B) (root, dir int) {
		tmp := b.TempDir()
		if err := os.MkdirAll(filepath.Join(tmp, depth), 0o755); err != nil {
			b.Fatal(err)
		}
		root, err := unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		dir, err = unix.Open(filepath.Join(tmp, depth), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { unix.Close(root); unix.Close(dir) })
		return root, dir
	}
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	b.Run("openat-cached-folder", func(b *testing.B) {
		_, dir := setup(b)
		i, cpu0 := 0, cpuTime(b)
		for b.Loop() {
			fd, err := unix.Openat(dir, "f"+strconv.Itoa(i), flags, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			unix.Close(fd)
			i++
		}
		b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("openat2-resolve-in-root", func(b *testing.B) {
		root, _ := setup(b)
		how := &unix.OpenHow{Flags: flags, Mode: 0o644, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
		i, cpu0 := 0, cpuTime(b)
		for b.Loop() {
			fd, err := unix.Openat2(root, depth+"/f"+strconv.Itoa(i), how)
			if errors.Is(err, unix.ENOSYS) {
				b.Skip("the kernel has no openat2")
			}
			if err != nil {
				b.Fatal(err)
			}
			unix.Close(fd)
			i++
		}
		b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	})
}
