package lxc

import (
	"slices"
	"strings"
	"testing"
)

func TestMissingGrants(t *testing.T) {
	keep1000 := []Range{{'u', 0, 100000, 1000}, {'u', 1000, 1000, 1}, {'u', 1001, 101001, 64535}}
	tests := []struct {
		name    string
		content string
		need    []Range
		want    []string
	}{
		{"empty file", "", keep1000, []string{"root:1000:1", "root:100000:1000", "root:101001:64535"}},
		{"Debian's default grant covers the shifted range, not 1000", "root:100000:65536\n", keep1000, []string{"root:1000:1"}},
		{"grant by numeric uid", "0:100000:65536\n0:1000:1\n", keep1000, nil},
		{"split across lines and overlapping", "root:100000:500\nroot:100400:700\n0:101100:64436\nroot:1000:1", keep1000, nil},
		{"partial coverage", "root:100500:200\nroot:101001:10\n", keep1000, []string{
			"root:1000:1", "root:100000:500", "root:100700:300", "root:101011:64525",
		}},
		{"other users' lines ignored", "pi:100000:65536\n1000:1000:1\nrooty:1000:1\n", keep1000,
			[]string{"root:1000:1", "root:100000:1000", "root:101001:64535"}},
		{"comments and blank lines skipped", "# subordinate IDs\n\nroot:100000:65536\n\n", []Range{{'g', 0, 100000, 65536}}, nil},
		{"touching needed ranges become one line", "", []Range{{'g', 0, 100000, 10}, {'g', 10, 100010, 5}}, []string{"root:100000:15"}},
		{"zero-count grant grants nothing", "root:1000:0\n", []Range{{'u', 1000, 1000, 1}}, []string{"root:1000:1"}},
		{"nothing needed", "garbage-free:1:1\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MissingGrants([]byte(tt.content), tt.need)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			// Once added, nothing more is missing.
			again, err := MissingGrants(AddGrants([]byte(tt.content), got), tt.need)
			if err != nil || len(again) != 0 {
				t.Fatalf("after adding: still missing %q, %v", again, err)
			}
		})
	}
}

func TestMissingGrantsMalformed(t *testing.T) {
	content := "root:100000:65536\nroot:100000\nroot:abc:1\n:1:2\nroot:1:2:3\nroot:1:2\r\n"
	_, err := MissingGrants([]byte(content), []Range{{'u', 0, 100000, 1}})
	if err == nil {
		t.Fatal("malformed lines accepted")
	}
	for _, want := range []string{"line 2:", "line 3:", "line 4:", "line 5:", "line 6:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "line 1:") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: names the good line 1 or spans lines", err)
	}
}

func TestAddGrants(t *testing.T) {
	tests := []struct{ content, want string }{
		{"", "root:1000:1\nroot:2000:1\n"},
		{"pi:100000:65536\n", "pi:100000:65536\nroot:1000:1\nroot:2000:1\n"},
		{"pi:100000:65536", "pi:100000:65536\nroot:1000:1\nroot:2000:1\n"},
		{"# keep me  \n\nx:1:1\n", "# keep me  \n\nx:1:1\nroot:1000:1\nroot:2000:1\n"},
	}
	for _, tt := range tests {
		in := []byte(tt.content)
		if got := string(AddGrants(in, []string{"root:1000:1", "root:2000:1"})); got != tt.want {
			t.Errorf("AddGrants(%q) = %q, want %q", tt.content, got, tt.want)
		}
		if string(in) != tt.content {
			t.Errorf("AddGrants changed its input to %q", in)
		}
	}
	if got := AddGrants([]byte("x:1:1"), nil); string(got) != "x:1:1" {
		t.Errorf("no lines: content changed to %q", got)
	}
}
