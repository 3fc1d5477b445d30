#!/bin/sh
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): writes
# rootfs-thunder-lxc.tar beside Buildroot's rootfs.tar, holding rootfs.tar's
# entries plus the LXC containers of the plugins named in
# BR2_PACKAGE_HOST_THUNDER_LXC_CALLSIGNS, each container's rootfs being
# rootfs.tar itself. Only that new tarball holds the containers: the images
# Buildroot made before (rootfs.ext4, ...) do not. Use post-fakeroot.sh when
# they should.
#
# thunder-lxc image reads and writes tarballs, so no root, sudo or fakeroot
# is needed, and rootfs.tar, which Buildroot makes afresh on every build, is
# never changed: a rerun starts from a clean input.
#
# Usage (by Buildroot): post-image.sh BINARIES_DIR [ignored arguments]
# Needs BR2_TARGET_ROOTFS_TAR=y.
set -eu

images=$1
# shellcheck source-path=SCRIPTDIR source=config.sh
. "$(dirname "$0")/config.sh"

if [ ! -f "$images/rootfs.tar" ]; then
	echo "$0: $images/rootfs.tar is missing; select BR2_TARGET_ROOTFS_TAR" \
		"(Filesystem images > tar the root filesystem)" >&2
	exit 1
fi

set -f # the options are split at spaces, never expanded as file names
# shellcheck disable=SC2086 # split $callsigns and $options into words
exec "$HOST_DIR/bin/thunder-lxc" image "$images/rootfs.tar" \
	-o "$images/rootfs-thunder-lxc.tar" $callsigns $options
