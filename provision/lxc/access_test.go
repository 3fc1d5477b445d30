package lxc

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

func mustIDMap(t *testing.T, r IDMapRequest) IDMap {
	t.Helper()
	m, err := NewIDMap(r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keep1000(t *testing.T) IDMap {
	return mustIDMap(t, IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}})
}

// user is one container user: uid and groups.
type user struct {
	uid  int
	gids []int
}

func checkFor(t *testing.T, r AccessReport, u user, want string) {
	t.Helper()
	p := r.For(u.uid, u.gids...)
	got := string([]byte{pick(p.Read, 'r'), pick(p.Write, 'w'), pick(p.Execute, 'x')})
	if got != want {
		t.Errorf("container uid %d groups %v: %s, want %s\n%s", u.uid, u.gids, got, want, strings.Join(r.Lines, "\n"))
	}
}

func pick(b bool, c byte) byte {
	if b {
		return c
	}
	return '-'
}

func hasLine(t *testing.T, r AccessReport, want string) {
	t.Helper()
	for _, l := range r.Lines {
		if strings.Contains(l, want) {
			return
		}
	}
	t.Errorf("no line contains %q:\n%s", want, strings.Join(r.Lines, "\n"))
}

// The guide's default map and a shared folder owned by the shifted root,
// mode 7770: container root and members of the root group may use it, nobody
// else.
func TestAccessGuideDefaultFolder(t *testing.T) {
	m := mustIDMap(t, DefaultIDMapRequest())
	for _, mode := range []fs.FileMode{
		fs.ModeDir | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o770,
		fs.ModeDir | 0o7770, // the unix way of writing the same
	} {
		r := ExplainAccess(m, Owner{100000, 100000}, mode, false)
		if r.Kind != "directory" || r.Mode != "7770" || r.ContainerUID != 0 || r.ContainerGID != 0 || !r.OwnerMapped || !r.GroupMapped || !r.RootOverrides {
			t.Fatalf("report %+v", r)
		}
		checkFor(t, r, user{0, []int{0}}, "rwx")
		checkFor(t, r, user{1000, []int{1000, 0}}, "rwx") // a member of group root
		checkFor(t, r, user{1000, []int{1000}}, "---")
		checkFor(t, r, user{65534, []int{65534}}, "---")
		hasLine(t, r, "Inside the container the directory (mode 7770) is owned by uid 0 (host 100000) and group 0 (host 100000).")
		hasLine(t, r, "Container uid 0, its owner, can list it, enter it and create files in it (owner bits rwx).")
		hasLine(t, r, "Members of container group 0, other than its owner, can list it, enter it and create files in it")
		hasLine(t, r, "Every other container user, for example uid 1000 (host 101000), cannot list it, enter it or create files in it (other bits ---)")
		hasLine(t, r, "Entries created in it get its group 0 (setgid)")
		hasLine(t, r, "It is sticky")
	}
}

func TestAccessKeptOwner(t *testing.T) {
	r := ExplainAccess(keep1000(t), Owner{1000, 1000}, fs.ModeDir|0o755, false)
	if r.ContainerUID != 1000 || r.ContainerGID != 1000 || !r.RootOverrides {
		t.Fatalf("report %+v", r)
	}
	checkFor(t, r, user{1000, []int{1000}}, "rwx")
	checkFor(t, r, user{2000, []int{2000}}, "r-x")
	checkFor(t, r, user{2000, []int{2000, 1000}}, "r-x") // group bits r-x too
	checkFor(t, r, user{0, []int{0}}, "rwx")             // CAP_DAC_OVERRIDE: 1000 and 1000 are mapped
	hasLine(t, r, "owned by uid 1000 (host 1000) and group 1000 (host 1000)")
	hasLine(t, r, "for example uid 2000 (host 102000), can list it and enter it but cannot create files in it (other bits r-x); to let them create files in it, chmod it to 0757.")
	hasLine(t, r, "Container root (uid 0, host 100000) has CAP_DAC_OVERRIDE over it")
}

// The prediction the LXC test checks: container uid 2000 (host 102000) is
// neither the owner nor in the group of a socket owned by 1000:1000, so it
// can connect at 0777 and cannot at 0775.
func TestAccessSocket(t *testing.T) {
	m := keep1000(t)
	open := ExplainAccess(m, Owner{1000, 1000}, 0o777, true)
	closed := ExplainAccess(m, Owner{1000, 1000}, 0o775, true)
	viaMode := ExplainAccess(m, Owner{1000, 1000}, fs.ModeSocket|0o775, false)
	if open.Kind != "socket" || viaMode.Kind != "socket" {
		t.Fatalf("kinds %q %q", open.Kind, viaMode.Kind)
	}
	if !open.For(2000, 2000).Write || !open.Other.Write {
		t.Error("0777: uid 2000 cannot connect")
	}
	if closed.For(2000, 2000).Write || closed.Other.Write || viaMode.For(2000, 2000).Write {
		t.Error("0775: uid 2000 can connect")
	}
	for _, r := range []AccessReport{open, closed} {
		if !r.For(1000, 1000).Write || !r.For(1500, 1500, 1000).Write || !r.For(0, 0).Write {
			t.Errorf("mode %s: owner, group member or root cannot connect", r.Mode)
		}
	}
	hasLine(t, open, "Every other container user, for example uid 2000 (host 102000), can connect to it (other bits rwx; connecting needs the w bit).")
	hasLine(t, closed, "Every other container user, for example uid 2000 (host 102000), cannot connect to it (other bits r-x; connecting needs the w bit); to let them connect to it, chmod it to 0777 or add them to group 1000.")
}

func TestAccessUnmappedOwner(t *testing.T) {
	m := mustIDMap(t, DefaultIDMapRequest())
	r := ExplainAccess(m, Owner{0, 0}, fs.ModeDir|0o755, false)
	if r.OwnerMapped || r.GroupMapped || r.ContainerUID != 65534 || r.ContainerGID != 65534 || r.RootOverrides {
		t.Fatalf("report %+v", r)
	}
	checkFor(t, r, user{0, []int{0}}, "r-x") // container root is just "other" here
	checkFor(t, r, user{65534, []int{65534}}, "r-x")
	hasLine(t, r, "owned by uid 65534, nobody (host uid 0 is not mapped) and group 65534, nogroup (host gid 0 is not mapped).")
	hasLine(t, r, "Container uid 65534 (host 165534) is not its owner either")
	hasLine(t, r, "Container root (uid 0, host 100000) has no CAP_DAC_OVERRIDE over it")
	hasLine(t, r, "here the other bits: it can list it and enter it but cannot create files in it.")

	shut := ExplainAccess(m, Owner{0, 0}, fs.ModeDir|0o770, false)
	checkFor(t, shut, user{0, []int{0}}, "---")
}

// Owner mapped, group not: no capability override, and the owner gets only
// the owner bits even where the other bits give more.
func TestAccessGroupUnmapped(t *testing.T) {
	m := mustIDMap(t, DefaultIDMapRequest())
	r := ExplainAccess(m, Owner{100000, 0}, fs.ModeDir|0o057, false)
	if !r.OwnerMapped || r.GroupMapped || r.RootOverrides {
		t.Fatalf("report %+v", r)
	}
	checkFor(t, r, user{0, []int{0}}, "---")
	checkFor(t, r, user{1000, []int{1000}}, "rwx")
	hasLine(t, r, "The owner gets only the owner bits")
	hasLine(t, r, "No container user is in its group: host gid 0 is not mapped, so the group bits r-x apply to nobody.")
	hasLine(t, r, "and host gid 0 is not. The mode bits apply to it as to any user, here the owner bits")
}

func TestAccessFilesAndRootExecute(t *testing.T) {
	m := mustIDMap(t, DefaultIDMapRequest())
	noX := ExplainAccess(m, Owner{101000, 101000}, 0o600, false)
	checkFor(t, noX, user{0, []int{0}}, "rw-") // override, but no x bit to honour
	checkFor(t, noX, user{1000, []int{1000}}, "rw-")
	checkFor(t, noX, user{2000, []int{2000}}, "---")
	someX := ExplainAccess(m, Owner{101000, 101000}, 0o601, false)
	checkFor(t, someX, user{0, []int{0}}, "rwx")
	hasLine(t, someX, "for example uid 2000 (host 102000), can run it but cannot read it or write it (other bits --x)")
}

func TestAccessPrivileged(t *testing.T) {
	r := ExplainAccess(IDMap{}, Owner{0, 0}, 0o600, false)
	if !r.Privileged || !r.RootOverrides || r.ContainerUID != 0 {
		t.Fatalf("report %+v", r)
	}
	checkFor(t, r, user{0, []int{0}}, "rw-")
	checkFor(t, r, user{1000, []int{1000}}, "---")
	hasLine(t, r, "There is no ID map")
	hasLine(t, r, "Container root is host root")
}

func TestAccessReportJSON(t *testing.T) {
	data, err := json.Marshal(ExplainAccess(keep1000(t), Owner{1000, 1000}, 0o775, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"socket"`, `"mode":"0775"`, `"host":{"uid":1000,"gid":1000}`,
		`"other":{"read":true,"write":false,"execute":true}`, `"rootOverrides":true`, `"lines":["Inside`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("json lacks %s: %s", want, data)
		}
	}
}

func TestAccessForAfterJSON(t *testing.T) {
	m := mustIDMap(t, DefaultIDMapRequest())
	for _, r := range []AccessReport{
		ExplainAccess(m, Owner{101000, 101000}, 0o601, false),
		ExplainAccess(m, Owner{101000, 101000}, fs.ModeDir|0o750, false),
		ExplainAccess(keep1000(t), Owner{1000, 1000}, 0o775, true),
	} {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back AccessReport
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		for _, u := range []user{{0, []int{0}}, {1000, []int{1000}}, {1500, []int{1000}}, {2000, []int{2000}}} {
			if got, want := back.For(u.uid, u.gids...), r.For(u.uid, u.gids...); got != want {
				t.Errorf("mode %s, uid %d: after JSON %+v, before %+v", r.Mode, u.uid, got, want)
			}
		}
	}
}
