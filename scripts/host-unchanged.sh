#!/usr/bin/env bash
# host-unchanged.sh CMD...: run CMD (make test runs the test suite so) and
# fail when it left the build host otherwise than it found it, in the places
# tests are tempted to touch: the mount table, root's /etc/subuid and
# /etc/subgid grants, dpkg's architectures, the folders device paths land in
# (/, /etc, /usr/share, /var/log), and LXC's own state folders. A suite that
# passes once and changes these may fail its own rerun.
#
# Left out on purpose: other programs' temporary folders, the caches (Go's,
# make test-deps'), and the cgroup LXC makes once and keeps (lxc.pivot).
set -uo pipefail

# The command gets its own temporary folder: what it leaves there is
# reported, and its traces elsewhere are told from other programs' (lock
# files and mounts named after its temporary folders).
base=${TMPDIR:-/tmp}
run_tmp=$(mktemp -d "$base/tlx.XXXXXX")
chmod 1777 "$run_tmp" # as /tmp: tests run programs as other users
trap 'rm -rf "$run_tmp"' EXIT

# ours keeps the lines of stdin that are not below $base, or are below the
# command's own temporary folder.
ours() {
  awk -v other="$1$base/" -v mine="$1$run_tmp" 'index($0, other) != 1 || index($0, mine) == 1'
}

state() {
  echo "== mounts"
  awk '{print $5}' /proc/self/mountinfo | ours "" | sort
  for f in /etc/subuid /etc/subgid; do
    echo "== $f"
    cat "$f" 2>/dev/null
  done
  echo "== dpkg foreign architectures"
  dpkg --print-foreign-architectures 2>/dev/null
  for d in / /etc /usr/share /var/log; do
    echo "== $d"
    find "$d" -mindepth 1 -maxdepth 1 2>/dev/null | sort
  done
  for d in /run/lxc /var/lib/lxc /var/cache/lxc /var/log/lxc; do
    echo "== $d"
    find "$d" 2>/dev/null | ours /run/lxc/lock | sort
  done
}

before=$(state)
TMPDIR=$run_tmp "$@"
status=$?
after=$(state)
if [ "$before" != "$after" ]; then
  echo "the tests left the build host changed (- before, + after):"
  diff -u <(echo "$before") <(echo "$after") | sed 1,2d
  [ "$status" = 0 ] && status=1
fi
left=$(find "$run_tmp" -mindepth 1 -maxdepth 1)
if [ -n "$left" ]; then
  echo "the tests left files in their temporary folder:"
  echo "$left"
  [ "$status" = 0 ] && status=1
fi
exit "$status"
