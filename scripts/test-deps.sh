#!/usr/bin/env bash
# make test-deps: make sure what scripts/test-packages lists is here, and
# be quick when it is (no apt-get update then).
#
# Packages to install: as root, the missing ones are installed with one
# apt-get update and one apt-get install; otherwise they are named, and the
# tests that need them skip and say so.
#
# "unpack" packages are test inputs: each is downloaded with apt-get
# download into a cache folder and unpacked there with dpkg-deb. apt reads
# private package lists made for that package's architecture alone, so no
# foreign architecture is added to dpkg and the system's lists are left
# alone; this works without root too. A package that cannot be had (no
# network) is named, and its tests skip.
set -euo pipefail
list="$(dirname "$0")/test-packages"
# The tests find the cache the same way (internal/treetest/unpacked.go).
cache="${THUNDER_LXC_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thunder-lxc-test}"

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "test-deps: not a Debian machine (no dpkg-query or apt-get): tests whose tools are missing skip"
  exit 0
fi

install=() unpack=()
while read -r first second _; do
  case "$first" in
    "") ;;
    unpack) unpack+=("$second") ;;
    *) install+=("$first") ;;
  esac
done < <(sed 's/#.*//' "$list")

# Installed packages, as dpkg knows them.
missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${install[@]}" 2>/dev/null | awk '$2 == "ii" {print $1}' || true)
for p in "${install[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -q -o DPkg::Lock::Timeout=600)
    # A mirror in mid-sync can fail one index while the others are fine;
    # a real failure shows in the install.
    "${apt[@]}" update >/dev/null || echo "test-deps: warning: apt-get update reported errors"
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null ||
      echo "test-deps: warning: could not install ${missing[*]}: the tests that need them skip"
  else
    echo "test-deps: missing ${missing[*]}: the tests that need them skip (as root, make test installs them)"
  fi
fi

# run's armhf test needs the kernel to hand ARM programs to qemu-user:
# qemu-user-static's handler, registered (binfmt_misc mounted) once per
# boot by binfmt-support's service, which a machine without systemd lacks.
if [ "$(id -u)" = 0 ] && [ -e /usr/share/binfmts/qemu-arm ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then
  update-binfmts --enable qemu-arm >/dev/null 2>&1 ||
    echo "test-deps: warning: could not register qemu-arm with binfmt_misc: the armhf run test skips"
fi

# Test inputs: NAME[:ARCH] is unpacked in $cache/deb/NAME_ARCH (NAME alone:
# the machine's architecture).
native=$(dpkg --print-architecture)
declare -A wanted=() # architecture -> the packages of it still missing
for spec in "${unpack[@]}"; do
  [ -d "$cache/deb/${spec/:/_}" ] && continue
  arch=${spec#*:}
  [ "$arch" = "$spec" ] && arch=$native
  wanted[$arch]+="$spec "
done
[ ${#wanted[@]} -eq 0 ] && exit 0

mkdir -p "$cache/deb"
work=$(mktemp -d "$cache/.download-XXXXXX")
trap 'rm -rf "$work"' EXIT
for arch in "${!wanted[@]}"; do
  read -ra specs <<<"${wanted[$arch]}"
  echo "test-deps: downloading ${specs[*]} into $cache/deb"
  state="$work/apt-$arch"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  apt=(apt-get -q -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
    -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Acquire::Languages=none)
  # As root apt downloads as the _apt user, who may not enter the cache.
  [ "$(id -u)" = 0 ] && apt+=(-o APT::Sandbox::User=root)
  "${apt[@]}" update >"$state/update.log" 2>&1 ||
    echo "test-deps: warning: apt-get update for $arch reported errors (see below if a download fails)"
  for spec in "${specs[@]}"; do
    name=${spec%%:*} dest="$cache/deb/${spec/:/_}" dir="$state/$name"
    mkdir "$dir"
    if ! (cd "$dir" && "${apt[@]}" download "$name:$arch") >"$dir.log" 2>&1; then
      echo "test-deps: could not download $spec: the tests that need it skip"
      grep -hE '^(E|W|Err):' "$state/update.log" "$dir.log" | head -5 | sed 's/^/  /'
      continue
    fi
    # Unpacked beside the cache entry and renamed into place, so a reader
    # never sees half of it (nor a second run of this script).
    dpkg-deb -x "$dir"/*.deb "$dir/root"
    mv -T "$dir/root" "$dest" 2>/dev/null || [ -d "$dest" ]
  done
done
