// Package lxc holds what LXC knows: config rendering and reading (the keys
// and lxc.arch names liblxc accepts, includes, ID map lines), ID map
// ranges, the common.conf seccomp patch, the architecture of a rootfs from
// its ELF files, and the kernel configuration LXC needs.
package lxc
