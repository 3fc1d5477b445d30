package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// corpusVersion names the cached corpora; change it when generate changes.
const corpusVersion = "v2"

// sizeClass is one band of the generated files' size mix, modelled on a
// Debian or Buildroot rootfs: most files are small configs, docs and
// scripts, the bytes are in shared libraries and a few big binaries.
type sizeClass struct {
	share    float64 // of the files
	min, max int
}

var sizeMix = []sizeClass{
	{0.60, 64, 4 << 10},
	{0.28, 4 << 10, 16 << 10},
	{0.10, 16 << 10, 64 << 10},
	{0.018, 64 << 10, 256 << 10},
	{0.002, 256 << 10, 4 << 20},
}

// generate writes a rootfs-like tree of about files files and size bytes
// into dir: nested folders, the size mix above, content that compresses
// like binaries and text do (a third of it random), relative and absolute
// symlinks, hardlinks, setuid files, an xattr here and there. The same
// seed gives the same tree.
func generate(dir string, files int, size int64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	mtime := time.Unix(1_700_000_000, 0)
	var dirs []string
	for _, top := range []string{"bin", "etc", "lib", "sbin", "usr/bin", "usr/lib", "usr/share/doc", "usr/share/locale", "var/lib", "opt"} {
		if err := os.MkdirAll(filepath.Join(dir, top), 0o755); err != nil {
			return err
		}
		dirs = append(dirs, top)
	}
	for len(dirs) < files/14 {
		parent := dirs[rng.IntN(len(dirs))]
		d := fmt.Sprintf("%s/d%04d", parent, len(dirs))
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
		dirs = append(dirs, d)
	}
	// The size mix (some 15 KB a file) scaled so the files add up to
	// about size bytes.
	var mean float64
	for _, c := range sizeMix {
		mean += c.share * float64(c.min+c.max) / 2
	}
	scale := float64(size) / (mean * float64(files))
	text := []byte("the quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet 0123456789\n")
	buf := make([]byte, 0, 32<<20)
	var names []string
	for i := range files {
		r, n := rng.Float64(), 0
		for _, c := range sizeMix {
			if r < c.share || c == sizeMix[len(sizeMix)-1] {
				n = int(float64(c.min+rng.IntN(c.max-c.min)) * scale)
				break
			}
			r -= c.share
		}
		buf = buf[:0]
		// 4 KiB blocks, a third of them random: compresses about as
		// well as a Debian rootfs does (gzip to some 40%).
		for len(buf) < n {
			end := min(len(buf)+4096, n)
			if rng.IntN(3) == 0 {
				for len(buf) < end {
					buf = append(buf, byte(rng.Uint32()))
				}
				continue
			}
			off := rng.IntN(len(text))
			for len(buf) < end {
				buf = append(buf, text[off])
				off = (off + 1) % len(text)
			}
		}
		name := fmt.Sprintf("%s/f%05d", dirs[rng.IntN(len(dirs))], i)
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o644)
		if i%5 == 0 {
			mode = 0o755
		}
		if err := os.WriteFile(p, buf[:n], mode); err != nil {
			return err
		}
		if i%997 == 0 {
			if err := os.Chmod(p, mode|os.ModeSetuid); err != nil {
				return err
			}
		}
		if i%499 == 0 {
			if err := exec.Command("setfattr", "-n", "user.bench", "-v", "x", p).Run(); err != nil {
				return fmt.Errorf("setfattr: %w", err)
			}
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			return err
		}
		names = append(names, name)
	}
	for i := range files / 13 {
		target := names[rng.IntN(len(names))]
		link := filepath.Join(dir, fmt.Sprintf("%s/l%05d", dirs[rng.IntN(len(dirs))], i))
		if i%3 == 0 {
			target = "/" + target // absolute, as in /etc/alternatives
		} else if rel, err := filepath.Rel(filepath.Dir(link), filepath.Join(dir, target)); err == nil {
			target = rel
		}
		if err := os.Symlink(target, link); err != nil {
			return err
		}
	}
	for i := range files / 100 {
		target := names[rng.IntN(len(names))]
		link := filepath.Join(dir, fmt.Sprintf("%s/h%05d", dirs[rng.IntN(len(dirs))], i))
		if err := os.Link(filepath.Join(dir, target), link); err != nil {
			return err
		}
	}
	return nil
}

// corpus is one tree and its tarballs.
type corpus struct {
	name string
	tree string
	tars map[string]string // by kind: tar, gz, xz, zst
}

// makeCorpus builds (once, then reuses) the tarballs of the kinds asked
// from tree, made by GNU tar and the real compressors, under cache/name;
// when fill is non-nil it makes the tree first, as cache/name/tree. An
// interrupted build leaves nothing taken for complete.
func makeCorpus(cache, name, tree string, kinds []string, fill func(dir string) error) (corpus, error) {
	dir := filepath.Join(cache, name)
	c := corpus{name: name, tree: tree, tars: map[string]string{}}
	if fill != nil {
		c.tree = filepath.Join(dir, "tree")
		if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
			fmt.Fprintf(os.Stderr, "making the %s corpus in %s (once)\n", name, dir)
			if err := os.RemoveAll(dir); err != nil {
				return c, err
			}
			if err := os.MkdirAll(c.tree, 0o755); err != nil {
				return c, err
			}
			if err := fill(c.tree); err != nil {
				return c, err
			}
			if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
				return c, err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	for _, kind := range kinds {
		p := filepath.Join(dir, "rootfs."+kind)
		if kind != "tar" {
			p = filepath.Join(dir, "rootfs.tar."+kind)
		}
		c.tars[kind] = p
		if _, err := os.Stat(p); err == nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "making %s\n", p)
		script := `tar --numeric-owner --xattrs --xattrs-include='*' -cf - -C "$1" . `
		switch kind {
		case "gz":
			script += `| pigz -6`
		case "xz":
			script += `| xz -6 -T2`
		case "zst":
			script += `| zstd -19 -T2 -q`
		}
		cmd := exec.Command("bash", "-c", "set -o pipefail; "+script+` > "$2.part" && mv "$2.part" "$2"`, "bash", c.tree, p)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return c, fmt.Errorf("make %s: %w", p, err)
		}
	}
	return c, nil
}
