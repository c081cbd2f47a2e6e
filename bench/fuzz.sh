#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 60s) and prints the
# executions each ran. A crasher is written under the package's
# testdata/fuzz/ by go test; commit it with the fix.
#   FUZZTIME=60s bench/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-60s}
status=0
for target in ./corpus:FuzzParse ./corpus:FuzzParseWhen ./corpus:FuzzParseHTML ./corpus:FuzzHTMLText \
  ./corpus:FuzzParseMarkdown ./corpus:FuzzParseEmail ./corpus:FuzzHeaderBlock ./cmd/digestbot:FuzzParseConfig \
  ./search:FuzzParseQuery ./digest:FuzzSplit ./digest:FuzzParseSchedule ./bot/discord:FuzzInteraction; do
  pkg=${target%%:*} name=${target##*:}
  out=$(go test "$pkg" -run='^$' -fuzz="^${name}\$" -fuzztime="$t" 2>&1) || status=1
  execs=$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1)
  printf '%-16s %-18s %s %s\n' "$pkg" "$name" "${execs:-execs: ?}" "$(printf '%s\n' "$out" | tail -1)"
done
exit $status
