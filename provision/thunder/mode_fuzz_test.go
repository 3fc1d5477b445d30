package thunder

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzSetMode: whatever the plugin config, SetMode either refuses it or
// returns valid JSON whose mode every reader sees as Container, with the
// other members unchanged.
func FuzzSetMode(f *testing.F) {
	for _, seed := range []string{
		`{"classname":"OCDM","configuration":{"root":{"mode":"Local"}}}`,
		`{"classname":"OCDM","configuration":{"root":{"outofprocess":true}}}`,
		`{"configuration":{"root":{}}}`,
		`{"configuration":{"root":{"mode":"Local","mode":"Off"}}}`,
		"{\"configuration\" : {\n \"root\" :{ \"mode\" : \"Off\" , \"x\":[1,2]}}}",
		`{"configuration":{"root":{"mode":1}}}`,
		`{"configuration":{"root":[]}}`,
		`[]`,
		`{"configuration":{"ro\u006ft":{"mode":"Local"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := SetMode(data, ModeContainer)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("SetMode made invalid JSON from %q: %q", data, out)
		}
		m, err := ReadMode(out)
		if err != nil || m.Mode != ModeContainer {
			t.Fatalf("after SetMode of %q, ReadMode = %+v, %v", data, m, err)
		}
		// A last-key-wins reader (encoding/json) agrees.
		var doc struct {
			Configuration struct {
				Root struct {
					Mode string `json:"mode"`
				} `json:"root"`
			} `json:"configuration"`
		}
		if err := json.Unmarshal(out, &doc); err == nil && doc.Configuration.Root.Mode != ModeContainer {
			t.Fatalf("encoding/json reads mode %q from %q", doc.Configuration.Root.Mode, out)
		}
		// Setting it again changes nothing.
		again, err := SetMode(out, ModeContainer)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second SetMode of %q: %q, %v", out, again, err)
		}
		// The other top-level members are kept.
		gjson.ParseBytes(data).ForEach(func(k, v gjson.Result) bool {
			if k.String() != "configuration" && gjson.GetBytes(out, gjson.Escape(k.String())).Raw != v.Raw {
				t.Fatalf("member %s changed: %q → %q", k, data, out)
			}
			return true
		})
	})
}
