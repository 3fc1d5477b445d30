################################################################################
#
# thunder-lxc
#
################################################################################

# The tool is built from the checkout this BR2_EXTERNAL tree lives in, so the
# binary and the hook scripts beside it always match, with no release tarball
# or hash to keep in step. Its version is that checkout's, named as the
# project's "make build" names it.
THUNDER_LXC_VERSION := $(or $(shell git -C $(BR2_EXTERNAL_THUNDER_LXC_PATH) \
	describe --tags --always --dirty 2>/dev/null),custom)
THUNDER_LXC_SITE = $(BR2_EXTERNAL_THUNDER_LXC_PATH)/../..
THUNDER_LXC_SITE_METHOD = local

HOST_THUNDER_LXC_GOMOD = github.com/thunder-lxc/thunder-lxc
HOST_THUNDER_LXC_BUILD_TARGETS = cmd/thunder-lxc
# Buildroot builds with -trimpath -buildvcs=false, which leave no version in
# the binary: "thunder-lxc version" reads this one.
HOST_THUNDER_LXC_LDFLAGS = -X main.version=$(THUNDER_LXC_VERSION)

# The Go infrastructure vendors a package's modules in the download step
# (support/download/go-post-process), which the local site method skips, and
# then builds with -mod=vendor and no network. So vendor here, as that step
# does: GOPROXY=direct unless the environment names a proxy; modules already
# in Buildroot's module cache are not fetched again. A checkout that carries
# its own vendor/ folder (go mod vendor) is built as it is, offline.
HOST_THUNDER_LXC_GOPROXY = $(or $(GOPROXY),direct)

define HOST_THUNDER_LXC_VENDOR_MODULES
	if [ ! -d $(HOST_THUNDER_LXC_OVERRIDE_SRCDIR)/vendor ]; then \
		cd $(@D) && $(HOST_GO_COMMON_ENV) \
			GOPROXY="$(HOST_THUNDER_LXC_GOPROXY)" \
			$(GO_BIN) mod vendor -modcacherw; \
	fi
endef
HOST_THUNDER_LXC_PRE_BUILD_HOOKS += HOST_THUNDER_LXC_VENDOR_MODULES

$(eval $(host-golang-package))
