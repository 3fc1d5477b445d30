package thunder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Plugin execution modes (configuration.root.mode).
const (
	ModeOff         = "Off"
	ModeLocal       = "Local"
	ModeContainer   = "Container"
	ModeDistributed = "Distributed"
)

// ErrNoRoot is returned when a plugin config has no configuration.root
// object: without it Thunder runs the plugin in-process and a mode cannot be
// set meaningfully.
var ErrNoRoot = errors.New(`no "configuration.root" object`)

// ErrDuplicateKey is returned when a key on the path to the mode appears
// twice in one object.
var ErrDuplicateKey = errors.New("duplicate key")

// modePath is every key that decides a plugin's mode, outermost first.
var modePath = [][]string{
	{"configuration"},
	{"configuration", "root"},
	{"configuration", "root", "mode"},
	{"configuration", "root", "outofprocess"},
}

// checkDuplicates refuses a key of modePath that appears twice in its
// object. JSON readers differ on which one counts (gjson and this tool take
// the first, many others the last): an edit of one would leave the other
// deciding, and the tool and Thunder would disagree on the mode.
func checkDuplicates(data []byte) error {
	doc := gjson.ParseBytes(data)
	for _, keys := range modePath {
		parent := doc
		if len(keys) > 1 {
			parent = doc.Get(strings.Join(keys[:len(keys)-1], "."))
		}
		last, n := keys[len(keys)-1], 0
		parent.ForEach(func(k, _ gjson.Result) bool {
			if k.String() == last {
				n++
			}
			return true
		})
		if n > 1 {
			return fmt.Errorf(`%w "%s" (%d times): JSON readers differ on which one counts; keep one`, ErrDuplicateKey, strings.Join(keys, "."), n)
		}
	}
	return nil
}

// ModeState is a plugin's mode as its file states it, enough to restore it.
type ModeState struct {
	// Mode is the effective mode: the "mode" key, else Local when legacy
	// "outofprocess" is true, else Off.
	Mode string `json:"mode"`
	// Explicit tells whether the file had a "mode" key; when it had not,
	// restoring means deleting the key again.
	Explicit bool `json:"explicit"`
}

// ReadMode returns the plugin's current mode.
func ReadMode(data []byte) (ModeState, error) {
	if !gjson.ValidBytes(data) {
		return ModeState{}, errors.New("not valid JSON")
	}
	if err := checkDuplicates(data); err != nil {
		return ModeState{}, err
	}
	root := gjson.GetBytes(data, "configuration.root")
	if !root.IsObject() {
		return ModeState{}, ErrNoRoot
	}
	if m := root.Get("mode"); m.Exists() {
		if m.Type != gjson.String {
			return ModeState{}, fmt.Errorf(`"configuration.root.mode" is %s, want a string`, m.Raw)
		}
		return ModeState{Mode: m.String(), Explicit: true}, nil
	}
	if root.Get("outofprocess").Bool() {
		return ModeState{Mode: ModeLocal}, nil
	}
	return ModeState{Mode: ModeOff}, nil
}

// SetMode returns data with configuration.root.mode set to mode. Only the
// value changes (or, when only legacy "outofprocess" is there, one
// "mode" member is added to root); every other byte stays as it was.
func SetMode(data []byte, mode string) ([]byte, error) {
	if _, err := ReadMode(data); err != nil {
		return nil, err
	}
	return sjson.SetBytes(data, "configuration.root.mode", mode)
}
