// Package layouts embeds the Thunder and WPEFramework path layouts: where a
// release keeps its main config, plugin configs and data, by default.
package layouts

import "embed"

// FS holds one <name>.json per layout.
//
//go:embed *.json
var FS embed.FS
