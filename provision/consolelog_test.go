package provision

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// --console-log writes lxc.console.logfile, and warns when the file's
// folder will not be there when LXC opens it.
func TestConsoleLog(t *testing.T) {
	treetest.NeedRoot(t)
	source := rootfsTarball(t, "")
	for file, warning := range map[string]string{
		"/tmp/OCDM.console":             "",
		"/tmp/logs/OCDM.console":        "unless it exists on the device by then",
		"/var/log/missing/OCDM.console": "which is not in the target",
	} {
		target := treetest.SampleTarget(t)
		report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: source, ConsoleLog: file})
		config := read(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/config"))
		if !strings.HasSuffix(config, "\nlxc.console.logfile = "+file+"\n") {
			t.Errorf("%s: config:\n%s", file, config)
		}
		warnings := strings.Join(report.Warnings, "\n")
		if warning == "" && strings.Contains(warnings, "console log") || !strings.Contains(warnings, warning) {
			t.Errorf("%s: warnings %q, want one saying %q", file, report.Warnings, warning)
		}
	}
	var fe *FieldError
	err := provisionErr(Request{Callsigns: []string{"OCDM"}, Target: treetest.SampleTarget(t), Source: source, ConsoleLog: "OCDM.console"})
	if !errors.As(err, &fe) || fe.Field != "console-log" {
		t.Errorf("a relative console log: %v", err)
	}
}
