package lxc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/thunder-lxc/thunder-lxc/templates"
)

// ConfigData is everything a config template may use. Every path is a
// device path.
type ConfigData struct {
	Callsign string
	Hostname string
	// Arch is the lxc.arch value (linux32, linux64, ...).
	Arch string
	// RootfsPath is the device path of the container's rootfs folder.
	RootfsPath string
	// Includes are the lxc.include files, in order.
	Includes []string
	// IDMap holds lxc.idmap values ("u 0 100000 65536"); empty for a
	// privileged container.
	IDMap []string
	// Mounts holds lxc.mount.entry values.
	Mounts []string
	// Environment holds lxc.environment values: NAME inherits the host's
	// value, NAME=VALUE sets it.
	Environment []string
	// Network holds the complete lxc.net.* lines.
	Network []string
	// ConsoleLog is the lxc.console.logfile value (a device path); empty
	// for none.
	ConsoleLog string
}

// UsernsConfPath is LXC's shared config for unprivileged containers.
const UsernsConfPath = "/usr/share/lxc/config/userns.conf"

// Includes returns the lxc.include files of the guide's container:
// common.conf always, userns.conf only for an unprivileged (ID-mapped) one.
func Includes(idmapped bool) []string {
	if idmapped {
		return []string{CommonConfPath, UsernsConfPath}
	}
	return []string{CommonConfPath}
}

// ErrUnknownNetwork means a network value is none of those NetworkLines
// knows.
var ErrUnknownNetwork = errors.New("not a network kind: use empty, none or veth:BRIDGE")

// ErrNoBridge means a veth network names no bridge to join.
var ErrNoBridge = errors.New("veth needs the device's bridge: veth:BRIDGE (for example veth:lxcbr0)")

// NetworkLines returns the lxc.net.0.* lines for a network value: "empty"
// (the guide's: a loopback only), "none" (share the host's network), or
// "veth:BRIDGE" (a veth pair on the device's bridge).
func NetworkLines(net string) ([]string, error) {
	kind, arg, _ := strings.Cut(net, ":")
	switch kind {
	case "", "empty":
		return []string{"lxc.net.0.type = empty"}, nil
	case "none":
		return []string{"lxc.net.0.type = none"}, nil
	case "veth":
		if arg == "" {
			return nil, ErrNoBridge
		}
		return []string{"lxc.net.0.type = veth", "lxc.net.0.link = " + arg, "lxc.net.0.flags = up"}, nil
	}
	return nil, ErrUnknownNetwork
}

// Template is a parsed config template.
type Template struct {
	name string
	tmpl *template.Template
}

// DefaultTemplate returns the embedded default config template.
func DefaultTemplate() (*Template, error) {
	text, err := templates.FS.ReadFile(templates.DefaultConfig)
	if err != nil {
		return nil, err
	}
	return ParseTemplate(templates.DefaultConfig, string(text))
}

// ParseTemplate parses a config template; missing keys are errors, so a
// typo in a custom template fails at provisioning time, not on the device.
func ParseTemplate(name, text string) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse LXC config template %s: %w", name, err)
	}
	return &Template{name: name, tmpl: t}, nil
}

// Render returns the config text.
func (t *Template) Render(data ConfigData) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.tmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render LXC config template %s: %w", t.name, err)
	}
	out := buf.Bytes()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out, nil
}
