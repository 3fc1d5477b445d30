package lxc

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCommentSeccomp(t *testing.T) {
	in := "# comment\nlxc.seccomp.profile = /usr/share/lxc/config/common.seccomp\n" +
		"  lxc.seccomp.profile=/x\n#lxc.seccomp.profile = /y\nlxc.cap.drop = mac_admin\nlxc.seccomp.profile = /z"
	want := "# comment\n# lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp\n" +
		"#   lxc.seccomp.profile=/x\n#lxc.seccomp.profile = /y\nlxc.cap.drop = mac_admin\n# lxc.seccomp.profile = /z"
	got, n := CommentSeccomp([]byte(in))
	if string(got) != want || n != 3 {
		t.Fatalf("CommentSeccomp = %q (%d changed)", got, n)
	}
	again, n := CommentSeccomp(got)
	if string(again) != want || n != 0 {
		t.Fatalf("second pass changed it: %q (%d)", again, n)
	}
}

// Issue 11, item 10: a seccomp line in a file common.conf includes
// (common.conf.d/10-sec.conf) is planned for commenting out too; a file
// without one, and a missing include, are not.
func TestPlanSeccompCommentFollowsIncludes(t *testing.T) {
	root := mapRoot{fstest.MapFS{
		"usr/share/lxc/config/common.conf":                 {Data: []byte("lxc.seccomp.profile = /a\nlxc.include = /usr/share/lxc/config/common.conf.d/\n")},
		"usr/share/lxc/config/common.conf.d/10-sec.conf":   {Data: []byte("lxc.seccomp.profile = /b\n")},
		"usr/share/lxc/config/common.conf.d/20-other.conf": {Data: []byte("lxc.cap.drop = sys_nice\n")},
		"usr/share/lxc/config/userns.conf":                 {Data: []byte("lxc.include = /usr/share/lxc/config/common.conf.d/10-sec.conf\n")},
	}}
	plan, err := PlanSeccompComment(root, []string{CommonConfPath, UsernsConfPath, "/missing.conf"})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range plan.Edits {
		paths = append(paths, e.Path)
		if e.Lines != 1 || !strings.HasPrefix(string(e.New), "# lxc.seccomp.profile") {
			t.Errorf("%s: %d lines, new content %q", e.Path, e.Lines, e.New)
		}
	}
	// 10-sec.conf once, though userns.conf includes it too.
	want := []string{CommonConfPath, "/usr/share/lxc/config/common.conf.d/10-sec.conf"}
	if !slices.Equal(paths, want) {
		t.Errorf("edits of %v, want %v", paths, want)
	}
	files := ConfigFiles(root, []string{CommonConfPath, UsernsConfPath})
	if len(files) != 5 || files[2] != "/usr/share/lxc/config/common.conf.d/20-other.conf" {
		t.Errorf("ConfigFiles = %v", files)
	}
}
