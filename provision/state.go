package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// stateFile sits in the container folder (which LXC ignores apart from
// config and the rootfs) and records what a run did: enough for a second
// identical run to do nothing, for a changed one to say what changed, and
// for remove to restore the plugin's mode.
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
	// Shaping holds the parts of Fingerprint, so a rerun that differs can
	// say which part did.
	Shaping *Shaping `json:"shaping,omitempty"`
	// Made lists the device paths the tool created outside container
	// folders (the container's missing parent folders, share folders, new
	// files such as /etc/subuid). When the target is its own source their
	// own metadata is left out of the fingerprint (what others put in them
	// still counts), since the first run's copy was made before they
	// existed.
	Made []string `json:"made,omitempty"`

	// What remove needs to undo the run exactly; state files written
	// before these existed lack them, and remove then does less (it says
	// what). A change several containers rely on (a share folder, a
	// subuid line, the seccomp line) is recorded by each of them, by the
	// one that made it and by every later one that relies on it, and
	// remove undoes it with the last container that records it.

	// PluginConfigBefore is the plugin config's content before the first
	// provisioning, which remove writes back when the file is still as
	// the tool left it.
	PluginConfigBefore []byte `json:"pluginConfigBefore,omitempty"`
	// SeccompCommented are the lxc.seccomp.profile lines of common.conf
	// as they were before the tool commented them out, restored once no
	// container of the tool remains.
	SeccompCommented []string `json:"seccompCommented,omitempty"`
	// Grants are, by device path (/etc/subuid, /etc/subgid), the lines
	// the tool added that this container's ID map relies on.
	Grants map[string][]string `json:"grants,omitempty"`
	// MessagingPathBefore is Thunder's "messaging.path" before the tool
	// opened the messaging folder for containers with an ID map ("" when
	// the key was absent), put back once no container of the tool that
	// records it remains (see planMessaging).
	MessagingPathBefore *string `json:"messagingPathBefore,omitempty"`
	// Records tells that the fields above were written (a state file of
	// an older version has none, which does not mean nothing to undo).
	Records bool `json:"records,omitempty"`
}

// Shaping is everything that shapes a container's rootfs.
type Shaping struct {
	// Source is the source's fingerprint.
	Source string `json:"source"`
	// ShiftedIDs tells whether owners are stored shifted, by IDMap.
	ShiftedIDs bool     `json:"shiftedIDs"`
	IDMap      []string `json:"idmap"`
	// MountPoints are the share mount points made in the rootfs.
	MountPoints []string `json:"mountPoints"`
}

// fingerprint hashes the shaping; "v1" keeps it equal to the hash that
// state files written before Shaping existed hold.
func (s Shaping) fingerprint() string {
	parts := []string{"v1", s.Source, fmt.Sprint(s.ShiftedIDs)}
	parts = append(parts, s.IDMap...)
	parts = append(parts, s.MountPoints...)
	return hash(strings.Join(parts, "\x00"))
}

// differences names what differs between an earlier run's shaping (was)
// and this run's, in words a user can act on.
func (s Shaping) differences(was *Shaping, sourceKind string) []string {
	if was == nil {
		return []string{"the earlier run's record predates this version of the tool"}
	}
	var out []string
	if was.Source != s.Source {
		switch sourceKind {
		case SourceTarget:
			out = append(out, "files of the target (the source) were added, removed or changed")
		case SourceImage:
			out = append(out, "entries of the image (the source) were added, removed or changed")
		case SourceStream:
			out = append(out, "the stream's bytes differ from the earlier run's")
		default:
			out = append(out, "the source changed (another file, or a file's size or time)")
		}
	}
	if was.ShiftedIDs != s.ShiftedIDs {
		out = append(out, fmt.Sprintf("owner shifting was %s, now %s (shift-ids)", onOff(was.ShiftedIDs), onOff(s.ShiftedIDs)))
	}
	if was.ShiftedIDs && s.ShiftedIDs && !slices.Equal(was.IDMap, s.IDMap) {
		out = append(out, fmt.Sprintf("the ID map was %q, now %q (idmap-base, idmap-size, keep-id)",
			strings.Join(was.IDMap, "; "), strings.Join(s.IDMap, "; ")))
	}
	if !slices.Equal(was.MountPoints, s.MountPoints) {
		out = append(out, fmt.Sprintf("the share mount points were %v, now %v (share)", was.MountPoints, s.MountPoints))
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
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

// missingParts returns the local paths of the folders (and file) that
// creating the device path p creates: its missing components, topmost
// first; none when p exists. Symlinks on the way are the target's.
func missingParts(root inroot.FS, p string) ([]string, error) {
	resolved, err := inroot.Resolve(root, p, false)
	if err != nil {
		return nil, err
	}
	var missing []string
	for cur := resolved; cur != "."; cur = path.Dir(cur) {
		_, err := root.Lstat(cur)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append([]string{cur}, missing...)
	}
	return missing, nil
}
