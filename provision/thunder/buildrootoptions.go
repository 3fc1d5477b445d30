package thunder

import (
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// buildrootFamily is one naming of Thunder's Buildroot options. Both come
// from Metrological's br2-external tree (buildroot-external-metrological-
// open-source); its packages appear in menuconfig under "External options"
// (inside a submenu named after the tree when several br2-external trees are
// used).
//
// Menu prompts: the R5 ones are taken from that tree's
// package/thunder-opensource/{thunder,thunder-plugins}/Config.in, the R4
// core ones from package/wpeframework-opensource/wpeframework/Config.in.
// The R4 plugin option (BR2_PACKAGE_WPEFRAMEWORK_PLUGINPROCESSCONTAINERS)
// could not be found in the stored sources; its name and prompt are assumed
// to mirror the R5 one.
type buildrootFamily struct {
	name    string // "Thunder" or "WPEFramework", as in the layouts
	release string
	pkg     string // the framework package option

	pkgMenu, containersMenu, lxcMenu, pluginMenu string
}

var buildrootFamilies = []buildrootFamily{
	{
		name: "Thunder", release: "R5", pkg: "BR2_PACKAGE_THUNDER",
		pkgMenu:        "External options → thunder",
		containersMenu: "External options → thunder → Extensions → Process Containers",
		lxcMenu:        "External options → thunder → Extensions → Process Containers → LXC",
		pluginMenu:     "External options → Thunder Plugins → ProcessContainers",
	},
	{
		name: "WPEFramework", release: "R4", pkg: "BR2_PACKAGE_WPEFRAMEWORK",
		pkgMenu:        "External options → wpeframework",
		containersMenu: "External options → wpeframework → Extensions → Process Containers",
		lxcMenu:        "External options → wpeframework → Extensions → Process Containers → Containers backend → LXC",
		pluginMenu:     "External options → WPEFramework Plugins → ProcessContainers",
	},
}

// familiesOf returns the families the tree selects; when it selects none,
// the family the tree knows (its options appear as "is not set"), so the
// report can name the menu entries to enable.
func familiesOf(cfg lxc.KernelConfig) []buildrootFamily {
	var selected, known []buildrootFamily
	for _, f := range buildrootFamilies {
		if cfg.Enabled(f.pkg) {
			selected = append(selected, f)
		} else if cfg.Mentions(f.pkg) {
			known = append(known, f)
		}
	}
	if len(selected) > 0 {
		return selected
	}
	if len(known) > 0 {
		return known[:1]
	}
	return nil
}

// Menu entries of Buildroot's own packages (package/Config.in, linux/Config.in).
const (
	menuLXC          = "Target packages → System tools → lxc"
	menuCgroupfs     = "Target packages → System tools → cgroupfs-mount"
	menuLibseccomp   = "Target packages → Libraries → Other → libseccomp"
	menuLibcap       = "Target packages → Libraries → Other → libcap"
	menuKernelConfig = "Kernel → Linux Kernel → Kernel configuration → Using a custom (def)config file → Configuration file path"
)

// buildrootFindings lists the options, family ones first.
func buildrootFindings(cfg lxc.KernelConfig, fams []buildrootFamily) []BuildrootFinding {
	var out []BuildrootFinding
	add := func(name string, required bool, why, menu string) {
		out = append(out, BuildrootFinding{Name: name, Present: cfg.Enabled(name), Required: required, Why: why, Menu: menu})
	}
	if len(fams) == 0 {
		out = append(out, BuildrootFinding{
			Name: "BR2_PACKAGE_THUNDER", Required: true,
			Why:  "this tree has neither Thunder (R5, BR2_PACKAGE_THUNDER) nor WPEFramework (R4, BR2_PACKAGE_WPEFRAMEWORK): add Metrological's br2-external tree (buildroot-external-metrological-open-source)",
			Menu: "make BR2_EXTERNAL=<path to buildroot-external-metrological-open-source> menuconfig, then External options → thunder",
		})
	}
	for _, f := range fams {
		add(f.pkg, true,
			f.name+" ("+f.release+") itself: the framework that starts the plugin's process in the container",
			f.pkgMenu)
		add(f.pkg+"_PROCESSCONTAINERS", true,
			"builds "+f.name+" with container support (PROCESSCONTAINERS=ON); without it \"mode\": \"Container\" is not understood and the plugin does not start",
			f.containersMenu)
		add(f.pkg+"_PROCESSCONTAINERS_BE_LXC", true,
			"the LXC backend of process containers (links liblxc, selects lxc and cgroupfs-mount); without it Thunder cannot start an LXC container",
			f.lxcMenu)
		add(f.pkg+"_PLUGINPROCESSCONTAINERS", false,
			"the ProcessContainers plugin, which lists and inspects containers at run time; a contained plugin runs without it",
			f.pluginMenu)
	}
	add("BR2_PACKAGE_LXC", true,
		"liblxc and the lxc tools on the target; Thunder's LXC backend links liblxc",
		menuLXC)
	if cfg.Enabled("BR2_PACKAGE_LIBSECCOMP") {
		add("BR2_PACKAGE_LIBSECCOMP", false,
			"liblxc is built with seccomp: lxc.seccomp.profile in common.conf can stay (seccomp mode keep or auto), and then the kernel needs CONFIG_SECCOMP_FILTER",
			menuLibseccomp)
	} else {
		add("BR2_PACKAGE_LIBSECCOMP", false,
			"liblxc is built without seccomp: since LXC 4.0.11 it cannot parse lxc.seccomp.profile and skips the container, so that line of common.conf must be commented (seccomp mode comment or auto does it); enable libseccomp to keep the syscall filter",
			menuLibseccomp)
	}
	add("BR2_PACKAGE_LIBCAP", false,
		"gives liblxc capabilities support (-Dcapabilities=true); without it liblxc cannot apply lxc.cap.drop from common.conf",
		menuLibcap)
	add("BR2_PACKAGE_CGROUPFS_MOUNT", false,
		"mounts the cgroup hierarchies at boot on systems without systemd; without mounted cgroups lxc-start fails",
		menuCgroupfs)
	return out
}
