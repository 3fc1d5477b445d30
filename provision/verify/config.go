package verify

import (
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// problemChecks names the check of each kind of problem lxc.ReadConfig
// finds in a config.
var problemChecks = map[string]string{
	lxc.ProblemSyntax:  CheckSyntax,
	lxc.ProblemKey:     CheckKey,
	lxc.ProblemInclude: CheckInclude,
}

// readConfig reads the container config at the device path p with its
// includes; every reason LXC would refuse it becomes a finding.
func readConfig(root *os.Root, p string, fs *findings) (*lxc.Config, error) {
	cfg, err := lxc.ReadConfig(root, p)
	if err != nil {
		return nil, err
	}
	for _, pr := range cfg.Problems {
		fs.errorf(problemChecks[pr.Kind], pr.File, pr.Fix, "%s", pr.Message)
	}
	return cfg, nil
}
