package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// stateFile sits in the container folder (which LXC ignores apart from
// config and the rootfs) and records what a run did: enough for a second
// identical run to do nothing, and for remove to restore the plugin's mode.
const stateFile = ".thunder-lxc.json"

// State is the content of stateFile.
type State struct {
	Tool     string `json:"tool"`
	Callsign string `json:"callsign"`
	// PluginConfig is the device path of the plugin's JSON config.
	PluginConfig string `json:"pluginConfig"`
	// PreviousMode is the plugin's mode before the first provisioning.
	PreviousMode thunder.ModeState `json:"previousMode"`
	// Arch is the lxc.arch written, detected or given.
	Arch string `json:"arch"`
	// Fingerprint covers the source and every option that shapes the rootfs.
	Fingerprint string `json:"fingerprint"`
}

// readState returns the state of the container folder dir (device path);
// ok is false when there is none or it cannot be read as one.
func readState(root inroot.FS, dir string) (State, bool) {
	data, err := inroot.ReadFile(root, path.Join(dir, stateFile))
	if err != nil {
		return State{}, false
	}
	var s State
	if json.Unmarshal(data, &s) != nil {
		return State{}, false
	}
	return s, true
}

func (s State) encode() []byte {
	data, _ := json.MarshalIndent(s, "", "  ")
	return append(data, '\n')
}

// exists tells whether the device path p exists in the target.
func exists(root inroot.FS, p string) (bool, error) {
	_, err := inroot.Stat(root, p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look at %s: %w", inroot.Describe(root, p), err)
	}
	return true, nil
}
