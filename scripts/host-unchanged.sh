#!/usr/bin/env bash
# host-unchanged.sh CMD...: run CMD (make test runs the test suite so) and
# fail when it left the build host otherwise than it found it, in the places
# tests are tempted to touch: the mount table, root's /etc/subuid and
# /etc/subgid grants, dpkg's architectures, the folders device paths land in
# (/, /etc, /usr/share, /var/log), and LXC's own state folders. A suite that
# passes once and changes these may fail its own rerun.
#
# Left out on purpose: /tmp (every test's temporary folders, and other
# programs'), the caches (Go's, make test-deps'), and the cgroup LXC makes
# once and keeps (lxc.pivot).
set -uo pipefail

state() {
  echo "== mounts"
  awk '{print $5}' /proc/self/mountinfo | sort
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
    find "$d" 2>/dev/null | sort
  done
}

before=$(state)
"$@"
status=$?
after=$(state)
if [ "$before" != "$after" ]; then
  echo "the tests left the build host changed (- before, + after):"
  diff -u <(echo "$before") <(echo "$after") | sed 1,2d
  [ "$status" = 0 ] && status=1
fi
exit "$status"
