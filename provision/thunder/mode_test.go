package thunder

import (
	"errors"
	"testing"
)

func TestSetModeKeepsOtherBytes(t *testing.T) {
	in := `{
  "locator": "libWPEFrameworkOCDM.so",
  "classname": "OCDM",
  "autostart": true,
  "configuration": {
    "root": {
      "mode": "Local" ,
      "locator": "x"
    },
    "systems": [ { "name": "a" } ]
  }
}
`
	want := `{
  "locator": "libWPEFrameworkOCDM.so",
  "classname": "OCDM",
  "autostart": true,
  "configuration": {
    "root": {
      "mode": "Container" ,
      "locator": "x"
    },
    "systems": [ { "name": "a" } ]
  }
}
`
	got, err := SetMode([]byte(in), ModeContainer)
	if err != nil || string(got) != want {
		t.Fatalf("SetMode:\n%s\nerr %v", got, err)
	}
}

func TestLegacyOutOfProcess(t *testing.T) {
	in := `{"classname":"OCDM","configuration":{"root":{"outofprocess":true}}}`
	prev, err := ReadMode([]byte(in))
	if err != nil || prev != (ModeState{Mode: ModeLocal}) {
		t.Fatalf("ReadMode = %+v, %v", prev, err)
	}
	got, err := SetMode([]byte(in), ModeContainer)
	want := `{"classname":"OCDM","configuration":{"root":{"outofprocess":true,"mode":"Container"}}}`
	if err != nil || string(got) != want {
		t.Fatalf("SetMode = %s, %v", got, err)
	}
	// mode wins over outofprocess when both exist.
	both := `{"configuration":{"root":{"outofprocess":true,"mode":"Off"}}}`
	if m, _ := ReadMode([]byte(both)); m.Mode != ModeOff || !m.Explicit {
		t.Fatalf("mode and outofprocess: %+v", m)
	}
}

func TestSetModeRefusals(t *testing.T) {
	for name, in := range map[string]string{
		"invalid":    `{"configuration":{"root":{"mode":"Local"}}`,
		"no root":    `{"configuration":{}}`,
		"root array": `{"configuration":{"root":[]}}`,
		"mode int":   `{"configuration":{"root":{"mode":3}}}`,
	} {
		if _, err := SetMode([]byte(in), ModeContainer); err == nil {
			t.Errorf("%s: SetMode accepted %s", name, in)
		}
	}
	if _, err := SetMode([]byte(`{"configuration":{}}`), ModeContainer); !errors.Is(err, ErrNoRoot) {
		t.Errorf("no root: err = %v, want ErrNoRoot", err)
	}
}
