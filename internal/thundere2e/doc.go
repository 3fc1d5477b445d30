// Package thundere2e runs real Thunder on a device folder that thunder-lxc
// provisioned, and asks the test plugin Probe (testdata/thunder-probe) where
// its out-of-process part runs: the tool's promise is not that LXC starts
// a container but that Thunder runs the plugin in it.
//
// `make e2e-thunder` (scripts/e2e-thunder.sh) builds Thunder, the plugin
// and a device base (a Debian minbase with LXC) into a cache and names them
// in the environment (Inputs); the tests put a device together from them,
// provision it with the tool and start Thunder in it.
//
// Thunder runs as it would on the device: its root is the device folder,
// reached with pivot_root in a private mount namespace (LXC cannot make a
// user namespace from inside a chroot), in a network namespace of its own
// (so two runs cannot meet on a port or on LXC's abstract command socket),
// with the device's /tmp and volatile path on folders of the test. The host
// keeps nothing of it: the namespaces end with Thunder, and whatever Thunder
// and LXC leave running is killed (the test process is their subreaper).
package thundere2e
