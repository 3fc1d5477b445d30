package thunder

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ContainerName is the one LXC container name Thunder starts in each place
// it looks: <place>/Container/config.
const ContainerName = "Container"

// ContainerPlaces are the container folders Thunder looks at for a plugin,
// in its order: <volatilepath>/<callsign>, <persistentpath>/<callsign>,
// <datapath>/<classname>, each holding the container named Container.
func (l Layout) ContainerPlaces(p Plugin) []string {
	return []string{
		path.Join(l.VolatilePath, p.Callsign, ContainerName),
		path.Join(l.PersistentPath, p.Callsign, ContainerName),
		path.Join(l.DataPath, p.ClassName, ContainerName),
	}
}

// ErrNoContainer means none of a plugin's ContainerPlaces holds a container.
var ErrNoContainer = errors.New("no container")

// NoContainerError names the places Thunder would look in.
type NoContainerError struct {
	Callsign string
	Places   []string // device paths
}

func (e *NoContainerError) Error() string {
	return fmt.Sprintf("no container for %s: Thunder looks for %s (a folder with a config file) and the target has none of them",
		e.Callsign, strings.Join(e.Places, ", "))
}

func (e *NoContainerError) Is(target error) bool { return target == ErrNoContainer }

// FindContainer returns the container folder (a device path) that Thunder
// starts for the plugin: the first of ContainerPlaces with a config file,
// which is what LXC lists as a container there.
func FindContainer(root inroot.FS, l Layout, p Plugin) (string, error) {
	places := l.ContainerPlaces(p)
	for _, dir := range places {
		if info, err := inroot.Stat(root, path.Join(dir, "config")); err == nil && info.Mode().IsRegular() {
			return dir, nil
		}
	}
	return "", &NoContainerError{Callsign: p.Callsign, Places: places}
}
