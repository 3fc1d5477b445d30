package provision

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fieldsOf lists the fields of the FieldErrors in a Validate error, in order.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	for _, line := range strings.Split(NameFields(err, func(f string) string { return "<" + f + ">" }), "\n") {
		if i, j := strings.Index(line, "<"), strings.Index(line, ">"); i >= 0 && j > i {
			fields = append(fields, line[i+1:j])
		}
	}
	return fields
}

// Each problem is reported under the key an apply file will use, and the
// error text carries no flag name: the front end adds its own.
func TestValidateNamesFieldsByKey(t *testing.T) {
	cases := map[string]struct {
		req    Request
		fields []string
	}{
		"target":        {Request{Callsigns: []string{"A"}}, []string{"target"}},
		"net":           {Request{Callsigns: []string{"A"}, Target: "/t", Net: "macvlan"}, []string{"net"}},
		"layout":        {Request{Callsigns: []string{"A"}, Target: "/t", Layout: "r5"}, []string{"layout"}},
		"kernel-config": {Request{Callsigns: []string{"A"}, Target: "/t", KernelConfig: "/k"}, []string{"kernel-config"}},
		"keep-id":       {Request{Callsigns: []string{"A"}, Target: "/t", KeepUIDs: []int{70000}, KeepGIDs: []int{70000}}, []string{"keep-id"}},
		"keep-uid only": {Request{Callsigns: []string{"A"}, Target: "/t", KeepUIDs: []int{70000}}, []string{"keep-uid"}},
		"uid and gid differ": {Request{Callsigns: []string{"A"}, Target: "/t", IDMapBase: 1000, IDMapSize: 2000, KeepUIDs: []int{1500}, KeepGIDs: []int{2500}},
			[]string{"keep-uid", "keep-gid"}},
		"no-idmap":       {Request{Callsigns: []string{"A"}, Target: "/t", NoIDMap: true, KeepUIDs: []int{1000}}, []string{"no-idmap"}},
		"many at once":   {Request{Target: "/t", Arch: "sparc", Seccomp: "off", Env: []string{"A B"}}, []string{"env", "seccomp", "arch"}},
		"share and mode": {Request{Callsigns: []string{"A"}, Target: "/t", Shares: []string{"/:x"}, ShareMode: "8"}, []string{"share-mode", "share"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.req.SetDefaults()
			err := c.req.Validate()
			if err == nil {
				t.Fatal("valid, want refused")
			}
			if got := fieldsOf(t, err); !slices.Equal(got, c.fields) {
				t.Errorf("fields %v, want %v (%v)", got, c.fields, err)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("library error names a flag: %v", err)
			}
		})
	}
	ok := Request{Callsigns: []string{"A"}, Target: "/t", Arch: "athlon", KeepUIDs: []int{1000}, KeepGIDs: []int{1000}}
	ok.SetDefaults()
	if err := ok.Validate(); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
}

// One problem reads as its line alone; several as a counted list; never
// go-multierror's "1 error occurred:\n\t* ...".
func TestProblemListFormat(t *testing.T) {
	one := Request{Callsigns: []string{"A"}, Target: "/t", Net: "bogus"}
	one.SetDefaults()
	if got, want := one.Validate().Error(), `net "bogus": not a network kind: use empty, none or veth:BRIDGE`; got != want {
		t.Errorf("one problem: %q, want %q", got, want)
	}
	two := Request{Callsigns: []string{"A", "A"}}
	two.SetDefaults()
	err := two.Validate()
	want := "2 problems:\n  - callsign \"A\" given twice\n  - target: give the folder holding the device's root filesystem"
	if err.Error() != want {
		t.Errorf("two problems:\n%s\nwant:\n%s", err, want)
	}
	named := NameFields(err, func(f string) string { return "containers[0]." + f })
	if !strings.HasSuffix(named, "\n  - containers[0].target: give the folder holding the device's root filesystem") {
		t.Errorf("named by an apply file:\n%s", named)
	}
}

// A FieldError wrapped by what found it is renamed in place, and stays
// reachable for errors.Is and errors.As.
func TestNameFieldsThroughWrapping(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("unpack rootfs %q: %w (nothing was changed)", "r.tar", fieldErrorf("idmap-size", 65536, "owner uid 70000: %w", cause))
	got := NameFields(err, func(f string) string { return "--" + f })
	if want := `unpack rootfs "r.tar": --idmap-size 65536: owner uid 70000: cause (nothing was changed)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var fe *FieldError
	if !errors.Is(err, cause) || !errors.As(err, &fe) || fe.Field != "idmap-size" {
		t.Errorf("wrapped FieldError lost: %v", err)
	}
}
