package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// benchInputMB is the size of the benchmark's rootfs tarball, 1 GiB unless
// THUNDER_LXC_BENCH_MB says otherwise.
func benchInputMB() int {
	if v, err := strconv.Atoi(os.Getenv("THUNDER_LXC_BENCH_MB")); err == nil && v > 0 {
		return v
	}
	return 1024
}

// writeBenchRootfs writes a plain tar holding the sample Thunder target and
// about mb MiB of library-like files (7,000 of them at 1 GiB, sizes from
// 1 KiB to 1 MiB), as a Buildroot rootfs.tar would hold.
func writeBenchRootfs(b *testing.B, path string, mb int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	mt := time.Unix(1_700_000_000, 0)
	sample := filepath.Join(treetest.RepoRoot(b), "testdata/sample-target")
	err = filepath.WalkDir(sample, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sample, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = filepath.ToSlash(rel), 0, 0, "", ""
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	content := make([]byte, 1<<20)
	for i := range content {
		content[i] = byte(i*7 + i>>9)
	}
	total, want := int64(0), int64(mb)<<20
	for i := 0; total < want; i++ {
		if i%100 == 0 {
			dir := &tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("usr/lib/pkg-%04d/", i/100), Mode: 0o755, ModTime: mt}
			if err := tw.WriteHeader(dir); err != nil {
				b.Fatal(err)
			}
		}
		size := int64(1024) << (i % 11) // 1 KiB .. 1 MiB
		h := &tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("usr/lib/pkg-%04d/lib%05d.so", i/100, i),
			Mode: 0o755, Size: size, ModTime: mt}
		if err := tw.WriteHeader(h); err != nil {
			b.Fatal(err)
		}
		if _, err := tw.Write(content[:size]); err != nil {
			b.Fatal(err)
		}
		total += size
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
}

// measured is one program's run: wall and CPU time, peak memory.
type measured struct {
	wall, cpu time.Duration
	maxRSS    int64 // bytes
}

func measure(b *testing.B, name string, args ...string) measured {
	b.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return measured{
		wall:   time.Since(start),
		cpu:    cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		maxRSS: ru.Maxrss << 10,
	}
}

// BenchmarkImageVersusCp runs `image` on a plain rootfs tarball (1 GiB by
// default) side by side with `cp` of the same file, alternating which goes
// first, each into a fresh output, and reports both times, their ratio
// (the goal: image within 2.5× of cp, since its output holds the input
// twice) and image's peak memory (the goal: under 64 MiB).
func BenchmarkImageVersusCp(b *testing.B) {
	work := b.TempDir()
	bin := filepath.Join(work, "thunder-lxc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	in := filepath.Join(work, "rootfs.tar")
	writeBenchRootfs(b, in, benchInputMB())
	exec.Command("sync").Run()
	var image, cp measured
	var rss int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		imageOut, cpOut := filepath.Join(work, fmt.Sprintf("image-%d.tar", i)), filepath.Join(work, fmt.Sprintf("cp-%d.tar", i))
		runImage := func() measured {
			return measure(b, bin, "image", in, "-o", imageOut, "OCDM", "--arch", "linux64", "--progress", "never")
		}
		runCp := func() measured { return measure(b, "cp", in, cpOut) }
		var m, c measured
		if i%2 == 0 {
			m, c = runImage(), runCp()
		} else {
			c, m = runCp(), runImage()
		}
		image.wall, image.cpu = image.wall+m.wall, image.cpu+m.cpu
		cp.wall, cp.cpu = cp.wall+c.wall, cp.cpu+c.cpu
		rss = max(rss, m.maxRSS)
		os.Remove(imageOut)
		os.Remove(cpOut)
	}
	n := float64(b.N)
	b.ReportMetric(image.wall.Seconds()/n, "image-s")
	b.ReportMetric(cp.wall.Seconds()/n, "cp-s")
	b.ReportMetric(image.wall.Seconds()/cp.wall.Seconds(), "wall-ratio")
	b.ReportMetric(image.cpu.Seconds()/n, "image-cpu-s")
	b.ReportMetric(cp.cpu.Seconds()/n, "cp-cpu-s")
	b.ReportMetric(float64(rss)/(1<<20), "image-maxrss-MiB")
}
