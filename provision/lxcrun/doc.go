// Package lxcrun starts a provisioned container on the build host the way
// Thunder starts it on the device, so a developer or a CI job sees it start
// before an image is flashed: Thunder's search for the container, the
// config exactly as written, Thunder's environment, real LXC (lxc-execute).
//
// The config names device paths, so LXC runs in a private mount namespace
// (a View) in which the target's folders appear at those paths. The rule
// the package keeps: nothing on the build host changes, the target
// included. The target's folders are shown through overlays whose upper
// layers are in memory, the device's run-time folders are fresh tmpfs,
// LXC's lock files and root's extra sub-ID grants live in the view's
// memory, and all of it ends with the namespace.
//
// A rootfs of another architecture runs through the kernel's binfmt_misc
// handler for it (qemu-user), which must be registered with the F flag.
package lxcrun
