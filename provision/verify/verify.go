// Package verify explains, on the build host, everything that would stop a
// Thunder plugin's LXC container from starting on the device. On the device
// such a container fails silently: LXC skips a config it cannot parse and
// Thunder only says "container not found". Verify reads the target root
// filesystem the way Thunder and LXC will, and turns each cause into one
// finding that names the file and the fix.
package verify

import (
	"context"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// Options says what to verify.
type Options struct {
	// Target is the build-host folder holding the device's root filesystem.
	Target string
	// Callsigns limits the check to these plugins; empty means every plugin
	// whose mode is Container or that has a container where Thunder looks.
	Callsigns []string
	// Layout is auto, thunder or wpeframework.
	Layout string
	// KernelConfig, when set, is a kernel configuration (file or build
	// folder, see lxc.ReadKernelConfig) checked against each container.
	KernelConfig string
}

// Report is the outcome; its JSON form is what `verify --json` prints.
type Report struct {
	Target string `json:"target"`
	// OK is false when a finding is an error: some container would not
	// start, or the target holds what must not reach the image.
	OK         bool        `json:"ok"`
	Containers []Container `json:"containers"`
	// Findings are about the target as a whole (CheckLeftover).
	Findings []Finding `json:"findings"`
}

// Container is one plugin's container and what is wrong with it.
type Container struct {
	Callsign string `json:"callsign"`
	// Dir is the device path of the container folder Thunder would use;
	// empty when it would find none.
	Dir      string    `json:"dir"`
	Findings []Finding `json:"findings"`
	// Inspect is the command that shows the running container on the
	// device (lxc-info with the variables LXC needs to read its config);
	// empty when there is no config to read.
	Inspect string `json:"inspect,omitempty"`
}

// OK tells whether the container has no error finding.
func (c Container) OK() bool {
	for _, f := range c.Findings {
		if f.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Run verifies the containers of the target. An error means the target
// itself could not be read (not a folder, no Thunder layout, unreadable
// kernel config); problems of containers are findings in the report.
func Run(opts Options) (*Report, error) {
	root, err := inroot.OpenTarget(opts.Target)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	layout, err := thunder.ResolveLayout(root, opts.Layout)
	if err != nil {
		return nil, err
	}
	var kernel *lxc.KernelConfig
	if opts.KernelConfig != "" {
		cfg, err := lxc.ReadKernelConfig(opts.KernelConfig)
		if err != nil {
			return nil, err
		}
		kernel = &cfg
	}
	// Inside a fakeroot or pseudo session the owners that count are the
	// session's, which only programs started here can see.
	session, err := fakeroot.Detect(context.Background())
	if err != nil {
		return nil, err
	}
	processes, err := thunder.ReadProcesses(root, layout)
	if err != nil {
		return nil, err
	}
	t := &target{root: root, layout: layout, processes: processes, kernel: kernel, session: session}
	plugins, err := t.selectPlugins(opts.Callsigns)
	if err != nil {
		return nil, err
	}
	var whole findings
	t.checkLeftovers(&whole)
	report := &Report{Target: opts.Target, OK: true, Containers: []Container{}, Findings: append([]Finding{}, whole...)}
	for _, f := range whole {
		if f.Severity == SeverityError {
			report.OK = false
		}
	}
	for _, p := range plugins {
		c := t.verify(p)
		if !c.OK() {
			report.OK = false
		}
		report.Containers = append(report.Containers, c)
	}
	return report, nil
}

// target is what every container check reads: the target's root, its
// Thunder layout and, when given, the device's kernel configuration.
type target struct {
	root   *os.Root
	layout thunder.Layout
	// processes is what Thunder's main config tells the processes it
	// starts (the folders they share with it, the messaging folder).
	processes thunder.Processes
	kernel    *lxc.KernelConfig
	// session is the fakeroot or pseudo session this process runs in, or
	// nil.
	session *fakeroot.Session

	// lib caches FindLibLXC, which is the same for every container.
	lib *libLXCResult
}
