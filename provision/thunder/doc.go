// Package thunder holds what Thunder (WPEFramework) knows: path layouts, the
// plugin JSON edit, and the Buildroot option names of both release families.
package thunder
