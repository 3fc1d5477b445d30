#!/usr/bin/env bash
# make e2e-thunder: real Thunder runs a plugin in a container this tool made.
#
# Builds, from the sources in $THUNDER_LXC_THIRD_PARTY, Thunder (with
# ProcessContainers and its LXC backend) and the ThunderTools its build
# needs, then the test plugin of testdata/thunder-probe against it, and
# makes a device base (a Debian minbase with LXC from apt). Each of them is
# cached under $THUNDER_LXC_E2E_CACHE (default ~/.cache/thunder-lxc-e2e) in a
# folder named after the hash of what it is made from, so a rerun builds
# nothing; a changed source or recipe gets a folder of its own. Then it runs
# the Go test internal/thundere2e, which puts the device together,
# provisions it with thunder-lxc and runs Thunder in it (docs/thunder-e2e.md).
#
#   scripts/e2e-thunder.sh [build]   build only: "build"; else build and test
#
# Needs root (debootstrap, and the test starts containers), Debian's cmake,
# ninja, g++ and lxc-dev (scripts/test-packages), and the Debian mirror for
# the device base. Without the third-party folder it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
only_build=false
[ "${1:-}" = build ] && only_build=true

say() { echo "e2e-thunder: $*"; }

tp=${THUNDER_LXC_THIRD_PARTY:-}
r5=(thunder-R5.3.0.tar.gz thundertools-R5.3.0.tar.gz)
r4=(thunder-R4.4.7.tar.gz thundertools-R4.4.6.tar.gz)
jsonref="jsonref-v1.1.0.tar.gz"
if [ -z "$tp" ]; then
  say "skipped: set THUNDER_LXC_THIRD_PARTY to the folder of Thunder's sources (.ci/run sets ../shared/third-party)"
  exit 0
fi
for f in "${r5[@]}" "$jsonref"; do
  if [ ! -f "$tp/$f" ]; then
    say "skipped: $tp/$f is missing"
    exit 0
  fi
done
if [ "$(id -u)" != 0 ]; then
  say "skipped: needs root (debootstrap makes the device, and Thunder starts containers)"
  exit 0
fi
for tool in cmake ninja g++ debootstrap; do
  command -v "$tool" >/dev/null || { say "needs $tool: make test-deps installs it"; exit 1; }
done

cache=${THUNDER_LXC_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thunder-lxc-e2e}
mkdir -p "$cache"
jobs=$(nproc)

# key NAME RECIPE FILE... prints NAME-<hash>: the hash of the files'
# contents and of RECIPE, the function of this script that builds it, so a
# changed source or recipe builds anew beside the old one.
key() {
  local name=$1 recipe=$2
  shift 2
  { sha256sum "$@" | awk '{print $1}'; declare -f "$recipe"; } | sha256sum | cut -c1-16 | sed "s/^/$name-/"
}

# made NAME FUNCTION ARGS...: FUNCTION WORK ARGS... builds into a fresh
# folder beside the cache entry, which is renamed into place only when it
# succeeded: a cache folder is always whole, and an interrupted build
# starts over.
made() {
  local dest=$cache/$1
  shift
  if [ -d "$dest" ]; then
    say "cached: $dest"
    touch "$dest" # in use: see the clean-up at the end
    return
  fi
  local work
  work=$(mktemp -d "$dest.partial-XXXXXX")
  say "building $dest (log: $work.log)"
  local started=$SECONDS
  # In the background, so that set -e holds in FUNCTION (an "if" would
  # switch it off there).
  "$1" "$work" "${@:2}" >"$work.log" 2>&1 &
  if ! wait $!; then
    tail -n 30 "$work.log"
    say "failed: the whole log is $work.log"
    rm -rf "$work"
    exit 1
  fi
  rm -rf "$work/build" "$work/src"
  mv -T "$work" "$dest"
  rm -f "$work.log"
  say "built $dest in $((SECONDS - started)) s"
}

# build_thunder WORK THUNDER_TGZ TOOLS_TGZ: ThunderTools, then Thunder with
# ProcessContainers (LXC backend), Thunder staged in WORK/stage. Thunder R5
# and WPEFramework R4 alike. ThunderTools (R4.4.6 at least) write the
# generators' paths into the Find*.cmake files they install, so they are
# installed where they stay (a prefix in WORK, not a DESTDIR), which
# TOOLS_SYSROOT names. Debug: Thunder's assertions are on, and -O0 builds
# fastest. JSON-RPC on 127.0.0.1:55555.
build_thunder() {
  local work=$1 thunder=$2 tools=$3
  mkdir -p "$work/src" "$work/build"
  tar -xzf "$thunder" -C "$work/src"
  tar -xzf "$tools" -C "$work/src"
  # ThunderTools' code generators import jsonref (jsonref.py and
  # proxytypes.py), which bookworm lacks.
  tar -xzf "$tp/$jsonref" -C "$work/src"
  export PYTHONPATH=$work/src/jsonref
  cmake -G Ninja -S "$work/src/ThunderTools" -B "$work/build/tools" -DCMAKE_INSTALL_PREFIX="$work/tools/usr"
  cmake --build "$work/build/tools" --target install
  cmake -G Ninja -S "$work/src/Thunder" -B "$work/build/thunder" -DCMAKE_INSTALL_PREFIX=/usr \
    -DTOOLS_SYSROOT="$work/tools" -DCMAKE_BUILD_TYPE=Debug -DBINDING=127.0.0.1 -DPORT=55555 \
    -DPROCESSCONTAINERS=ON -DPROCESSCONTAINERS_LXC=ON
  cmake --build "$work/build/thunder" -j "$jobs"
  DESTDIR=$work/stage cmake --install "$work/build/thunder"
}

# build_probe WORK THUNDER_DIR: the test plugin, built against a Thunder of
# the cache and installed into WORK/stage. Thunder's plugin package looks
# for ThunderTools' generators, which are CMake find modules.
build_probe() {
  local work=$1 thunder=$2
  cmake -G Ninja -S "$repo/testdata/thunder-probe" -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$thunder/stage/usr" -DCMAKE_FIND_ROOT_PATH="$thunder/stage" \
    -DCMAKE_MODULE_PATH="$(echo "$thunder"/tools/usr/include/*/Modules)"
  cmake --build "$work/build"
  DESTDIR=$work/stage cmake --install "$work/build"
}

# build_device WORK: the device's base, a Debian minbase of the build
# host's release (Thunder is built against the host's libraries) with LXC
# and what Thunder's programs link against, from the machine's mirror.
build_device() {
  local work=$1 mirror=http://deb.debian.org/debian suite
  suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  debootstrap --variant=minbase --include=lxc,liblxc1,libssl3,zlib1g "$suite" "$work/rootfs" "$mirror"
  # What apt downloaded is of no use to the test.
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*_Packages
}


thunder5=$(key thunder build_thunder "${r5[@]/#/$tp/}" "$tp/$jsonref")
made "$thunder5" build_thunder "$tp/${r5[0]}" "$tp/${r5[1]}"
probe_files=$(find testdata/thunder-probe -type f | sort)
# shellcheck disable=SC2086 # the file names have no spaces
probe5=$(key probe build_probe "$cache/$thunder5/stage/usr/bin/Thunder" $probe_files)
made "$probe5" build_probe "$cache/$thunder5"
device=$(key device build_device /etc/os-release)
made "$device" build_device
env=(THUNDER_LXC_E2E_THUNDER="$cache/$thunder5/stage" THUNDER_LXC_E2E_PROBE="$cache/$probe5/stage"
  THUNDER_LXC_E2E_DEVICE="$cache/$device/rootfs")

# WPEFramework R4.4 too, when its sources are there.
if [ -f "$tp/${r4[0]}" ] && [ -f "$tp/${r4[1]}" ]; then
  thunder4=$(key wpeframework build_thunder "${r4[@]/#/$tp/}" "$tp/$jsonref")
  made "$thunder4" build_thunder "$tp/${r4[0]}" "$tp/${r4[1]}"
  # shellcheck disable=SC2086 # the file names have no spaces
  probe4=$(key probe build_probe "$cache/$thunder4/stage/usr/bin/WPEFramework" $probe_files)
  made "$probe4" build_probe "$cache/$thunder4"
  env+=(THUNDER_LXC_E2E_WPEFRAMEWORK="$cache/$thunder4/stage" THUNDER_LXC_E2E_PROBE_R4="$cache/$probe4/stage")
else
  say "no WPEFramework R4 sources in $tp: its test skips"
fi

# What no run has used for 30 days (the builds of sources or recipes since
# changed) and builds left half-done a day ago go.
find "$cache" -mindepth 1 -maxdepth 1 \( -mtime +30 -o -name '*.partial-*' -mtime +1 \) -exec rm -rf {} +

if $only_build; then
  printf '%s\n' "${env[@]}"
  exit 0
fi
exec env "${env[@]}" ./scripts/host-unchanged.sh go test -count=1 -v -timeout 30m ./internal/thundere2e/
