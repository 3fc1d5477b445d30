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

// Issue 11, item 5: with "mode" twice the tool set the first and left
// the second, which a last-key-wins reader (and Thunder may be one) takes.
// A duplicate anywhere on the way to the mode is refused.
func TestDuplicateModeKeysRefused(t *testing.T) {
	for name, in := range map[string]string{
		"mode":          `{"configuration":{"root":{"mode":"Local","mode":"Off"}}}`,
		"outofprocess":  `{"configuration":{"root":{"outofprocess":false,"outofprocess":true}}}`,
		"root":          `{"configuration":{"root":{"mode":"Local"},"root":{"mode":"Off"}}}`,
		"configuration": `{"configuration":{"root":{"mode":"Local"}},"configuration":{}}`,
		"escaped":       `{"configuration":{"root":{"mode":"Local","mo\u0064e":"Off"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadMode([]byte(in)); !errors.Is(err, ErrDuplicateKey) {
				t.Errorf("ReadMode err = %v, want ErrDuplicateKey", err)
			}
			if _, err := SetMode([]byte(in), ModeContainer); !errors.Is(err, ErrDuplicateKey) {
				t.Errorf("SetMode err = %v, want ErrDuplicateKey", err)
			}
		})
	}
	// The same key in other objects is no duplicate.
	ok := `{"mode":"x","configuration":{"mode":"y","root":{"mode":"Local","other":{"mode":"Off"}}}}`
	if m, err := ReadMode([]byte(ok)); err != nil || m.Mode != ModeLocal {
		t.Errorf("ReadMode = %+v, %v", m, err)
	}
}
