package thundere2e

import (
	"os"
	"path/filepath"
	"testing"
)

// Inputs are what scripts/e2e-thunder.sh built, from its cache.
type Inputs struct {
	// Thunder is Thunder's staged install (a DESTDIR tree: usr/bin/Thunder,
	// etc/Thunder/config.json, ...).
	Thunder string
	// Probe is the test plugin's staged install.
	Probe string
	// DeviceBase is the device's root filesystem before Thunder is
	// installed: a Debian minbase with LXC.
	DeviceBase string
}

// The environment variables naming the inputs of one Thunder release.
type inputVars struct{ thunder, probe, device string }

// R5 are Thunder R5.3's (namespace Thunder, hosting process ThunderPlugin).
var R5 = inputVars{"THUNDER_LXC_E2E_THUNDER", "THUNDER_LXC_E2E_PROBE", "THUNDER_LXC_E2E_DEVICE"}

// R4 are WPEFramework R4.4's (namespace WPEFramework, hosting process
// WPEProcess); the device base is the same.
var R4 = inputVars{"THUNDER_LXC_E2E_WPEFRAMEWORK", "THUNDER_LXC_E2E_PROBE_R4", "THUNDER_LXC_E2E_DEVICE"}

// NeedInputs returns the inputs the variables name, or skips the test
// saying how to have them: make e2e-thunder builds them.
func NeedInputs(t testing.TB, v inputVars) Inputs {
	t.Helper()
	in := Inputs{Thunder: os.Getenv(v.thunder), Probe: os.Getenv(v.probe), DeviceBase: os.Getenv(v.device)}
	for name, dir := range map[string]string{v.thunder: in.Thunder, v.probe: in.Probe, v.device: in.DeviceBase} {
		if dir == "" {
			t.Skipf("needs real Thunder built with the test plugin: run make e2e-thunder, which builds them and sets %s (unset here)", name)
		}
		if _, err := os.Stat(filepath.Join(dir, "usr")); err != nil {
			t.Skipf("needs real Thunder built with the test plugin: %s=%s is no staged install (%v); make e2e-thunder builds it", name, dir, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: Thunder starts LXC containers (make e2e-thunder runs as root)")
	}
	return in
}
