#!/usr/bin/env bash
# Runs every fuzz target of .ci/fuzz-targets for a long budget and prints the
# executions each ran. A crasher is written under the package's testdata/fuzz/
# by go test; commit it with the fix.
#   bench/fuzz.sh                 # 2,000,000 executions each (the default)
#   FUZZTIME=500000x bench/fuzz.sh
#   FUZZTIME=60s bench/fuzz.sh    # a duration: see below
# A count budget is preferred: with a duration, Go 1.26's fuzz coordinator can
# fail with "context deadline exceeded" when the time runs out mid-execution
# (golang/go#75804) without having found anything. Such a run is reported as
# "deadline flake (no input written)" and does not fail this script; a run that
# wrote a new input under testdata/fuzz/ is a finding and does.
set -uo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-2000000x}
status=0
while read -r pkg name _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  dir="$pkg/testdata/fuzz/$name"
  before=$(ls "$dir" 2>/dev/null | sort)
  out=$(go test "$pkg" -run='^$' -fuzz="^${name}\$" -fuzztime="$t" 2>&1 </dev/null)
  rc=$?
  after=$(ls "$dir" 2>/dev/null | sort)
  verdict=$(printf '%s\n' "$out" | tail -1)
  if [ $rc -ne 0 ]; then
    if [ "$before" = "$after" ] && printf '%s\n' "$out" | grep -q 'context deadline exceeded'; then
      verdict="deadline flake (no input written)"
    else
      status=1
      new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -1)
      verdict="FINDING ${new:+$dir/$new}: $(printf '%s\n' "$out" | grep -m1 -E 'panic|FAIL|---' )"
    fi
  fi
  execs=$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1)
  printf '%-16s %-18s %s %s\n' "$pkg" "$name" "${execs:-execs: ?}" "$verdict"
done < .ci/fuzz-targets
exit $status
