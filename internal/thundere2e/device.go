package thundere2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"testing"

	"github.com/tidwall/sjson"
)

// Release is where one Thunder release keeps things on the device.
type Release struct {
	Name string
	// Program is Thunder's executable, Config its main config, Plugins the
	// folder of plugin configs, DataPath the default data path (device
	// paths).
	Program, Config, Plugins, DataPath string
	// HostProcess is the program Thunder starts for an out-of-process
	// plugin, in its container when it has one.
	HostProcess string
	// Locator is the test plugin's library.
	Locator string
}

// ThunderR5 is Thunder R5.3; WPEFrameworkR4 is WPEFramework R4.4.
var (
	ThunderR5 = Release{
		Name: "Thunder R5.3", Program: "/usr/bin/Thunder", Config: "/etc/Thunder/config.json",
		Plugins: "/etc/Thunder/plugins", DataPath: "/usr/share/Thunder",
		HostProcess: "ThunderPlugin", Locator: "libThunderProbe.so",
	}
	WPEFrameworkR4 = Release{
		Name: "WPEFramework R4.4", Program: "/usr/bin/WPEFramework", Config: "/etc/WPEFramework/config.json",
		Plugins: "/etc/WPEFramework/plugins", DataPath: "/usr/share/WPEFramework",
		HostProcess: "WPEProcess", Locator: "libWPEFrameworkProbe.so",
	}
)

// Callsign is the test plugin's callsign and class name.
const Callsign = "Probe"

// Port is where Thunder answers JSON-RPC, on 127.0.0.1 of its own network
// namespace.
const Port = 55555

// Device is a device's root filesystem in a folder of the build host, with
// Thunder and the test plugin installed (as their install rules leave
// them), not yet provisioned.
type Device struct {
	// Dir is the folder on the build host.
	Dir     string
	Release Release
}

// NewDevice puts a device together in a new temporary folder: the device
// base, Thunder's and the plugin's staged installs copied over it (cp -a,
// so what Thunder's install rule sets on folders, such as the mode of /,
// is kept), a config for Thunder that logs every message category, and the
// plugin's config in mode Local with configuration (merged into its
// "configuration" object).
func NewDevice(t testing.TB, in Inputs, r Release, configuration map[string]any) *Device {
	t.Helper()
	d := &Device{Dir: filepath.Join(t.TempDir(), "device"), Release: r}
	run(t, "cp", "-a", in.DeviceBase, d.Dir)
	run(t, "cp", "-a", in.Thunder+"/.", d.Dir+"/")
	// The plugin's files, not its staging folder's own mode, which would
	// undo what Thunder's install set on /.
	run(t, "cp", "-a", filepath.Join(in.Probe, "usr"), d.Dir+"/")
	for _, dir := range []string{r.Plugins, r.DataPath} {
		if err := os.MkdirAll(d.Path(dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d.SetConfig(t, "port", Port)
	d.SetConfig(t, "binding", "127.0.0.1")
	// The category the plugin logs in, which Thunder's default config
	// leaves off.
	d.SetConfig(t, "messaging.logging.settings", []map[string]any{{"category": "Notification", "enabled": true}})
	// LXC's log, in the device's /tmp (Thunder.LXCLog).
	d.SetConfig(t, "processcontainers", map[string]string{"logging": "DEBUG", "loggingdir": "/tmp/lxc"})
	conf := map[string]any{"root": map[string]any{"mode": "Local"}}
	for k, v := range configuration {
		conf[k] = v
	}
	plugin, err := json.MarshalIndent(map[string]any{
		"callsign": Callsign, "locator": r.Locator, "classname": Callsign,
		"startmode": "Deactivated", "configuration": conf,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	d.WriteFile(t, path.Join(r.Plugins, Callsign+".json"), plugin)
	return d
}

// Path is the build-host path of the device path p.
func (d *Device) Path(p string) string { return filepath.Join(d.Dir, filepath.FromSlash(p)) }

// ReadFile reads the device's file p.
func (d *Device) ReadFile(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(d.Path(p))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// WriteFile writes the device's file p.
func (d *Device) WriteFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(d.Path(p), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// SetConfig sets key (gjson path syntax) of Thunder's main config, as the
// image's maker would, the rest of the file kept.
func (d *Device) SetConfig(t testing.TB, key string, value any) {
	t.Helper()
	data, err := sjson.SetBytes(d.ReadFile(t, d.Release.Config), key, value)
	if err != nil {
		t.Fatalf("set %s in %s: %v", key, d.Release.Config, err)
	}
	d.WriteFile(t, d.Release.Config, data)
}

// ContainerDir is the device path of the plugin's container folder.
func (d *Device) ContainerDir() string { return path.Join(d.Release.DataPath, Callsign, "Container") }

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
