package thunder

import (
	"testing"

	"github.com/tidwall/gjson"
)

// The mode after "|" is read as Thunder's Core::NumberType reads it.
func TestMessagingModeReadAsThunderDoes(t *testing.T) {
	for _, c := range []struct {
		value, name string
		mode        uint32
		open        bool
	}{
		{"MessageDispatcher", "MessageDispatcher", 0, false},
		{"MessageDispatcher|0777", "MessageDispatcher", 0o777, true},
		{"MessageDispatcher|01777", "MessageDispatcher", 0o1777, true},
		{"MessageDispatcher|0755", "MessageDispatcher", 0o755, false},
		{"MessageDispatcher|0773", "MessageDispatcher", 0o773, true},
		{"Messages|0x1ff", "Messages", 0o777, true},
		{"Messages|777", "Messages", 777, false}, // decimal: 0o1411, others --x
		{"Messages|rwx", "Messages", 0, false},
	} {
		name, mode := parseMessagingPath(c.value)
		p := Processes{MessagingMode: mode}
		if name != c.name || mode != c.mode {
			t.Errorf("%q: folder %q, mode %#o; want %q, %#o", c.value, name, mode, c.name, c.mode)
		}
		if p.MessagingOpen() != c.open {
			t.Errorf("%q: open %v, want %v", c.value, p.MessagingOpen(), c.open)
		}
	}
}

// The edit changes messaging.path alone and keeps the rest byte for byte;
// a config without a messaging object gets one.
func TestSetMessagingPathKeepsTheRest(t *testing.T) {
	config := "{\n \"port\":55555,\n \"messaging\":{\n  \"path\":\"MessageDispatcher\",\n  \"port\":0\n }\n}\n"
	p := Processes{MessagingName: "MessageDispatcher"}
	got, err := SetMessagingPath([]byte(config), p.OpenMessagingPath())
	want := "{\n \"port\":55555,\n \"messaging\":{\n  \"path\":\"MessageDispatcher|0777\",\n  \"port\":0\n }\n}\n"
	if err != nil || string(got) != want {
		t.Errorf("SetMessagingPath = %q, %v; want %q", got, err, want)
	}
	for config, want := range map[string]string{
		`{"port":55555}`:         `{"port":55555,"messaging": {"path": "MessageDispatcher|0777"}}`,
		"{\n  \"port\": 80\n}\n": "{\n  \"port\": 80,\n  \"messaging\": {\"path\": \"MessageDispatcher|0777\"}\n}\n",
		"{ }":                    `{ "messaging": {"path": "MessageDispatcher|0777"} }`,
	} {
		got, err = SetMessagingPath([]byte(config), p.OpenMessagingPath())
		if err != nil || string(got) != want {
			t.Errorf("without a messaging object: %q, %v; want %q", got, err, want)
		}
	}
}

// Restoring gives back the bytes from before the edit, whether the key
// was there or not; a config changed since is left alone.
func TestRestoreMessagingPathUndoesTheEdit(t *testing.T) {
	for _, before := range []string{
		"{\n \"port\":55555,\n \"messaging\":{\n  \"path\":\"MessageDispatcher\",\n  \"port\":0\n }\n}\n",
		"{\n  \"port\": 80,\n  \"plugins\": []\n}\n",
		"{\n  \"messaging\": {\"port\": 0}\n}\n",
	} {
		p, err := ReadProcesses(layoutTarget(t, map[string]string{"etc/Thunder/config.json": before}), mustLayout(t))
		if err != nil {
			t.Fatal(err)
		}
		edited, err := SetMessagingPath([]byte(before), p.OpenMessagingPath())
		if err != nil {
			t.Fatal(err)
		}
		was := gjsonPath(before)
		got, ok, err := RestoreMessagingPath(edited, was)
		if err != nil || !ok || string(got) != before {
			t.Errorf("restore of %q: %q, %v, %v; want the bytes before", edited, got, ok, err)
		}
		changed := []byte(`{"messaging":{"path":"Elsewhere|0777"}}`)
		if got, ok, _ := RestoreMessagingPath(changed, was); ok || string(got) != string(changed) {
			t.Errorf("a config changed since was restored: %q", got)
		}
	}
}

func mustLayout(t *testing.T) Layout {
	l, err := LoadLayout("thunder")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func gjsonPath(config string) string { return gjson.Get(config, "messaging.path").String() }
