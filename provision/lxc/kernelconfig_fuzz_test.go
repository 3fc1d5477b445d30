package lxc

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseKernelConfig: any file is either refused or read into values
// that agree with its last assignment of each name.
func FuzzParseKernelConfig(f *testing.F) {
	for _, s := range []string{
		"# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_SECCOMP_FILTER=y\n# CONFIG_USER_NS is not set\n",
		"# Linux kernel version: 2.6.24\nCONFIG_NAMESPACES=y\nCONFIG_NAMESPACES=n\n",
		"CONFIG_CMDLINE=\"console=ttyS0 root=/dev/sda\"\r\nCONFIG_MEMCG=m\n",
		"not a config\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseKernelConfig(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		last := map[string]string{}
		for _, raw := range strings.Split(string(data), "\n") {
			line := strings.TrimSpace(raw)
			if m := assignRE.FindStringSubmatch(line); m != nil {
				last[m[1]] = m[2]
			} else if m := notSetRE.FindStringSubmatch(line); m != nil {
				last[m[1]] = "n"
			}
		}
		if len(last) == 0 {
			t.Fatalf("%q read as a config without options", data)
		}
		for name, want := range last {
			if unquoted, err := strconv.Unquote(want); err == nil && want[0] == '"' {
				want = unquoted
			}
			if got, ok := cfg.Value(name); !ok || got != want {
				t.Fatalf("%s = %q (%v), the file's last word is %q", name, got, ok, want)
			}
			if enabled := last[name] == "y" || last[name] == "m"; cfg.Enabled(name) != enabled {
				t.Fatalf("%s=%s: Enabled = %v", name, want, !enabled)
			}
		}
	})
}
