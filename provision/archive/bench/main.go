// Command bench compares unpacking and copying a root filesystem with the
// archive package against the tools a user would otherwise run (GNU tar,
// bsdtar, pigz, cp -a), side by side in one run: `make bench`.
//
// Each comparison runs pairs, the order alternating within the pair, each
// run into a fresh folder after a sync; trees are deleted only when a
// comparison is over (deleting between timings made timings noisy). Both
// sides run as child processes, so wall time, CPU time (user + system) and
// peak memory (max RSS) are measured alike. On a shared machine trust CPU
// time over wall time.
//
//	go run ./provision/archive/bench [-runs 5] [-dir DIR] [-minbase DIR] [-big]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "ours" {
		if err := ours(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	runs := flag.Int("runs", 5, "pairs per comparison")
	work := flag.String("dir", os.TempDir(), "folder the trees are unpacked into (its filesystem is measured)")
	cacheDir := flag.String("cache", defaultCache(), "folder the corpora are kept in between runs")
	minbase := flag.String("minbase", os.Getenv("THUNDER_LXC_BENCH_MINBASE"), "a debootstrap --variant=minbase tree (made there when missing and debootstrap is installed)")
	big := flag.Bool("big", true, "also unpack a 1 GB corpus (two runs), for peak memory")
	only := flag.String("only", "", "run the comparisons of this input kind only (tar, gz, xz, zst, folder)")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: run as root (unpacking sets owners and devices)")
		os.Exit(2)
	}
	b := &bench{runs: *runs, work: *work, only: *only}
	if err := b.run(*cacheDir, *minbase, *big); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func defaultCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "thunder-lxc", "bench-"+corpusVersion)
	}
	return filepath.Join(os.TempDir(), "thunder-lxc-bench-"+corpusVersion)
}

// ours is this side of a comparison, the calls provision makes: a tarball
// (any compression) is unpacked by Extract, a folder copied by CopyDir.
func ours(src, dest string) error {
	ctx := context.Background()
	if info, err := os.Stat(src); err == nil && info.IsDir() {
		_, err := archive.CopyDir(ctx, src, dest, nil, archive.ExtractOptions{})
		return err
	}
	r, _, err := archive.OpenTarballContext(ctx, src)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = archive.Extract(ctx, r, dest, archive.ExtractOptions{})
	return err
}
