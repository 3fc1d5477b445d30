#!/bin/sh
# Buildroot post-fakeroot script (BR2_ROOTFS_POST_FAKEROOT_SCRIPT): puts the
# plugins named in BR2_PACKAGE_HOST_THUNDER_LXC_CALLSIGNS into LXC containers
# inside the target folder Buildroot is about to pack, so every filesystem
# image it makes (rootfs.tar, rootfs.ext4, ...) holds the containers.
#
# Buildroot runs it inside its fakeroot session, after it has applied the
# owners, the users table and the device and permission tables to its copy of
# the target: the container's rootfs (the target itself, minus container
# folders, as the Thunder LXC guide does it) gets the owners the image will
# have, and no sudo is needed. Each image type gets a fresh copy of the
# target, so reruns and several image types never find an earlier container.
#
# Usage (by Buildroot): post-fakeroot.sh TARGET_DIR [ignored arguments]
set -eu

target=$1
# shellcheck source-path=SCRIPTDIR source=config.sh
. "$(dirname "$0")/config.sh"

set -f # the options are split at spaces, never expanded as file names
# shellcheck disable=SC2086 # split $callsigns and $options into words
exec "$HOST_DIR/bin/thunder-lxc" provision $callsigns --target "$target" $options
