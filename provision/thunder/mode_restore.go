package thunder

import "github.com/tidwall/sjson"

// RestoreMode returns data with configuration.root.mode as was describes
// it: the value set back, or the key deleted when the file had none (its
// mode came from legacy "outofprocess" or the default). Only that member
// changes; remove uses it when the file changed since it was provisioned
// and its earlier bytes cannot simply be written back.
func RestoreMode(data []byte, was ModeState) ([]byte, error) {
	if _, err := ReadMode(data); err != nil {
		return nil, err
	}
	if was.Explicit {
		return sjson.SetBytes(data, "configuration.root.mode", was.Mode)
	}
	return sjson.DeleteBytes(data, "configuration.root.mode")
}
