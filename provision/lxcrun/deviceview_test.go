package lxcrun

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree writes files (name → content; a name ending in "/" is a
// folder) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The view shows what the config names from the target, the run-time
// folders fresh, and says where it differs from the device.
func TestDeviceViewShowsWhatTheConfigNames(t *testing.T) {
	target := t.TempDir()
	const dir = "/usr/share/Thunder/OCDM/Container"
	writeTree(t, target, map[string]string{
		"etc/Thunder/config.json":          `{"volatilepath": "/tmp", "communicator": "/var/run/thunder/communicator|0777"}`,
		"etc/Thunder/plugins/OCDM.json":    `{"callsign": "OCDM", "classname": "OCDM", "configuration": {"root": {"mode": "Container"}}}`,
		"usr/share/lxc/config/common.conf": "lxc.tty.max = 4\n",
		"opt/rootfs/bin/":                  "",
		"var/log/share/":                   "",
		dir[1:] + "/config": `lxc.include = /usr/share/lxc/config/common.conf
lxc.include = /etc/lxc/extra/
lxc.rootfs.path = dir:/opt/rootfs
lxc.mount.entry = /tmp tmp none bind,create=dir 0 0
lxc.mount.entry = /var/run/thunder var/run/thunder none bind,create=dir 0 0
lxc.mount.entry = /var/log/share share none bind 0 0
lxc.mount.entry = /tmp/sockets sockets none bind,create=dir 0 0
lxc.mount.entry = /dev/dri dev/dri none bind,optional,create=dir 0 0
lxc.mount.entry = /opt/thunder-lxc-nowhere nowhere none bind 0 0
lxc.mount.entry = proc proc proc nodev 0 0
`,
	})
	c, err := openContainer(target, "auto", "OCDM")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if c.dir != dir || c.rootfsPath != "/opt/rootfs" {
		t.Fatalf("container %s, rootfs %s", c.dir, c.rootfsPath)
	}
	dv, err := c.deviceView()
	if err != nil {
		t.Fatal(err)
	}
	shown := func(p string) string { return filepath.Join(target, p) + " shown (writes kept in memory)" }
	want := []string{
		"/etc/lxc/extra: an empty tmpfs",
		"/opt/rootfs: " + shown("opt/rootfs"),
		"/tmp: an empty tmpfs",
		dir + ": " + shown(dir[1:]),
		"/usr/share/lxc/config: " + shown("usr/share/lxc/config"),
		"/var/log/share: " + shown("var/log/share"),
		"/var/run/thunder: an empty tmpfs",
		"/run/lxc: the view's memory",
	}
	if got := dv.Describe(); !slices.Equal(got, want) {
		t.Errorf("view:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, note := range []string{
		"/etc/lxc/extra: not in the target, so LXC sees it empty",
		"/tmp/sockets: made empty in a run-time folder, as a service on the device would",
		"/opt/thunder-lxc-nowhere: not in the target, nor on the build host: LXC fails to bind it unless the entry is optional, as on the device",
	} {
		if !slices.Contains(dv.notes, note) {
			t.Errorf("notes %q lack %q", dv.notes, note)
		}
	}
	if len(dv.markers) != 2 || !strings.HasPrefix(dv.markers["/tmp"], "/tmp/.thunder-lxc-run-") || !strings.HasPrefix(dv.markers["/var/run/thunder"], "/var/run/thunder/") {
		t.Errorf("markers %v: want one in /tmp and one in the communicator's folder", dv.markers)
	}
	if probes := c.shareProbes(); len(probes) == 0 || slices.ContainsFunc(probes, func(p ShareProbe) bool { return p.Source != "/var/log/share" }) {
		t.Errorf("share probes %+v: want /var/log/share's only", probes)
	}
}

// A container with a network of its own gets LXC a private network too,
// one sharing the device's does not.
func TestOwnNetwork(t *testing.T) {
	for config, want := range map[string]bool{
		"lxc.net.0.type = empty\n":                        true,
		"lxc.net.0.type = empty\nlxc.net.1.type = veth\n": false,
		"lxc.net.0.type = none\n":                         false,
		"lxc.uts.name = OCDM\n":                           false,
	} {
		target := t.TempDir()
		writeTree(t, target, map[string]string{
			"etc/Thunder/plugins/OCDM.json":            `{"callsign": "OCDM", "classname": "OCDM"}`,
			"usr/share/Thunder/OCDM/Container/config":  config + "lxc.rootfs.path = dir:/usr/share/Thunder/OCDM/Container/rootfs\n",
			"usr/share/Thunder/OCDM/Container/rootfs/": "",
		})
		c, err := openContainer(target, "auto", "OCDM")
		if err != nil {
			t.Fatal(err)
		}
		dv, err := c.deviceView()
		c.close()
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(dv.Describe(), "network: a namespace of the view's own"); got != want {
			t.Errorf("%q: private network %v, want %v", config, got, want)
		}
	}
}
