// Package lxc holds what LXC knows: config rendering, ID map ranges, the
// common.conf seccomp patch, the architecture of a rootfs from its ELF files,
// and the kernel configuration LXC needs.
package lxc
