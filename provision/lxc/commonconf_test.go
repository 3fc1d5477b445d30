package lxc

import "testing"

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
