package lxc

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func guideData() ConfigData {
	net, _ := NetworkLines("empty")
	return ConfigData{
		Callsign:    "OCDM",
		Hostname:    "OCDM",
		Arch:        "linux32",
		RootfsPath:  "/usr/share/Thunder/OCDM/Container/rootfs",
		Includes:    Includes(true),
		IDMap:       []string{"u 0 100000 65536", "g 0 100000 65536"},
		Mounts:      []string{"/tmp tmp none bind,create=dir 0 0"},
		Environment: []string{"PATH", "MESSAGE_DISPATCHER_CONFIG"},
		Network:     net,
	}
}

func TestRenderGuideContainer(t *testing.T) {
	tmpl, err := DefaultTemplate()
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(guideData())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "guide.conf", out)
}

func TestRenderPrivilegedVeth(t *testing.T) {
	tmpl, _ := DefaultTemplate()
	data := guideData()
	data.IDMap = nil
	data.Includes = Includes(false)
	data.Arch = "linux64"
	data.Hostname = "drm"
	data.Environment = append(data.Environment, "LOG_LEVEL=3")
	data.Network, _ = NetworkLines("veth:lxcbr0")
	out, err := tmpl.Render(data)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "privileged-veth.conf", out)
}

func TestCustomTemplateMissingKeyFails(t *testing.T) {
	tmpl, err := ParseTemplate("custom.tmpl", "lxc.uts.name = {{.Hostnme}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Render(guideData()); err == nil || !strings.Contains(err.Error(), "custom.tmpl") {
		t.Fatalf("misspelt field: err = %v, want an error naming the template", err)
	}
	if _, err := ParseTemplate("broken.tmpl", "{{.Arch"); err == nil {
		t.Fatal("unterminated action parsed")
	}
}

func TestNetworkLines(t *testing.T) {
	for _, bad := range []string{"veth", "bridge", "veth:"} {
		if _, err := NetworkLines(bad); err == nil {
			t.Errorf("--net %q accepted", bad)
		}
	}
}
