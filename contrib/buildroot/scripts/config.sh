#!/bin/sh
# Sourced by the hook scripts beside it. Reads the plugins to put into
# containers and the extra thunder-lxc flags from Buildroot's configuration
# (BR2_CONFIG, which Buildroot exports to every hook script) into $callsigns
# and $options, and stops the build when no callsign is set: an image the
# user expects to hold containers must not come out without them.
#
# Arguments to the hook scripts are ignored on purpose: Buildroot passes
# BR2_ROOTFS_POST_SCRIPT_ARGS to every hook (qemu_x86_64_defconfig passes
# the defconfig's path there), so they cannot tell callsigns apart.

# br_config_string NAME: string option NAME from BR2_CONFIG with the escapes
# Kconfig writes (\" and \\) undone; empty when the option is unset.
br_config_string() {
	sed -n -e "/^$1=\"/!d" -e 's/^[^=]*="\(.*\)"$/\1/' \
		-e 's/\\\(.\)/\1/g' -e p "$BR2_CONFIG"
}

if [ -z "${BR2_CONFIG:-}" ] || [ ! -r "$BR2_CONFIG" ]; then
	echo "$0: BR2_CONFIG names no readable Buildroot .config;" \
		"run this script from Buildroot's hooks" >&2
	exit 1
fi
if [ ! -x "${HOST_DIR:-}/bin/thunder-lxc" ]; then
	echo "$0: ${HOST_DIR:-\$HOST_DIR}/bin/thunder-lxc is missing;" \
		"select BR2_PACKAGE_HOST_THUNDER_LXC" >&2
	exit 1
fi
callsigns=$(br_config_string BR2_PACKAGE_HOST_THUNDER_LXC_CALLSIGNS)
# shellcheck disable=SC2034 # read by the scripts that source this file
options=$(br_config_string BR2_PACKAGE_HOST_THUNDER_LXC_OPTIONS)
if [ -z "$callsigns" ]; then
	echo "$0: no plugin to put into a container;" \
		"set BR2_PACKAGE_HOST_THUNDER_LXC_CALLSIGNS" \
		"(External options > host thunder-lxc > callsigns)" >&2
	exit 1
fi
