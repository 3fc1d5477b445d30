#!/usr/bin/env bash
# tally.sh FILE: the summary line of `make test`, from the counts the tests
# appended to FILE (internal/tally): how many hostile archives and targets
# and how many fault injections (a run killed at a point, then run again)
# the suite ran.
set -euo pipefail
awk '{ n[$1] += $2 }
  END {
    printf "hostile cases: %d (archives %d, targets %d); fault injections: %d\n",
      n["hostile-archives"] + n["hostile-targets"], n["hostile-archives"], n["hostile-targets"], n["fault-injections"]
  }' "${1:-/dev/null}"
