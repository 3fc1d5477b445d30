# thunder-lxc.bbclass: put Thunder (WPEFramework) plugins into LXC containers
# inside the image's root filesystem, the Thunder LXC guide's steps done by
# `thunder-lxc provision` between do_rootfs and do_image, so every image type
# (tar, ext4, wic, ...) holds the containers.
#
# The task runs under pseudo, as do_rootfs and the image tasks do: the tool
# sees that it is in such a session and makes its changes through programs
# the session fakes (GNU tar, mv, chown, ...), so the containers' owners,
# devices and file capabilities are in the pseudo database the image tasks
# read. The tool itself must be on the build host: list it in HOSTTOOLS
# (local.conf: HOSTTOOLS += "thunder-lxc") or give its path in THUNDER_LXC.
#
# In an image recipe (or local.conf with IMAGE_CLASSES):
#   inherit thunder-lxc
#   THUNDER_LXC_CALLSIGNS = "OCDM"
#   THUNDER_LXC_OPTIONS = "--keep-id 1000 --share /var/log/TestLogging:TestLogging"
#
# See docs/yocto.md of thunder-lxc.

# The thunder-lxc program: a name found on the task's PATH (HOSTTOOLS), or a
# path.
THUNDER_LXC ?= "thunder-lxc"

# The callsigns of the plugins to containerize, separated by spaces.
THUNDER_LXC_CALLSIGNS ?= ""

# More flags of `thunder-lxc provision`: --keep-id, --share, --arch, --env,
# --net, --seccomp, --no-idmap, ... (split at spaces).
THUNDER_LXC_OPTIONS ?= ""

# The container's root filesystem: empty for the image's own root filesystem
# (the guide's "copy the whole rootfs"), else a tarball or folder on the
# build host.
THUNDER_LXC_ROOTFS ?= ""

# The Thunder path layout: auto, thunder (R5 and later) or wpeframework (R4).
THUNDER_LXC_LAYOUT ?= "auto"

# "1": run `thunder-lxc verify` afterwards and fail the build when something
# would stop a container from starting on the device.
THUNDER_LXC_VERIFY ?= "1"

# The device kernel's .config for verify's kernel checks, e.g.
# "${STAGING_KERNEL_BUILDDIR}/.config" together with
# do_thunder_lxc[depends] += "virtual/kernel:do_shared_workdir"; empty: none.
THUNDER_LXC_KERNEL_CONFIG ?= ""

do_thunder_lxc() {
	if [ -z "${THUNDER_LXC_CALLSIGNS}" ]; then
		bbfatal "thunder-lxc: THUNDER_LXC_CALLSIGNS is empty: name the plugin callsigns to put in containers, e.g. THUNDER_LXC_CALLSIGNS = \"OCDM\""
	fi
	set -f # the lists are split at spaces, never expanded as file names
	set -- --target "${IMAGE_ROOTFS}" --layout "${THUNDER_LXC_LAYOUT}" --progress never
	if [ -n "${THUNDER_LXC_ROOTFS}" ]; then
		set -- "$@" --rootfs "${THUNDER_LXC_ROOTFS}"
	fi
	# --force: a rerun of this task alone (new options, same rootfs)
	# replaces the containers the previous run made.
	${THUNDER_LXC} provision ${THUNDER_LXC_CALLSIGNS} "$@" --force ${THUNDER_LXC_OPTIONS}
	if [ "${THUNDER_LXC_VERIFY}" = "1" ]; then
		set -- --target "${IMAGE_ROOTFS}" --layout "${THUNDER_LXC_LAYOUT}"
		if [ -n "${THUNDER_LXC_KERNEL_CONFIG}" ]; then
			set -- "$@" --kernel-config "${THUNDER_LXC_KERNEL_CONFIG}"
		fi
		${THUNDER_LXC} verify ${THUNDER_LXC_CALLSIGNS} "$@"
	fi
}
do_thunder_lxc[fakeroot] = "1"
do_thunder_lxc[doc] = "Puts the THUNDER_LXC_CALLSIGNS plugins into LXC containers in the image's root filesystem"
addtask thunder_lxc after do_rootfs before do_image
