package thunder

import (
	"slices"
	"testing"
)

func TestReadProcessesDefaultsAndConfig(t *testing.T) {
	l, _ := LoadLayout("thunder")
	def, err := ReadProcesses(layoutTarget(t, map[string]string{"etc/Thunder/plugins/x.json": "{}"}), l)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := def.CommunicatorSocket(); !ok || s != "/tmp/communicator" {
		t.Errorf("default communicator socket %q, %v", s, ok)
	}
	if got := def.MessageDispatcherConfig(); got != "/tmp/MessageDispatcher|md|0|1|20480" {
		t.Errorf("default MESSAGE_DISPATCHER_CONFIG %q", got)
	}

	l.VolatilePath = "/var/volatile"
	set, err := ReadProcesses(layoutTarget(t, map[string]string{"etc/Thunder/config.json": `{
		"communicator": "/var/run/thunder/comm,video|0770",
		"messaging": {"path": "Messages|0777", "port": 2200, "datasize": 4096}}`}), l)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := set.CommunicatorSocket(); !ok || s != "/var/run/thunder/comm" {
		t.Errorf("communicator socket %q, %v: want the path without group and mode", s, ok)
	}
	if got := set.MessageDispatcherConfig(); got != "/var/volatile/Messages|md|2200|1|4096" {
		t.Errorf("MESSAGE_DISPATCHER_CONFIG %q", got)
	}

	tcp := Processes{Communicator: "127.0.0.1:7889"}
	if s, ok := tcp.CommunicatorSocket(); ok {
		t.Errorf("a TCP communicator gave the socket %q", s)
	}
	if _, err := ReadProcesses(layoutTarget(t, map[string]string{"etc/Thunder/config.json": `{"communicator":`}), l); err == nil {
		t.Error("an invalid config.json was read")
	}
}

func TestFindContainerTakesThunderOrder(t *testing.T) {
	l, _ := LoadLayout("thunder")
	p := Plugin{Callsign: "OCDM", ClassName: "OCDM"}
	root := layoutTarget(t, map[string]string{
		"usr/share/Thunder/OCDM/Container/config": "lxc.uts.name = data\n",
		"root/Thunder/OCDM/Container/config":      "lxc.uts.name = persistent\n",
		"tmp/OCDM/Container/rootfs":               "/", // a folder without config is no container
	})
	dir, err := FindContainer(root, l, p)
	if err != nil || dir != "/root/Thunder/OCDM/Container" {
		t.Errorf("FindContainer = %q, %v: want the persistent path, which comes before the data path", dir, err)
	}
	_, err = FindContainer(layoutTarget(t, map[string]string{"etc/x": ""}), l, p)
	if nc, ok := err.(*NoContainerError); !ok || len(nc.Places) != 3 {
		t.Errorf("no container: %v", err)
	}
}

// The folders a container must show at their own paths: the volatile path,
// and the communicator socket's folder unless the volatile path holds it.
func TestSharedFolders(t *testing.T) {
	for _, c := range []struct {
		volatile, communicator string
		want                   []string
	}{
		{"/tmp", defaultCommunicator, []string{"/tmp"}},
		{"/var/volatile", defaultCommunicator, []string{"/var/volatile", "/tmp"}},
		{"/var/volatile", "/var/volatile/communicator|0777", []string{"/var/volatile"}},
		{"/var/volatile", "/run/thunder/comm,video", []string{"/var/volatile", "/run/thunder"}},
		{"/tmp/thunder", "/tmp/communicator", []string{"/tmp/thunder", "/tmp"}},
		{"/var/volatile", "127.0.0.1:62000", []string{"/var/volatile"}},
	} {
		p := Processes{VolatilePath: c.volatile, Communicator: c.communicator}
		if got := p.SharedFolders(); !slices.Equal(got, c.want) {
			t.Errorf("volatile path %s, communicator %s: %q, want %q", c.volatile, c.communicator, got, c.want)
		}
	}
}
