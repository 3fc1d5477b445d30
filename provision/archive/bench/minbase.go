package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// minbaseTree returns the debootstrap --variant=minbase tree to measure:
// dir when given, else one kept in the cache, made there with debootstrap
// (from the Debian mirror) when it is missing and debootstrap is
// installed. The tree lives outside the clone: it is a build host's
// download, not a fixture.
func minbaseTree(cacheDir, dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "etc/debian_version")); err != nil {
			return "", fmt.Errorf("%s is no Debian tree: %w", dir, err)
		}
		return dir, nil
	}
	dir = filepath.Join(cacheDir, "minbase-tree")
	if _, err := os.Stat(filepath.Join(dir, "etc/debian_version")); err == nil {
		return dir, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", errors.New("debootstrap is not installed (apt-get install debootstrap), nor -minbase given")
	}
	part := dir + ".part"
	os.RemoveAll(part)
	fmt.Fprintf(os.Stderr, "making %s with debootstrap (once)\n", dir)
	cmd := exec.Command("debootstrap", "--variant=minbase", "bookworm", part, "http://deb.debian.org/debian")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(part)
		return "", fmt.Errorf("debootstrap: %v\n%s", err, out)
	}
	return dir, os.Rename(part, dir)
}
