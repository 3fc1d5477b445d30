package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

func init() { subcommands = append(subcommands, newIDMapCmd) }

// idmapReport is what --json prints: the request, the ranges, the config
// lines, and the /etc/subuid and /etc/subgid lines root needs on the device.
type idmapReport struct {
	Request lxc.IDMapRequest `json:"request"`
	lxc.IDMap
	Lines  []string `json:"lines"`
	SubUID []string `json:"subuid"`
	SubGID []string `json:"subgid"`
}

func newIDMapCmd() *cobra.Command {
	var ids idMapFlags
	var out jsonFlag
	cmd := &cobra.Command{
		Use:   "idmap",
		Short: "Print the lxc.idmap lines for a container",
		Long: `Print the lxc.idmap lines that map container IDs 0..size-1 to host IDs
base..base+size-1, except kept IDs, which map to themselves (a shared folder
owned by host user 1000 stays owned by user 1000 in the container).`,
		Example: `  # The guide's map: container user and group 1000 are host 1000, the rest shifted.
  thunder-lxc idmap --keep-id 1000
  # Another host range, uid 1000 and the audio group (44) kept, as JSON.
  thunder-lxc idmap --idmap-base 200000 --keep-uid 1000 --keep-gid 44 --json`,
		Args:              usageArgs(cobra.NoArgs),
		ValidArgsFunction: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := ids.request()
			m, err := lxc.NewIDMap(req)
			if err != nil {
				return err
			}
			warnOldKernels(cmd, m)
			lines := make([]string, 0, len(m.UID)+len(m.GID))
			for _, l := range m.Lines() {
				lines = append(lines, "lxc.idmap = "+l)
			}
			uid, gid := m.HostRanges()
			report := idmapReport{Request: req, IDMap: m, Lines: lines}
			// Granting against an empty file lists every grant root needs.
			if report.SubUID, err = lxc.MissingGrants(nil, uid); err != nil {
				return err
			}
			if report.SubGID, err = lxc.MissingGrants(nil, gid); err != nil {
				return err
			}
			return out.print(cmd, report, func(w io.Writer) {
				for _, l := range lines {
					fmt.Fprintln(w, l)
				}
			})
		},
	}
	ids.add(cmd)
	cmd.Flags().SetNormalizeFunc(acceptOldIDMapFlagNames)
	out.add(cmd)
	return cmd
}

// warnOldKernels says so when a map is longer than kernels before 4.15
// accept: the container would fail to start on such a device, not here.
func warnOldKernels(cmd *cobra.Command, m lxc.IDMap) {
	for _, side := range []struct {
		name string
		n    int
	}{{"uid", len(m.UID)}, {"gid", len(m.GID)}} {
		if side.n > lxc.OldKernelMaxIDMapRanges {
			fmt.Fprintf(cmd.ErrOrStderr(), "thunder-lxc: warning: %d %s ranges; Linux before 4.15 accepts at most %d\n",
				side.n, side.name, lxc.OldKernelMaxIDMapRanges)
		}
	}
}
