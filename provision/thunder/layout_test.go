package thunder

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func layoutTarget(t *testing.T, files map[string]string) *os.Root {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if content == "/" {
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

func TestResolveLayoutFromMainConfig(t *testing.T) {
	root := layoutTarget(t, map[string]string{
		"etc/Thunder/config.json": `{"datapath":"/opt/thunder/data/","persistentpath":"/data/thunder","volatilepath":"/run","configs":"/opt/thunder/plugins/"}`,
	})
	l, err := ResolveLayout(root, "auto")
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "thunder" || l.DataPath != "/opt/thunder/data" || l.PersistentPath != "/data/thunder" || l.VolatilePath != "/run" {
		t.Errorf("layout %+v", l)
	}
	if l.PluginDirs[0] != "/opt/thunder/plugins" || !slices.Contains(l.PluginDirs, "/etc/Thunder/plugin") {
		t.Errorf("plugin folders %v: want configs first, the guide's plugin/ kept", l.PluginDirs)
	}
}

func TestResolveLayoutDetection(t *testing.T) {
	r4 := layoutTarget(t, map[string]string{"etc/WPEFramework/plugins/x.json": "{}"})
	if l, err := ResolveLayout(r4, "auto"); err != nil || l.Name != "wpeframework" || l.HostProcess != "WPEProcess" {
		t.Errorf("R4 tree: %+v, %v", l, err)
	}
	// A Buildroot tree with data in /usr/share/Thunder under the
	// WPEFramework namespace.
	mixed := layoutTarget(t, map[string]string{"etc/WPEFramework/plugins/x.json": "{}", "usr/share/Thunder/.keep": ""})
	if l, err := ResolveLayout(mixed, "auto"); err != nil || l.DataPath != "/usr/share/Thunder" {
		t.Errorf("mixed tree: %+v, %v", l, err)
	}
	if _, err := ResolveLayout(layoutTarget(t, map[string]string{"etc/x": ""}), "auto"); err == nil {
		t.Error("a tree without Thunder was given a layout")
	}
	if _, err := ResolveLayout(r4, "thunder5"); err == nil {
		t.Error("an unknown layout name was accepted")
	}
	bad := layoutTarget(t, map[string]string{"etc/Thunder/config.json": `{"datapath":`})
	if _, err := ResolveLayout(bad, "auto"); err == nil {
		t.Error("an invalid config.json was accepted")
	}
}
