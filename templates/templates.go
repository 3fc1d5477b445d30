// Package templates embeds the LXC config templates (*.tmpl).
package templates

import "embed"

// FS holds the templates; lxc-config.tmpl is the default container config.
//
//go:embed *.tmpl
var FS embed.FS

// DefaultConfig is the name of the default LXC config template in FS.
const DefaultConfig = "lxc-config.tmpl"
