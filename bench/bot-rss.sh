#!/usr/bin/env bash
# Resident memory of the console bot on the embedded sample corpus, after
# answering a round of commands. Target: under 40 MB.
#   bench/bot-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/digestbot" ./cmd/digestbot
mkfifo "$tmp/in"
"$tmp/digestbot" --db "$tmp/bench.db" run < "$tmp/in" > /dev/null 2>&1 &
pid=$!
exec 3> "$tmp/in"
for q in "border police" "party history" "grassroots" "Mohe" "cadres"; do
  printf '/search %s\nselect 1\n/date 2023\n/article ad02\n/digest select:on-this-day date:2024-07-03\n' "$q" >&3
done
sleep 2
echo "after 25 commands: $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \t' ' ' | paste -sd ', ')"
exec 3>&-
wait $pid
