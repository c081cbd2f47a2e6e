#!/usr/bin/env bash
# The prototype engine beside SQLite FTS5 on bench/search.sh's corpus: load
# (best of RUNS, the two in turn), 1,000 queries, and the top-10 overlap
# with digestbot's own results.
#
#   SRC=/tmp/s3/w10k OUT=/tmp/s3p/w10k bench/engineproto/run.sh
#
# SRC is a bench/search.sh work folder (corpus/, queries.txt and, for the
# overlap, digestbot.db with its index); it is only read: the database is
# copied to OUT, where everything is written.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=${SRC:?a bench/search.sh work folder}
OUT=${OUT:?a folder for the results}
RUNS=${RUNS:-3}
mkdir -p "$OUT"
go build -o "$OUT/engineproto" ./bench/engineproto
ep="$OUT/engineproto"

cat >"$OUT/fts_load.sql" <<SQL
CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61');
INSERT INTO docs(docs, rank) VALUES('rank', 'bm25(2.0, 1.0)');
BEGIN;
INSERT INTO docs(title, body)
  SELECT substr(data, 1, instr(data, char(10)) - 1), substr(data, instr(data, char(10)) + 1)
  FROM (SELECT CAST(readfile(name) AS TEXT) AS data FROM fsdir('$SRC/corpus') WHERE name LIKE '%.txt');
COMMIT;
SQL
find "$SRC/corpus" -name '*.txt' -print0 | xargs -0 cat >/dev/null
secs() { grep -o '"seconds": [0-9.]*' "$1" | cut -d' ' -f2; }
faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
rm -f "$OUT/fts_load.time" "$OUT/build.json"
for run in $(seq 1 "$RUNS"); do
	rm -f "$OUT/fts.db" "$OUT/ix"
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/fts_load.try" sqlite3 "$OUT/fts.db" <"$OUT/fts_load.sql"
	"$ep" build -dir "$SRC/corpus" -index "$OUT/ix" -out "$OUT/build.try"
	echo "load $run/$RUNS: FTS5 $(cut -d' ' -f1 "$OUT/fts_load.try") s, prototype $(secs "$OUT/build.try") s"
	if [ ! -f "$OUT/fts_load.time" ] || faster "$(cut -d' ' -f1 "$OUT/fts_load.try")" "$(cut -d' ' -f1 "$OUT/fts_load.time")"; then
		cp "$OUT/fts_load.try" "$OUT/fts_load.time"
	fi
	if [ ! -f "$OUT/build.json" ] || faster "$(secs "$OUT/build.try")" "$(secs "$OUT/build.json")"; then
		cp "$OUT/build.try" "$OUT/build.json"
	fi
done
stat -c %s "$OUT/fts.db" >"$OUT/fts.bytes"

# FTS5 queries as bench/search.sh asks them: one SELECT each, timed by the shell.
{
	echo ".timer on"
	echo ".output /dev/null"
	awk '{ q = ""; for (i = 1; i <= NF; i++) q = q (i > 1 ? " " : "") "\"" $i "\"";
		printf "SELECT rowid, title FROM docs WHERE docs MATCH %c%s%c ORDER BY rank LIMIT 10;\n", 39, q, 39 }' "$SRC/queries.txt"
} >"$OUT/fts_q.sql"
sqlite3 "$OUT/fts.db" <"$OUT/fts_q.sql" >"$OUT/fts_q.out" 2>&1

"$ep" query -index "$OUT/ix" -queries "$SRC/queries.txt" -hits "$OUT/hits.txt" -runs "$RUNS" -out "$OUT/query.json"
if [ -f "$SRC/digestbot.db" ]; then
	rm -rf "$OUT/digestbot.db" "$OUT/digestbot.db.index"
	cp -r "$SRC/digestbot.db" "$SRC/digestbot.db.index" "$OUT/"
	"$ep" ref -db "$OUT/digestbot.db" -queries "$SRC/queries.txt" -hits "$OUT/ref.txt"
	"$ep" overlap -a "$OUT/hits.txt" -b "$OUT/ref.txt" >"$OUT/overlap.json"
fi
"$ep" report -work "$OUT" -src "$SRC"
