package thunder

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// Defaults of Thunder R5.3's main config (Source/Thunder/Config.h and
// Source/messaging/MessageUnit.h); R4.4 has the same communicator and
// folder (its buffers default to 16128 bytes).
const (
	defaultCommunicator    = "/tmp/communicator|0777"
	defaultMessagingFolder = "MessageDispatcher"
	defaultMessagingSize   = 20 * 1024
)

// DevicePATH is the PATH Thunder usually runs with on the device, what a
// bare "lxc.environment = PATH" passes on to the container: the build host
// cannot know the device's, so the common one stands in.
const DevicePATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Processes is what Thunder's main config tells the processes it starts,
// such as the hosting process in a plugin's container: where to reach
// Thunder (its communicator) and where to leave messages (its messaging
// folder under the volatile path).
type Processes struct {
	// VolatilePath is Thunder's volatile path, where it puts what the
	// processes it starts share with it (a device path).
	VolatilePath string
	// Communicator is the "communicator" value as Thunder reads it: a unix
	// socket path (with "|mode" and ",group" suffixes) or host:port.
	Communicator string
	// MessagingFolder is the folder of the message buffers (a device path),
	// MessagingName its name in the volatile path as the config gives it.
	MessagingFolder string
	MessagingName   string
	// MessagingMode is the mode Thunder gives that folder ("path":
	// "MessageDispatcher|0777"); 0 when the config names none, and Thunder
	// leaves the folder as it makes it: root's, 0755.
	MessagingMode uint32
	MessagingPort int64
	MessagingSize int64
}

// ReadProcesses reads the communicator and messaging settings of the
// layout's main config, Thunder's defaults where it says nothing (or is
// missing).
func ReadProcesses(root inroot.FS, l Layout) (Processes, error) {
	p := Processes{VolatilePath: path.Clean(l.VolatilePath), Communicator: defaultCommunicator, MessagingSize: defaultMessagingSize}
	folder := defaultMessagingFolder
	data, err := inroot.ReadFile(root, l.Config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Processes{}, fmt.Errorf("read Thunder config %s: %w", inroot.Describe(root, l.Config), err)
	case !gjson.ValidBytes(data):
		return Processes{}, fmt.Errorf("Thunder config %s is not valid JSON: fix it", inroot.Describe(root, l.Config))
	default:
		cfg := gjson.ParseBytes(data)
		if v := cfg.Get("communicator"); v.Type == gjson.String && v.String() != "" {
			p.Communicator = v.String()
		}
		if v := cfg.Get("messaging.path"); v.Type == gjson.String && v.String() != "" {
			folder = v.String()
		}
		if v := cfg.Get("messaging.port"); v.Type == gjson.Number {
			p.MessagingPort = v.Int()
		}
		if v := cfg.Get("messaging.datasize"); v.Type == gjson.Number {
			p.MessagingSize = v.Int()
		}
	}
	p.MessagingName, p.MessagingMode = parseMessagingPath(folder)
	p.MessagingFolder = path.Join(l.VolatilePath, p.MessagingName)
	return p, nil
}

// parseMessagingPath splits "MessageDispatcher|0777" into the folder and
// the mode Thunder gives it, read as Thunder reads numbers (Core::
// NumberType): octal after a leading 0, hexadecimal after 0x, decimal
// otherwise. A mode Thunder could not read is 0, as for Thunder.
func parseMessagingPath(value string) (folder string, mode uint32) {
	folder, text, found := strings.Cut(value, "|")
	if !found {
		return folder, 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(text), 0, 16)
	if err != nil {
		return folder, 0
	}
	return folder, uint32(n)
}

// SharedFolders are the device folders Thunder shares with the processes
// it starts, which a plugin's container must show at the same paths: the
// volatile path (Thunder hands the hosting process paths there, and its
// message buffers are there) and the folder of the communicator socket
// when it is not inside it (the hosting process connects to the socket by
// its path). Measured with Thunder R5.3: with the volatile path
// /var/volatile, activation works only when both are mounted.
func (p Processes) SharedFolders() []string {
	dirs := []string{p.VolatilePath}
	if socket, ok := p.CommunicatorSocket(); ok && !within(path.Dir(socket), p.VolatilePath) {
		dirs = append(dirs, path.Dir(socket))
	}
	return dirs
}

// within tells whether the device path p is dir or below it.
func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// CommunicatorSocket returns the path of the communicator's unix socket,
// and false when the communicator is a TCP address. Thunder takes a value
// with a '/' for a socket path, ",group" and "|mode" suffixes stripped
// (Core::NodeId).
func (p Processes) CommunicatorSocket() (string, bool) {
	if !strings.Contains(p.Communicator, "/") {
		return "", false
	}
	socket, _, _ := strings.Cut(p.Communicator, ",")
	socket, _, _ = strings.Cut(socket, "|")
	return path.Clean(socket), true
}

// MessageDispatcherConfig is the MESSAGE_DISPATCHER_CONFIG value Thunder
// R5 sets for the processes it starts (MessageUnit::Settings::Save):
// folder|identifier|port|mode|datasize, mode 1 being a Thunder in the
// background, as on a device. WPEFramework R4.4 appends three buffer
// sizes, which its hosting process reads as 0 when absent: the value is
// for what a hosting process started by hand needs, not a copy of any one
// release's.
func (p Processes) MessageDispatcherConfig() string {
	return fmt.Sprintf("%s|md|%d|1|%d", p.MessagingFolder, p.MessagingPort, p.MessagingSize)
}
