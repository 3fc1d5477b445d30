package provision

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// untimedMtree is the mtree description of dir without times.
func untimedMtree(t *testing.T, dir string) string {
	return regexp.MustCompile(` time=\S+`).ReplaceAllString(treetest.Mtree(t, dir), "")
}

// A remove that fails at its last step (common.conf cannot be written)
// undoes the rest: the container folder and the share folder are moved
// back, the plugin config gets its provisioned content again.
func TestFailedRemoveRollsBack(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, ""),
		Shares: []string{"/var/log/TestLogging:TestLogging"}})
	before := untimedMtree(t, target)

	rp, err := BuildRemovePlan(context.Background(), RemoveRequest{Callsigns: []string{"OCDM"}, Target: target})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	if len(rp.Gone) != 2 || len(rp.Edits) != 3 {
		t.Fatalf("plan: gone %v, %d edits; want the container and /var, OCDM.json, common.conf and config.json", rp.Gone, len(rp.Edits))
	}
	w := failingWriter{rootWriter{rp.root}, "usr/share/lxc/config/common.conf"}
	rtx := &removeTx{transaction: &transaction{root: rp.root, w: w}}
	err = rp.apply(context.Background(), rtx)
	if !errors.Is(err, errReadOnly) {
		t.Fatalf("apply: %v, want the write of common.conf to fail", err)
	}
	if left := rtx.undo(); len(left) != 0 {
		t.Fatalf("undo left: %v", left)
	}
	if after := untimedMtree(t, target); after != before {
		t.Errorf("the target after the failed remove differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	assertNoStaging(t, filepath.Join(target, "usr/share/Thunder/OCDM"))
}
