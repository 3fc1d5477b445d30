package thunder

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// OpenMessagingMode is the messaging folder's mode that lets the hosting
// process of a container with an ID map create its message buffers there.
//
// Why: Thunder makes the folder (<volatilepath>/MessageDispatcher) as root
// with mode 0755, and the hosting process of a container with an ID map runs
// as an unprivileged host user (100000 with the default map), which may not
// create files in it: its messages (logging and tracing) never reach
// Thunder. Measured with Thunder R5.3 and WPEFramework R4.4: a log line of
// the plugin's out-of-process part arrives with "MessageDispatcher|0777",
// and never with the default. The buffers themselves Thunder's processes
// create readable and writable by all, so the folder is the one obstacle.
const OpenMessagingMode = 0o777

// MessagingOpen tells whether the messaging folder lets any user create
// files in it (its "other" bits have w and x): only then can the hosting
// process of a container with an ID map, which is neither the folder's
// owner nor in its group, leave its messages there.
func (p Processes) MessagingOpen() bool { return p.MessagingMode&0o003 == 0o003 }

// OpenMessagingPath is the "messaging.path" value that keeps the folder
// of p and gives it OpenMessagingMode: "MessageDispatcher|0777".
func (p Processes) OpenMessagingPath() string {
	return fmt.Sprintf("%s|%04o", p.MessagingName, OpenMessagingMode)
}

// SetMessagingPath returns the main config with "messaging.path" set to
// value, the rest of the file kept byte for byte. A config without a
// "messaging" object gets one as its last member, indented as its first.
func SetMessagingPath(config []byte, value string) ([]byte, error) {
	if !gjson.GetBytes(config, "messaging").Exists() {
		return addMessaging(config, value)
	}
	out, err := sjson.SetBytes(config, "messaging.path", value)
	if err != nil {
		return nil, fmt.Errorf("set messaging.path: %w", err)
	}
	return out, nil
}

// addMessaging adds "messaging": {"path": value} after the last member of
// the top-level object. (sjson would append it on the closing brace's
// line and drop the file's last newline.)
func addMessaging(config []byte, value string) ([]byte, error) {
	text := string(config)
	end := strings.LastIndexByte(text, '}')
	start := strings.IndexByte(text, '{')
	if start < 0 || end < start || !gjson.Valid(text) {
		return nil, fmt.Errorf("set messaging.path: not a JSON object")
	}
	last := len(strings.TrimRight(text[:end], " \t\r\n"))
	member := messagingMember(text[start+1:], value)
	if last == start+1 { // an empty object
		return []byte(text[:last] + strings.TrimPrefix(member, ",") + text[last:]), nil
	}
	return []byte(text[:last] + member + text[last:]), nil
}

// messagingMember is what addMessaging adds (and RestoreMessagingPath
// takes out again): a comma, the indent of the object's first member, the
// member.
func messagingMember(afterBrace, value string) string {
	indent := afterBrace[:len(afterBrace)-len(strings.TrimLeft(afterBrace, " \t\r\n"))]
	quoted, _ := json.Marshal(value)
	return "," + indent + `"messaging": {"path": ` + string(quoted) + "}"
}

// RestoreMessagingPath puts "messaging.path" back to before ("": the key
// was absent; a "messaging" object left empty goes too), the rest of the
// file kept. It does so only while the config has what SetMessagingPath
// set on before (ok false otherwise: the file was changed since, and is
// left as it is).
func RestoreMessagingPath(config []byte, before string) (restored []byte, ok bool, err error) {
	name := before
	if name == "" {
		name = defaultMessagingFolder
	}
	name, _ = parseMessagingPath(name)
	opened := Processes{MessagingName: name}.OpenMessagingPath()
	if gjson.GetBytes(config, "messaging.path").String() != opened {
		return config, false, nil
	}
	if before != "" {
		restored, err = sjson.SetBytes(config, "messaging.path", before)
		return restored, err == nil, err
	}
	// The key was absent: take out the member addMessaging added, or,
	// when the file was reformatted since, the key.
	text := string(config)
	if start := strings.IndexByte(text, '{'); start >= 0 {
		if member := messagingMember(text[start+1:], opened); strings.Count(text, member) == 1 {
			return []byte(strings.Replace(text, member, "", 1)), true, nil
		}
	}
	if restored, err = sjson.DeleteBytes(config, "messaging.path"); err != nil {
		return nil, false, err
	}
	if m := gjson.GetBytes(restored, "messaging"); m.IsObject() && len(m.Map()) == 0 {
		restored, err = sjson.DeleteBytes(restored, "messaging")
	}
	return restored, err == nil, err
}
