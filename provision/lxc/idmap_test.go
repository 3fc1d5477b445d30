package lxc

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
)

func TestNewIDMapRanges(t *testing.T) {
	both := func(keep ...int) IDMapRequest {
		return IDMapRequest{Base: DefaultIDMapBase, Size: DefaultIDMapSize, KeepUIDs: keep, KeepGIDs: keep}
	}
	tests := []struct {
		name string
		req  IDMapRequest
		want []string
	}{
		{"guide default", DefaultIDMapRequest(), []string{"u 0 100000 65536", "g 0 100000 65536"}},
		{"guide keep-id 1000", both(1000), []string{
			"u 0 100000 1000", "u 1000 1000 1", "u 1001 101001 64535",
			"g 0 100000 1000", "g 1000 1000 1", "g 1001 101001 64535",
		}},
		{"adjacent kept IDs merge", both(1000, 1001), []string{
			"u 0 100000 1000", "u 1000 1000 2", "u 1002 101002 64534",
			"g 0 100000 1000", "g 1000 1000 2", "g 1002 101002 64534",
		}},
		{"unsorted and duplicated", both(1001, 1000, 1001, 1000), []string{
			"u 0 100000 1000", "u 1000 1000 2", "u 1002 101002 64534",
			"g 0 100000 1000", "g 1000 1000 2", "g 1002 101002 64534",
		}},
		{"kept 0 at the low edge", both(0), []string{
			"u 0 0 1", "u 1 100001 65535", "g 0 0 1", "g 1 100001 65535",
		}},
		{"kept 65535 at the high edge", both(65535), []string{
			"u 0 100000 65535", "u 65535 65535 1", "g 0 100000 65535", "g 65535 65535 1",
		}},
		{"both edges and a gap", both(0, 1, 5, 65535), []string{
			"u 0 0 2", "u 2 100002 3", "u 5 5 1", "u 6 100006 65529", "u 65535 65535 1",
			"g 0 0 2", "g 2 100002 3", "g 5 5 1", "g 6 100006 65529", "g 65535 65535 1",
		}},
		{"uid and gid kept separately", IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{44}}, []string{
			"u 0 100000 1000", "u 1000 1000 1", "u 1001 101001 64535",
			"g 0 100000 44", "g 44 44 1", "g 45 100045 65491",
		}},
		{"whole size kept", IDMapRequest{Base: 10, Size: 3, KeepUIDs: []int{0, 1, 2}}, []string{
			"u 0 0 3", "g 0 10 3",
		}},
		{"base 0 without kept IDs is the identity", IDMapRequest{Base: 0, Size: 65536}, []string{
			"u 0 0 65536", "g 0 0 65536",
		}},
		{"kept IDs above the shifted range", IDMapRequest{Base: 1, Size: 10, KeepUIDs: []int{0}}, []string{
			"u 0 0 1", "u 1 2 9", "g 0 1 10",
		}},
		{"last valid host ID", IDMapRequest{Base: MaxHostID, Size: 1}, []string{
			"u 0 4294967294 1", "g 0 4294967294 1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewIDMap(tt.req)
			if err != nil {
				t.Fatalf("NewIDMap(%+v): %v", tt.req, err)
			}
			if got := m.Lines(); !slices.Equal(got, tt.want) {
				t.Fatalf("lines\n got %q\nwant %q", got, tt.want)
			}
			checkIDMapInvariants(t, tt.req, m)
		})
	}
}

func TestIDMapRequestValidate(t *testing.T) {
	many := make([]int, 0, 200)
	for id := 0; id < 400; id += 2 {
		many = append(many, id) // 200 separate kept IDs: 400 ranges
	}
	tests := []struct {
		name string
		req  IDMapRequest
		want []string // substrings, one per expected problem
	}{
		{"size 0", IDMapRequest{Base: 100000, Size: 0}, []string{"id map size 0: must be at least 1"}},
		{"negative size", IDMapRequest{Base: 100000, Size: -5}, []string{"id map size -5"}},
		{"negative base", IDMapRequest{Base: -1, Size: 10}, []string{"id map base -1: must be 0 or more"}},
		{"overflow", IDMapRequest{Base: 1<<32 - 10, Size: 10}, []string{"last host ID 4294967295 is past 4294967294"}},
		{"kept above size", IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{65536}},
			[]string{"kept uid 65536: outside the container's IDs 0-65535"}},
		{"negative kept gid", IDMapRequest{Base: 100000, Size: 65536, KeepGIDs: []int{-1}},
			[]string{"kept gid -1: outside the container's IDs 0-65535"}},
		{"kept inside shifted host range", IDMapRequest{Base: 1000, Size: 65536, KeepUIDs: []int{1000, 1500}}, []string{
			"kept uid 1000: host ID 1000 is already used by the shifted range 1000-66535 (container ID 0)",
			"kept uid 1500: host ID 1500 is already used by the shifted range 1000-66535 (container ID 500)",
		}},
		{"base 0 with a kept ID", IDMapRequest{Base: 0, Size: 65536, KeepUIDs: []int{1000}},
			[]string{"kept uid 1000: host ID 1000 is already used"}},
		{"too many ranges", IDMapRequest{Base: 100000, Size: 65536, KeepGIDs: many},
			[]string{"kept gids make 400 ranges: Linux accepts at most 340"}},
		{"several problems at once", IDMapRequest{Base: -3, Size: 0, KeepUIDs: []int{-2}}, []string{
			"id map size 0", "id map base -3", "kept uid -2: must be 0 or more",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want %d problems", tt.req, len(tt.want))
			}
			var merr *multierror.Error
			if !errors.As(err, &merr) || len(merr.Errors) != len(tt.want) {
				t.Fatalf("want %d problems, got %v", len(tt.want), err)
			}
			for i, want := range tt.want {
				if !strings.Contains(merr.Errors[i].Error(), want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, merr.Errors[i], want)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			if _, err2 := NewIDMap(tt.req); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("NewIDMap error %v, want the Validate error", err2)
			}
		})
	}
}

func TestIDMapLookups(t *testing.T) {
	m, err := NewIDMap(IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ container, host int }{{0, 100000}, {999, 100999}, {1000, 1000}, {1001, 101001}, {2000, 102000}, {65535, 165535}} {
		if h, ok := m.HostUID(tc.container); !ok || h != tc.host {
			t.Errorf("HostUID(%d) = %d, %v; want %d", tc.container, h, ok, tc.host)
		}
		if h, ok := m.HostGID(tc.container); !ok || h != tc.host {
			t.Errorf("HostGID(%d) = %d, %v; want %d", tc.container, h, ok, tc.host)
		}
		if c, ok := m.ContainerUID(tc.host); !ok || c != tc.container {
			t.Errorf("ContainerUID(%d) = %d, %v; want %d", tc.host, c, ok, tc.container)
		}
	}
	for _, id := range []int{-1, 65536, 1 << 40} {
		if _, ok := m.HostUID(id); ok {
			t.Errorf("HostUID(%d) mapped, want unmapped", id)
		}
	}
	for _, host := range []int{0, 999, 101000, 165536, 99999} {
		if _, ok := m.ContainerUID(host); ok {
			t.Errorf("ContainerUID(%d) mapped, want unmapped", host)
		}
	}
	uid, gid := m.HostRanges()
	wantUID := []Range{{'u', 1000, 1000, 1}, {'u', 0, 100000, 1000}, {'u', 1001, 101001, 64535}}
	if !slices.Equal(uid, wantUID) || len(gid) != 3 || gid[0].HostID != 1000 {
		t.Fatalf("HostRanges = %v, %v; want uid %v", uid, gid, wantUID)
	}
	if m.UID[0].HostID != 100000 {
		t.Fatal("HostRanges reordered the map itself")
	}
}

func TestRangeJSON(t *testing.T) {
	data, err := json.Marshal(Range{'g', 1000, 1000, 1})
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"kind":"g","container":1000,"host":1000,"count":1}` {
		t.Fatalf("json %s", data)
	}
	var back Range
	if err := json.Unmarshal(data, &back); err != nil || back != (Range{'g', 1000, 1000, 1}) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"x"}`), &back); err == nil {
		t.Fatal("kind x accepted")
	}
}
