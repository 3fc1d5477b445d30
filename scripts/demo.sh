#!/usr/bin/env bash
# make demo: build a small sample rootfs tarball and target from testdata/,
# provision OCDM into the target, and show the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/thunder-lxc
demo=demo
rm -rf "$demo"
mkdir -p "$demo/rootfs"

# The rootfs: the sample's text files, the usual folders, one real ELF
# program so lxc.arch can be read from it (busybox when installed), and a
# stand-in for Thunder's hosting process ThunderPlugin (a script that says
# what it is), which verify looks for on the container's PATH.
cp -a testdata/sample-rootfs/. "$demo/rootfs/"
cp -a testdata/sample-hosting/. "$demo/rootfs/"
mkdir -p "$demo/rootfs"/{bin,sbin,dev,proc,sys,tmp,root,usr/bin,var/log}
chmod 1777 "$demo/rootfs/tmp"
chmod 0700 "$demo/rootfs/root"
elf=$(command -v busybox || true)
[ -n "$elf" ] || elf=$(readlink -f /bin/sh)
cp "$elf" "$demo/rootfs/bin/busybox"
for applet in sh ls cat id; do ln -s busybox "$demo/rootfs/bin/$applet"; done
ln -s /bin/busybox "$demo/rootfs/sbin/init"
tar --numeric-owner --owner=0 --group=0 -C "$demo/rootfs" -czf "$demo/rootfs.tar.gz" .

# The target: a minimal Thunder R5 root filesystem.
cp -a testdata/sample-target "$demo/target"

run=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then
    run=(sudo)
  else
    echo "note: not root and no sudo: showing the plan only (--dry-run)"
    set -- --dry-run
  fi
fi
echo "\$ thunder-lxc provision OCDM --target $demo/target --rootfs $demo/rootfs.tar.gz $*"
"${run[@]}" "$bin" provision OCDM --target "$demo/target" --rootfs "$demo/rootfs.tar.gz" "$@"
echo
echo "== $demo/target/usr/share/Thunder/OCDM/Container/config"
cat "$demo/target/usr/share/Thunder/OCDM/Container/config" 2>/dev/null || true
echo "== plugin mode"
grep -n '"mode"' "$demo/target/etc/Thunder/plugins/OCDM.json"
echo "== seccomp line of common.conf"
grep -n 'seccomp' "$demo/target/usr/share/lxc/config/common.conf"
echo "== second run (changes nothing)"
"${run[@]}" "$bin" provision OCDM --target "$demo/target" --rootfs "$demo/rootfs.tar.gz" "$@"
echo
echo "== thunder-lxc verify: what would stop the container on the device"
echo "   (the sample rootfs is busybox with a stand-in ThunderPlugin script; the"
echo "   sample target has no liblxc, which verify notes without failing)"
echo "\$ thunder-lxc verify --target $demo/target"
if [ "$*" = --dry-run ]; then
  echo "(skipped: the dry run provisioned nothing)"
else
  "${run[@]}" "$bin" verify --target "$demo/target"
fi

# The same job as an ordinary user, on a whole device image tarball (what a
# Buildroot or Yocto build leaves): no root, nothing unpacked.
echo
echo "== no root: the same on the device's image tarball"
mkdir -p "$demo/device"
cp -a testdata/sample-target/. "$demo/device/"
cp -a "$demo/rootfs/." "$demo/device/"
tar --numeric-owner --owner=0 --group=0 -C "$demo/device" -cf "$demo/device.tar" .
echo "\$ thunder-lxc image $demo/device.tar -o $demo/device-lxc.tar.gz OCDM"
"$bin" image "$demo/device.tar" -o "$demo/device-lxc.tar.gz" OCDM
echo "== in $demo/device-lxc.tar.gz (owners shifted to the ID map)"
tar --numeric-owner -tvzf "$demo/device-lxc.tar.gz" | grep -E 'Container/(config|rootfs/|rootfs/bin/busybox)$'
