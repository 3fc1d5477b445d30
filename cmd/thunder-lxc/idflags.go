package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// idMapFlags are the ID-map flags, spelled and worded the same on every
// command that has them: --idmap-base, --idmap-size, --keep-id, --keep-uid,
// --keep-gid.
type idMapFlags struct {
	lxc.IDMapRequest
	keepIDs []int
}

func (f *idMapFlags) add(cmd *cobra.Command) {
	f.IDMapRequest = lxc.DefaultIDMapRequest()
	flags := cmd.Flags()
	flags.IntVar(&f.Base, "idmap-base", f.Base, "first host ID that container ID 0 maps to")
	flags.IntVar(&f.Size, "idmap-size", f.Size, "number of container IDs mapped (0..size-1)")
	flags.IntSliceVar(&f.keepIDs, "keep-id", nil, "container ID whose uid and gid map to the same host ID, e.g. 1000 (repeatable)")
	flags.IntSliceVar(&f.KeepUIDs, "keep-uid", nil, "like --keep-id for the user ID only (repeatable)")
	flags.IntSliceVar(&f.KeepGIDs, "keep-gid", nil, "like --keep-id for the group ID only (repeatable)")
}

// request is the map asked for, --keep-id kept on both sides.
func (f *idMapFlags) request() lxc.IDMapRequest {
	r := f.IDMapRequest
	r.KeepUIDs = append(slices.Clone(f.keepIDs), r.KeepUIDs...)
	r.KeepGIDs = append(slices.Clone(f.keepIDs), r.KeepGIDs...)
	return r
}

// oldIDMapFlagNames are the idmap command's first spellings, still
// accepted (and left out of the help) so scripts written for them work.
var oldIDMapFlagNames = map[string]string{"base": "idmap-base", "size": "idmap-size", "keep": "keep-id"}

func acceptOldIDMapFlagNames(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if current, ok := oldIDMapFlagNames[name]; ok {
		return pflag.NormalizedName(current)
	}
	return pflag.NormalizedName(name)
}

// idFlags are provision's ID flags: the map, and whether the rootfs is
// stored with shifted owners.
type idFlags struct {
	idmap    idMapFlags
	shiftIDs bool
}

func (f *idFlags) add(cmd *cobra.Command, req *provision.Request) {
	f.idmap.add(cmd)
	flags := cmd.Flags()
	flags.BoolVar(&req.NoIDMap, "no-idmap", false, "leave the ID map out: a privileged container")
	flags.BoolVar(&req.NoShiftIDs, "no-shift-ids", false, "keep the rootfs owned by the source's IDs (the guide's way; container root then sees its files as nobody)")
	// Its default is stated in words: "true" would be wrong without an ID map.
	flags.BoolVar(&f.shiftIDs, "shift-ids", false, "own the rootfs by the host IDs its container owners map to; the default with an ID map")
}

// apply folds them into the request; --shift-ids=false means --no-shift-ids.
func (f *idFlags) apply(cmd *cobra.Command, req *provision.Request) error {
	m := f.idmap.request()
	req.IDMapBase, req.IDMapSize = m.Base, m.Size
	req.KeepUIDs, req.KeepGIDs = m.KeepUIDs, m.KeepGIDs
	if cmd.Flags().Changed("shift-ids") {
		if cmd.Flags().Changed("no-shift-ids") {
			return &usageError{fmt.Errorf("give --shift-ids or --no-shift-ids, not both")}
		}
		req.NoShiftIDs = !f.shiftIDs
	}
	return nil
}
